#pragma once

#include "finding.h"
#include "findingthresholds.h"
#include "poolerchain.h"
#include "targetsnapshot.h"

#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QSet>
#include <deque>
#include <functional>
#include <vector>

/// The rules of the findings engine: pure functions from one target's newest sample (plus the newest samples
/// of the targets linked to it, and a little memory of the previous samples) to observations. The engine
/// (FindingsEngine) turns observations into findings: raising, resolving, watching after an action.
/// Rules debounce themselves where their condition needs several samples ("the same count 5 samples in a
/// row"); the engine adds the hysteresis on the way out.
namespace poolscope::findings {

/// What a rule sees on one sample: a finding in the making, without its lifecycle.
struct Observation
{
    QString rule;
    QString subject;
    /// The rule's own debounce is met ("3 samples in a row"). An unconfirmed observation keeps an open
    /// finding open but never raises one: a condition that drops out for one sample does not make the finding
    /// end and come back as a new one.
    bool confirmed = true;
    Severity severity = Severity::Warning;
    Layer layer = Layer::Postgres;
    QList<int> otherTargetIds; // linked targets involved besides the evaluated one
    qint64 sinceMs = 0;        // when the condition began, from the data; 0: the first sample that showed it
    QString summary;
    QStringList advice;
    Evidence evidence;
    QList<qint64> pids;
    QStringList pools;
    Action action;
    /// Fills summary, advice, evidence and action.label. Called only when someone reads the finding (the
    /// dock, `diagnose`, a JSON line): words cost far more than the decision, and most samples of an open
    /// finding are never read. Captures values, never references into the sample.
    std::function<void(Observation &)> describe;
};

/// A linked target's newest sample, as a rule reads it.
struct Linked
{
    int id = 0;
    QString name;
    const TargetSnapshot *snapshot = nullptr; // never null in a context
};

/// One pass over a sample's sessions, shared by every PostgreSQL rule: only the few sessions the rules look
/// at closely are copied out (idle in transaction, waiting on locks, young, in long transactions).
struct SessionDigest
{
    struct Held
    {
        qint64 pid = 0;
        QString application;
        QString user;
        QString database;
        double idleS = 0; // since state_change
        double xactS = 0; // since xact_start
        std::optional<qint64> horizonAge;
        bool aborted = false;
        QString query; // the last statement
    };
    /// Idle in transaction (aborted ones too) for at least Thresholds::leakMinAgeS, the longest idle first.
    QList<Held> idleInTransaction;
    /// The oldest transaction of a session that is running something (not idle in transaction), if any.
    std::optional<Held> oldestRunning;
    QString oldestRunningState;
    /// Sessions in a transaction older than Thresholds::leakMinAgeS (running or idle in it), per application.
    QHash<QString, QList<qint64>> longTransactions;
    /// Sessions waiting on a heavyweight lock, per application, and the longest wait (since its statement
    /// began: the wait itself has no timestamp).
    QHash<QString, int> lockWaitingByApp;
    double oldestLockWaitS = 0;
    /// Sessions that connected less than Thresholds::churnYoungS ago, in all and per application.
    int young = 0;
    QHash<QString, int> youngByApp;
};
/// The sessions a digest can take anything from, found once per sessions list (the sampler hands over the
/// same shared list while nothing changed): those in a transaction, waiting on a lock, or connected less
/// than Thresholds::churnYoungS before `at`. The rest (idle, old) cannot enter a later digest of the same
/// list, since time only moves on.
struct DigestCandidates
{
    QList<Session> of; // held: isHeldList()
    std::vector<qsizetype> indexes;
    double at = 0; // server time they were picked at
    double churnYoungS = 0;
};
/// Every session of `pg`; with `candidates`, only those it holds for this list (picked again for another
/// list, thresholds, or a server clock that went back). The same digest either way.
SessionDigest digestSessions(const PostgresSample &pg, const Thresholds &t,
                             DigestCandidates *candidates = nullptr);

/// What every rule of one PostgreSQL target (or Pgpool-II target, sampled through it) reads.
struct PostgresContext
{
    int id = 0;
    QString name;
    qint64 atMs = 0;
    const PostgresSample &pg;
    const SessionDigest &digest;
    qint64 previousAtMs = 0;            // the previous successful sample of the same target; 0 on the first
    QList<Linked> poolers;              // PgBouncer-shaped consoles in front of it
    const PoolerChain *chain = nullptr; // backend pid -> pool and client, when a pooler round is known
    const Thresholds &t;
};

/// What every rule of one pooler console reads.
struct PoolerContext
{
    int id = 0;
    QString name;
    qint64 atMs = 0;
    const BouncerSample &bouncer;
    QList<Linked> postgres;             // the PostgreSQL targets it forwards to
    const PoolerChain *chain = nullptr; // its own newest chain (SHOW SERVERS/CLIENTS round), if any
    qint64 chainAtMs = 0;
    const Thresholds &t;
};

// The memory each rule keeps per target between samples. Small, bounded, reset with the target.

struct AppPoolMemory
{
    struct Track
    {
        int sessions = -1;   // the plateau's count
        int samples = 0;     // samples at that count in a row
        qint64 sinceMs = 0;  // the first of them
        double busySum = 0;  // sum of the busy share over those samples
        double busyMin = 1;  // lowest busy share among them
        qint64 seenAtMs = 0; // last sample that had the application
    };
    QHash<QString, Track> apps;
};

struct LeakMemory
{
    struct Track
    {
        qint64 firstHeldMs = 0; // first sample of the current run with a held session
        int firstHeld = 0;      // held sessions then
        int mostHeld = 0;
        qint64 seenAtMs = 0;
    };
    QHash<QString, Track> apps;
};

struct ServerCeilingMemory
{
    int aboveSamples = 0;
    qint64 aboveSinceMs = 0;
    int clampSamples = 0;
    int peak = 0;
};

struct DeadMemory
{
    std::optional<double> postmasterStart;
    std::optional<quint64> killed, fatal, abandoned;
    qint64 lastEventMs = 0;
    qint64 firstEventMs = 0;
    Evidence lastEvidence;
    QString lastSummary;
    QStringList lastAdvice;
    Severity lastSeverity = Severity::Warning;
    qint64 killedSum = 0, fatalSum = 0, abandonedSum = 0; // over the current finding
    // PoolScope's own terminations (FindingsEngine::noteTerminated): counted against sessions_killed as it
    // grows, so the finding says whose kills they were.
    qint64 ownPending = 0;
    qint64 ownPendingAtMs = 0;
    qint64 ownKilledSum = 0;
    qint64 ownLastMs = 0;
    bool reword = false;              // kills already counted were just attributed to PoolScope
    QHash<QString, int> appSessions;  // previous sample, for "vanished at once"
    QHash<QString, int> loginSamples; // pooler: pools with servers logging in
    QHash<QString, qint64> loginSince;
};

struct ChurnMemory
{
    struct Point
    {
        qint64 atMs = 0;
        double serverNow = 0;
        std::optional<quint64> established;
        int backends = 0;
        int young = 0;
    };
    std::deque<Point> points; // the newest churnSamples + 1
    qint64 sinceMs = 0;
};

struct LockMemory
{
    int samples = 0;
    qint64 sinceMs = 0;
    QSet<qint64> roots; // root blockers seen during the current run
    qint64 lastRoot = 0;
    int sameRootSamples = 0;
};

struct PoolerMemory
{
    QHash<QString, int> waitingSamples; // pool key -> samples in a row with clients waiting on a full pool
    QHash<QString, qint64> waitingSince;
    int pgpoolFullSamples = 0;
    qint64 pgpoolFullSinceMs = 0;
    QHash<QString, int> mismatchSamples;
    QHash<QString, qint64> mismatchSince;
};

/// Everything the rules remember about one target.
struct RuleMemory
{
    AppPoolMemory appPool;
    LeakMemory leak;
    ServerCeilingMemory server;
    DeadMemory dead;
    ChurnMemory churn;
    LockMemory lock;
    PoolerMemory pooler;
};

// PostgreSQL rules (findingrules_postgres.cpp, findingrules_sessions.cpp).
void idleInTransactionLeak(const PostgresContext &c, LeakMemory &m, QList<Observation> &out);
void appPoolCeiling(const PostgresContext &c, AppPoolMemory &m, QList<Observation> &out);
void serverConnectionCeiling(const PostgresContext &c, ServerCeilingMemory &m, QList<Observation> &out);
void deadConnections(const PostgresContext &c, DeadMemory &m, QList<Observation> &out);
void connectionChurn(const PostgresContext &c, ChurnMemory &m, QList<Observation> &out);
void lockPileup(const PostgresContext &c, LockMemory &m, QList<Observation> &out);
void longTransaction(const PostgresContext &c, QList<Observation> &out);

// Pooler rules (findingrules_pooler.cpp).
void poolerSaturation(const PoolerContext &c, PoolerMemory &m, QList<Observation> &out);
void poolerDbMismatch(const PoolerContext &c, PoolerMemory &m, QList<Observation> &out);
void poolerDeadConnections(const PoolerContext &c, DeadMemory &m, QList<Observation> &out);
/// Pgpool-II: every child busy, so new clients wait in the kernel's listen backlog.
void pgpoolSaturation(const PostgresContext &c, const PgpoolSample &pgpool, PoolerMemory &m,
                      QList<Observation> &out);

// Shared wording (findingtext.cpp).
namespace text {
/// "4242, 4243, 4250 and 5 more"
QString pidList(const QList<qint64> &pids, int shown = 3);
/// "1 session" / "3 sessions"
QString count(qint64 n, const QString &singular, const QString &plural);
/// The application's name as shown: "billing", or "(no application_name)".
QString appName(const QString &name);
/// `pids` as a JSON array.
QJsonArray pidArray(const QList<qint64> &pids);
} // namespace text

} // namespace poolscope::findings
