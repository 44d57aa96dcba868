#pragma once

#include "dberror.h"
#include "resulttable.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::terminate {

/// One row of resources/sql/terminate_candidates.sql: a backend as the terminator sees it just before acting.
/// Times are epoch seconds from the server's clock.
struct Candidate
{
    qint64 pid = 0;
    QString datname;
    QString usename;
    QString applicationName;
    QString clientAddr;           // empty for Unix-socket clients
    QString backendType;          // empty when hidden by privileges
    std::optional<QString> state; // nullopt when hidden by privileges
    std::optional<double> backendStart;
    std::optional<double> xactStart;
    std::optional<double> queryStart;
    std::optional<double> stateChange;
    bool superuser = false; // the session's role has rolsuper
    bool poolscope =
        false; // PoolScope's own connection: this one (pg_backend_pid()) or application 'poolscope'
    QString query;
    QString target; // user@host:port/db of the connection that read this row (no secrets)

    /// now - state_change against the server's clock; nullopt when unknown.
    std::optional<double> stateAge(double serverNow) const;
};

/// A fresh read of pg_stat_activity for one target.
struct CandidateSet
{
    QString target;       // pg::describe() of the connection that read it
    double serverNow = 0; // clock_timestamp() of the read, epoch seconds
    int serverVersionNum = 0;
    QList<Candidate> rows;
};

/// Rows of terminate_candidates.sql (looked up by column name) -> candidates tagged with `target`. Rows with
/// no pid are dropped. `serverNow` comes from the server_now column of the first row (0 when empty).
CandidateSet parseCandidates(const ResultTable &table, const QString &target, int serverVersionNum);

/// "idle in transaction (or aborted) for more than N s", optionally AND application / user / database /
/// client.
struct Predicate
{
    /// pg_stat_activity state texts; matched exactly. Empty matches nothing.
    QStringList states = defaultStates();
    /// Seconds since state_change, against the server's clock; strictly older than this.
    double olderThanS = 0;
    /// Empty = any. application/user/database: exact, or a glob with * and ?. client: an address, a CIDR
    /// range (10.0.0.0/8) or "local" for Unix-socket clients.
    QString application;
    QString user;
    QString database;
    QString client;
    /// Superuser-owned sessions are never touched unless this is set (and even then only a superuser may).
    bool allowSuperuser = false;

    static QStringList defaultStates()
    {
        return {QStringLiteral("idle in transaction"), QStringLiteral("idle in transaction (aborted)")};
    }
    /// Does the row match the predicate's fields (state, age, filters), guards aside?
    bool matches(const Candidate &row, double serverNow) const;
    /// "idle in transaction or idle in transaction (aborted) for more than 30 s, application = app".
    QString describe() const;
    QJsonObject toJson() const;
    /// Whether the text fields are valid (a malformed CIDR in `client`); the reason otherwise.
    bool isValid(QString *error = nullptr) const;
};

/// Why a row that matched the predicate is left alone.
enum class Exclusion
{
    OwnConnection,    // PoolScope's own connection (this one or another PoolScope's)
    NotClientBackend, // autovacuum, walsender, background workers, parallel workers...
    Hidden,           // hidden by privileges: its role or backend type cannot be checked
    Superuser,        // superuser-owned, and the plan does not allow those
    OtherTarget,      // read from another target than the plan's
};
/// "PoolScope's own connection", "not a client backend (autovacuum worker)", ...
QString exclusionText(Exclusion why, const Candidate &row);
/// "PoolScope connection", "non-client backend", "hidden session", "superuser session", "other target".
QString exclusionNoun(Exclusion why);

struct PlanEntry
{
    Candidate row;
    double stateAgeS = 0;
    std::optional<Exclusion> excluded; // set on entries in TerminatePlan::excluded
};

/// Who a predicate would hit on one target, and who it matched but leaves alone (and why).
struct Plan
{
    QString target;
    double serverNow = 0;
    int serverVersionNum = 0;
    Predicate predicate;
    QList<PlanEntry> hits;     // will be signalled, oldest first
    QList<PlanEntry> excluded; // matched the predicate, excluded by a guard, oldest first

    int excludedCount(Exclusion why) const;
    /// "2 superuser sessions skipped, 1 PoolScope connection skipped"; empty when nothing was excluded.
    QString excludedSummary() const;
};

/// The predicate applied to a fresh read, with the guards: never PoolScope's own connections, never a
/// non-client backend, never a superuser-owned session unless allowed, never a row of another target than
/// `set.target`. Pure.
Plan makePlan(const CandidateSet &set, const Predicate &predicate);

/// What happened (or would happen) to one pid.
enum class Outcome
{
    WouldTerminate, // dry run
    WouldCancel,    // dry run of a cancel (or of the cancel step of an escalation)
    Terminated,
    Cancelled,   // the cancel sufficed (escalation: the session went idle), or a plain cancel was sent
    AlreadyGone, // the session ended before it was signalled (or during the wait)
    Skipped,     // no longer matches what was previewed (it committed, ran a query), or nothing to cancel
    PermissionDenied, // the server refused, or a guard did (superuser-owned session not allowed)
    Failed,           // an error, with the server's message
    Refused,          // read-only mode, or no confirmation
};
/// JSON / table text: "would terminate", "terminated", "already gone", "permission denied", "failed", ...
QString outcomeName(Outcome outcome);
/// Counts as a problem for exit codes and summaries (permission denied, failed, refused).
bool isProblem(Outcome outcome);

struct PidResult
{
    Candidate row;
    double stateAgeS = 0;
    Outcome outcome = Outcome::Failed;
    QString reason; // why (permission denied / failed / skipped / refused), or a note
};

/// The outcome of one action on one target.
struct Report
{
    QString target;
    bool dryRun = false;
    bool connected = false; // false: `error` says why nothing was done
    DbError error;
    QString action;  // "terminate", "cancel"
    QString refused; // set when nothing was attempted: "refused: read-only", "refused: not confirmed"
    QList<PidResult> results;
    QList<PlanEntry> excluded; // from the plan, for "2 superuser sessions skipped"
    QString excludedSummary;

    int count(Outcome outcome) const;
    bool hasProblems() const;
    /// "2 terminated, 1 already gone" / "nothing to do" / "refused: read-only" / the connection error.
    QString summary() const;
};

/// The superuser-owned sessions a plan did not allow, as "permission denied" results with the reason.
QList<PidResult> guardResults(const Plan &plan);
/// What a plan would do: its hits as "would terminate" (escalation noted on active ones), then
/// guardResults().
Report dryRunReport(const Plan &plan, bool cancelActiveFirst = false);

/// {"pid":N,"usename":"..","application_name":"..","state":"..","state_age_s":X,"result":"..","reason":".."}
QJsonObject toJson(const PidResult &result);
/// {"target":"..","dry_run":bool,"candidates":[...]} as documented for `poolscope terminate --json`: every
/// result, oldest first. PoolScope's own connections and non-client backends never appear (they are never
/// results; superuser-owned sessions the plan did not allow are, as "permission denied").
QJsonObject toJson(const Report &report);
/// The audit fields of a report: dry_run, pids (with application/user/database/state/age/result/reason),
/// result (the summary), excluded counts.
QJsonObject auditFields(const Report &report);

/// Cancel only does something to a running query: offered for `active` sessions only.
bool canCancel(const std::optional<QString> &state);

/// CLI state names ("idle-in-transaction", "idle-in-transaction-aborted", "active", "idle") or the server's
/// own texts -> the server's text; nullopt for anything else.
std::optional<QString> stateFromName(const QString &name);

} // namespace poolscope::terminate

Q_DECLARE_METATYPE(poolscope::terminate::Plan)
Q_DECLARE_METATYPE(poolscope::terminate::Report)
