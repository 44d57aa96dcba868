#pragma once

#include "core/terminateplan.h"
#include "db/conninfo.h"

#include <QList>
#include <QString>
#include <memory>
#include <optional>

namespace poolscope::db {

/// A session named by a per-row action: the pid and, to guard against pid reuse, its backend_start (epoch
/// seconds, as sampled). Without backendStart the pid is taken as it is now.
struct PidRef
{
    qint64 pid = 0;
    std::optional<double> backendStart;
};

/// Cancels and terminates backends of one PostgreSQL target, safely, on a connection of its own (never the
/// sampler's). Every call reads pg_stat_activity afresh, applies the plan's guards (never PoolScope's own
/// connections, never non-client backends, never superuser-owned sessions unless allowed, never another
/// target), and signals each pid with a statement that matches its backend_start (and, for previewed plans,
/// its state_change and state), so a reused pid or a session that moved on is never hit.
///
/// Every action, dry runs and refusals included, leaves one audit line (audit::record) naming the target
/// without secrets, each pid's application/user/state/age and the result. In read-only mode
/// (core/readonly.h) everything but dry runs and previews is refused, audited as "refused: read-only".
///
/// Blocking: run it off the GUI thread. Not thread-safe: one thread at a time (calls may move between
/// threads).
class Terminator
{
public:
    struct Options
    {
        int connectTimeoutS = 5;
        int statementTimeoutMs = 15000;
        int waitForExitMs = 3000; // pg_terminate_backend(pid, timeout) on PG 14+; polled for on older servers
        int cancelGraceMs = 2000; // escalation: how long a cancelled query gets to end before the terminate
        int queryTextLength = 1024;
        QString source = QStringLiteral("gui"); // audit field: gui, cli, auto
    };

    explicit Terminator(const QString &conninfo) : Terminator(conninfo, Options{}) {}
    Terminator(const QString &conninfo, Options options);
    ~Terminator();
    Terminator(const Terminator &) = delete;
    Terminator &operator=(const Terminator &) = delete;

    /// user@host:port/db (never a secret): of the connection once connected, of the connection string before.
    QString target() const;
    const Options &options() const { return m_options; }

    /// A fresh read of every backend (connects, or reconnects after a failure, first).
    std::optional<terminate::CandidateSet> fetchCandidates(DbError *error);
    /// fetchCandidates() + makePlan(). Changes nothing, so it is allowed in read-only mode; not audited.
    std::optional<terminate::Plan> preview(const terminate::Predicate &predicate, DbError *error);

    struct RunOptions
    {
        bool dryRun = false;
        bool cancelActiveFirst =
            false;                // escalation: active sessions get a cancel, then a terminate if needed
        int maxTerminations = -1; // the rest are "skipped: rate limit" (auto-remediation); -1 = all
        QJsonObject auditExtra;   // more audit fields (e.g. "mode":"auto-remediation")
    };
    /// Bulk by predicate: a fresh read, the plan, then (unless a dry run) each hit signalled. Audited.
    terminate::Report run(const terminate::Predicate &predicate, const RunOptions &options);
    /// A plan previewed earlier and confirmed by the user: exactly its hits (or fewer: each is still guarded
    /// by pid, backend_start, state_change and state, so one that moved on is skipped). A plan read from
    /// another target is refused. Audited.
    terminate::Report execute(const terminate::Plan &plan, const RunOptions &options);

    /// Per-row actions. terminatePids ends the sessions; cancelPids cancels their running query, and
    /// "skips" sessions that are not active, where a cancel does nothing. Same guards for both:
    /// superuser-owned sessions only with allowSuperuser. Audited.
    terminate::Report terminatePids(const QList<PidRef> &pids, bool allowSuperuser = false);
    terminate::Report cancelPids(const QList<PidRef> &pids, bool allowSuperuser = false);

    /// Closes the connection (the next call reconnects).
    void disconnect();

private:
    struct Role
    {
        QString name;
        bool superuser = false;
        bool signalBackend = false;
    };
    enum class Signal
    {
        Cancel,
        Terminate
    };
    struct SignalOutcome
    {
        terminate::Outcome outcome = terminate::Outcome::Failed;
        QString reason;
        bool awaitingExit = false; // terminate signal sent without waiting: confirmExits() decides
    };

    bool ensureConnected(DbError *error);
    /// One guarded signal. awaitExit: a terminate waits for the backend to exit (pg_terminate_backend(pid,
    /// timeout) on 14+, polling before); otherwise it returns at once with awaitingExit set.
    SignalOutcome signal(const terminate::Candidate &row, Signal kind, bool guardState, bool awaitExit);
    /// Waits (up to waitForExitMs in all) for the backends of results[pending] to exit; those still running
    /// become "failed".
    void confirmExits(QList<terminate::PidResult> &results, QList<int> pending);
    SignalOutcome escalate(const terminate::Candidate &row);
    std::optional<terminate::Candidate> reread(qint64 pid, double backendStart, DbError *error);
    QString permissionReason(const terminate::Candidate &row, Signal kind,
                             const QString &serverMessage) const;
    terminate::Report signalPids(const QList<PidRef> &pids, Signal kind, bool allowSuperuser);
    terminate::Report refused(const QString &action, const QString &why, bool dryRun) const;
    void audit(const terminate::Report &report, const QJsonObject &extra) const;

    QString m_conninfo;
    Options m_options;
    ConnSpec m_spec;
    // The libpq connection, defined in terminator.cpp: the dialogs that include this header never see libpq.
    struct Connection;
    std::unique_ptr<Connection> m_conn;
    Role m_role;
    int m_serverVersionNum = 0;
    QString m_connTarget;
    QByteArray m_candidatesSql;
    QByteArray m_signalSql;
    QByteArray m_roleSql;
    QStringList
        m_notices; // WARNINGs of the statement in flight (pg_terminate_backend timeout, not a backend)
};

} // namespace poolscope::db
