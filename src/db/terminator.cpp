#include "terminator.h"

#include "core/auditlog.h"
#include "core/bouncerparsers.h"
#include "core/logging.h"
#include "core/postgresparsers.h"
#include "core/readonly.h"
#include "db/pg.h"
#include "db/sqlresource.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QThread>
#include <cmath>

namespace poolscope::db {

using terminate::Candidate;
using terminate::Outcome;
using terminate::PidResult;
using terminate::Report;

namespace {

// pg_type oids of the parameters we bind (typed, so a parameter a server version's SQL leaves out still
// has a type).
constexpr Oid kInt4 = 23;
constexpr Oid kInt8 = 20;
constexpr Oid kFloat8 = 701;
constexpr Oid kText = 25;

struct Param
{
    Oid type;
    std::optional<QByteArray> value; // nullopt = NULL
};

PgResult execParams(PGconn *conn, const QByteArray &sql, const QList<Param> &params, DbError *error)
{
    std::vector<Oid> types;
    std::vector<const char *> values;
    for (const Param &p : params) {
        types.push_back(p.type);
        values.push_back(p.value ? p.value->constData() : nullptr);
    }
    PgResult r(PQexecParams(conn, sql.constData(), int(params.size()), types.data(), values.data(), nullptr,
                            nullptr, 0));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        if (error)
            *error = errorFromResult(r.get(), conn);
        return nullptr;
    }
    return r;
}

QByteArray epoch(double seconds)
{
    // Six decimals recover the server's microseconds exactly (a double's ulp near 2^31 s is ~2.4e-7 s).
    return QByteArray::number(seconds, 'f', 6);
}

void noticeReceiver(void *arg, const PGresult *result)
{
    auto *notices = static_cast<QStringList *>(arg);
    const char *primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    notices->append(cleanMessage(primary ? primary : PQresultErrorMessage(result)));
}

bool sameInstant(const std::optional<double> &a, const std::optional<double> &b)
{
    if (!a || !b)
        return !a && !b;
    return std::abs(*a - *b) < 0.0000005;
}

QString stateText(const std::optional<QString> &state)
{
    return state ? *state : QStringLiteral("(hidden)");
}

PidResult resultFor(const Candidate &row, double serverNow, Outcome outcome, const QString &reason)
{
    PidResult r;
    r.row = row;
    r.stateAgeS = row.stateAge(serverNow).value_or(0);
    r.outcome = outcome;
    r.reason = reason;
    return r;
}

} // namespace

struct Terminator::Connection
{
    PgConn pg;
};

Terminator::Terminator(const QString &conninfo, Options options)
    : m_conninfo(conninfo), m_options(std::move(options)), m_spec(parseConnInfo(conninfo))
{
    m_candidatesSql = loadSql("terminate_candidates.sql");
    m_signalSql = loadSql("terminate_signal.sql");
    m_roleSql = loadSql("terminate_role.sql");
}

Terminator::~Terminator() = default;

QString Terminator::target() const
{
    return m_connTarget.isEmpty() ? describe(m_spec) : m_connTarget;
}

void Terminator::disconnect()
{
    m_conn.reset();
}

bool Terminator::ensureConnected(DbError *error)
{
    if (m_conn && PQstatus(m_conn->pg.get()) == CONNECTION_OK)
        return true;
    m_conn.reset();
    if (m_candidatesSql.isEmpty() || m_signalSql.isEmpty() || m_roleSql.isEmpty()) {
        *error =
            DbError{ErrorKind::Unsupported, {}, QStringLiteral("the terminator's SQL resources are missing")};
        return false;
    }
    // Always identified as PoolScope, whatever the connection string says: the guards (and every other
    // PoolScope) then recognise this connection as one never to touch.
    ConnSpec spec = m_spec;
    if (spec.isValid())
        spec.set("application_name", "poolscope");
    ConnectOptions co;
    co.connectTimeoutS = m_options.connectTimeoutS;
    PgConn conn = connect(spec, co, error);
    if (!conn)
        return false;
    if (parsers::isBouncerVersion(QString::fromUtf8(PQparameterStatus(conn.get(), "server_version")))) {
        *error = DbError{ErrorKind::Unsupported,
                         {},
                         QStringLiteral("this is a PgBouncer console: cancel and terminate act on PostgreSQL "
                                        "targets (connect to the database server itself)")};
        return false;
    }
    PQsetNoticeReceiver(conn.get(), noticeReceiver, &m_notices);
    const QByteArray timeout = "SET statement_timeout = " + QByteArray::number(m_options.statementTimeoutMs);
    if (!exec(conn.get(), timeout, error))
        return false;
    PgResult role = execParams(conn.get(), m_roleSql, {}, error);
    if (!role)
        return false;
    const ResultTable t = toTable(role.get());
    if (t.rowCount() == 1) {
        const RowReader r(t, 0);
        m_role.name = r.string(u"role");
        m_role.superuser = r.boolean(u"superuser").value_or(false);
        m_role.signalBackend = r.boolean(u"signal_backend").value_or(false);
    }
    m_serverVersionNum = PQserverVersion(conn.get());
    m_connTarget = describe(conn.get());
    m_conn = std::make_unique<Connection>(Connection{std::move(conn)});
    return true;
}

std::optional<terminate::CandidateSet> Terminator::fetchCandidates(DbError *error)
{
    DbError local;
    DbError &e = error ? *error : local;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!ensureConnected(&e))
            return std::nullopt;
        PgResult r = execParams(m_conn->pg.get(), m_candidatesSql,
                                {{kInt4, QByteArray::number(m_options.queryTextLength)}}, &e);
        if (r)
            return terminate::parseCandidates(toTable(r.get()), m_connTarget, m_serverVersionNum);
        // A connection that died since the last call is reopened once; anything else is the answer.
        if (PQstatus(m_conn->pg.get()) == CONNECTION_OK)
            return std::nullopt;
        m_conn.reset();
    }
    return std::nullopt;
}

std::optional<terminate::Plan> Terminator::preview(const terminate::Predicate &predicate, DbError *error)
{
    auto set = fetchCandidates(error);
    if (!set)
        return std::nullopt;
    return terminate::makePlan(*set, predicate);
}

std::optional<Candidate> Terminator::reread(qint64 pid, double backendStart, DbError *error)
{
    auto set = fetchCandidates(error);
    if (!set)
        return std::nullopt;
    for (const Candidate &c : set->rows) {
        if (c.pid == pid && sameInstant(c.backendStart, backendStart))
            return c;
    }
    if (error)
        *error = {};
    return std::nullopt;
}

QString Terminator::permissionReason(const Candidate &row, Signal kind, const QString &serverMessage) const
{
    const QString verb = kind == Signal::Cancel ? QStringLiteral("cancel") : QStringLiteral("terminate");
    if (row.superuser && !m_role.superuser)
        return QStringLiteral("superuser-owned session (%1): only a superuser may %2 it, and %3 is not one")
            .arg(row.usename, verb, m_role.name);
    if (!m_role.superuser && !m_role.signalBackend)
        return QStringLiteral("pg_signal_backend missing: %1 may only %2 sessions of roles it is a member of "
                              "(GRANT pg_signal_backend TO %1)")
            .arg(m_role.name, verb);
    return QStringLiteral("%1 has no privilege to %2 a session of %3 (%4)")
        .arg(m_role.name, verb, row.usename, serverMessage);
}

Terminator::SignalOutcome Terminator::signal(const Candidate &row, Signal kind, bool guardState,
                                             bool awaitExit)
{
    if (!row.backendStart)
        return {Outcome::Failed,
                QStringLiteral("its backend_start is unknown, so a reused pid cannot be ruled out")};
    DbError e;
    if (!ensureConnected(&e))
        return {Outcome::Failed, e.message};
    const bool terminating = kind == Signal::Terminate;
    const int waitMs =
        terminating && awaitExit && m_serverVersionNum >= 140000 ? std::max(0, m_options.waitForExitMs) : 0;
    const QList<Param> params = {
        {kInt4, QByteArray::number(row.pid)},
        {kFloat8, epoch(*row.backendStart)},
        {kFloat8,
         guardState && row.stateChange ? std::optional<QByteArray>(epoch(*row.stateChange)) : std::nullopt},
        {kText, guardState && row.state ? std::optional<QByteArray>(row.state->toUtf8()) : std::nullopt},
        {kText, terminating ? QByteArray("terminate") : QByteArray("cancel")},
        {kInt8, QByteArray::number(waitMs)},
    };
    m_notices.clear();
    PgResult r =
        execParams(m_conn->pg.get(), parsers::sqlForVersion(m_signalSql, m_serverVersionNum), params, &e);
    if (!r) {
        if (e.sqlState == QLatin1String("42501"))
            return {Outcome::PermissionDenied, permissionReason(row, kind, e.message)};
        return {Outcome::Failed, e.message};
    }
    const ResultTable t = toTable(r.get());
    const QString notices = m_notices.join(QStringLiteral("; "));
    if (t.rowCount() == 0) {
        DbError re;
        const auto now = reread(row.pid, *row.backendStart, &re);
        if (re.isError())
            return {Outcome::Failed, re.message};
        if (!now)
            return {Outcome::AlreadyGone, QStringLiteral("the session ended before it was signalled")};
        return {Outcome::Skipped,
                QStringLiteral("no longer matches what was previewed: now %1").arg(stateText(now->state))};
    }
    const bool signalled = RowReader(t, 0).boolean(u"signalled").value_or(false);
    if (!terminating) {
        if (signalled)
            return {Outcome::Cancelled, QStringLiteral("query cancelled")};
        DbError re;
        const auto now = reread(row.pid, *row.backendStart, &re);
        if (!now && !re.isError())
            return {Outcome::AlreadyGone, QStringLiteral("the session ended before it was signalled")};
        return {Outcome::Failed,
                notices.isEmpty() ? QStringLiteral("the cancel signal was not sent") : notices};
    }
    if (signalled && waitMs > 0)
        return {Outcome::Terminated, {}}; // pg_terminate_backend(pid, timeout) saw the backend exit
    if (!signalled) {
        // With a timeout: still running when it ran out (a WARNING says so). Without: the pid was no backend
        // any more by the time the signal went out.
        DbError re;
        const auto now = reread(row.pid, *row.backendStart, &re);
        if (re.isError())
            return {Outcome::Failed, re.message};
        if (!now)
            return waitMs > 0
                       ? SignalOutcome{Outcome::Terminated, QStringLiteral("exited just after the wait")}
                       : SignalOutcome{Outcome::AlreadyGone,
                                       QStringLiteral("the session ended before it was signalled")};
        if (waitMs > 0)
            return {Outcome::Failed,
                    QStringLiteral("signal sent, but the backend was still running after %1 ms").arg(waitMs)};
        return {Outcome::Failed,
                notices.isEmpty() ? QStringLiteral("the terminate signal was not sent") : notices};
    }
    if (!awaitExit) // the caller confirms the exits of a batch at once (confirmExits)
        return {Outcome::Terminated, {}, true};
    // PostgreSQL before 14 only sends the signal: wait a little for the backend to go.
    QElapsedTimer waited;
    waited.start();
    for (;;) {
        DbError re;
        const auto now = reread(row.pid, *row.backendStart, &re);
        if (re.isError())
            return {Outcome::Failed, re.message};
        if (!now)
            return {Outcome::Terminated, {}};
        if (waited.elapsed() >= m_options.waitForExitMs)
            return {Outcome::Terminated, QStringLiteral("signal sent; the backend is still exiting")};
        QThread::msleep(50);
    }
}

void Terminator::confirmExits(QList<PidResult> &results, QList<int> pending)
{
    // Every backend of the batch was signalled without waiting, so they all exit in parallel; wait here once
    // for all of them (pg_terminate_backend(pid, timeout) waits ~100 ms per pid, one after the other).
    QElapsedTimer waited;
    waited.start();
    while (!pending.isEmpty()) {
        DbError e;
        const auto set = fetchCandidates(&e);
        if (!set) {
            for (int i : pending)
                results[i].reason =
                    QStringLiteral("signal sent; its exit could not be confirmed: ") + e.message;
            return;
        }
        for (qsizetype k = pending.size() - 1; k >= 0; --k) {
            const Candidate &row = results.at(pending.at(k)).row;
            const bool present =
                std::any_of(set->rows.cbegin(), set->rows.cend(), [&row](const Candidate &c) {
                    return c.pid == row.pid && sameInstant(c.backendStart, row.backendStart);
                });
            if (!present)
                pending.removeAt(k);
        }
        if (pending.isEmpty())
            return;
        const qint64 remaining = m_options.waitForExitMs - waited.elapsed();
        if (remaining <= 0)
            break;
        if (m_serverVersionNum >= 140000) {
            // Let the server wait for one that is still there (signalling it again is harmless).
            const int saved = m_options.waitForExitMs;
            m_options.waitForExitMs = int(remaining);
            signal(results.at(pending.first()).row, Signal::Terminate, false, true);
            m_options.waitForExitMs = saved;
        } else {
            QThread::msleep(50);
        }
    }
    for (int i : pending) {
        results[i].outcome = Outcome::Failed;
        results[i].reason = QStringLiteral("signal sent, but the backend was still running after %1 ms")
                                .arg(m_options.waitForExitMs);
    }
}

Terminator::SignalOutcome Terminator::escalate(const Candidate &row)
{
    SignalOutcome cancel = signal(row, Signal::Cancel, true, true);
    if (cancel.outcome != Outcome::Cancelled)
        return cancel;
    QElapsedTimer waited;
    waited.start();
    Candidate current = row;
    for (;;) {
        QThread::msleep(100);
        DbError e;
        const auto now = reread(row.pid, *row.backendStart, &e);
        if (e.isError())
            return {Outcome::Failed, e.message};
        if (!now)
            return {Outcome::AlreadyGone, QStringLiteral("ended after its query was cancelled")};
        current = *now;
        if (current.state == QLatin1String("idle"))
            return {Outcome::Cancelled,
                    QStringLiteral("query cancelled; the session is idle now, so it was not terminated")};
        if (current.state == QLatin1String("active") && !sameInstant(current.stateChange, row.stateChange))
            return {Outcome::Cancelled,
                    QStringLiteral("query cancelled; the session has moved on to a new query, so it was not "
                                   "terminated")};
        if (current.state != QLatin1String("active") || waited.elapsed() >= m_options.cancelGraceMs)
            break;
    }
    SignalOutcome term = signal(current, Signal::Terminate, false, true);
    if (term.outcome == Outcome::Terminated)
        term.reason =
            QStringLiteral("its query was cancelled first, but it stayed %1").arg(stateText(current.state));
    return term;
}

Report Terminator::refused(const QString &action, const QString &why, bool dryRun) const
{
    Report report;
    report.target = target();
    report.action = action;
    report.dryRun = dryRun;
    report.connected = false;
    report.refused = why;
    return report;
}

void Terminator::audit(const Report &report, const QJsonObject &extra) const
{
    QJsonObject fields = terminate::auditFields(report);
    fields.insert(QStringLiteral("source"), m_options.source);
    for (auto it = extra.begin(); it != extra.end(); ++it)
        fields.insert(it.key(), it.value());
    if (!report.connected && report.refused.isEmpty())
        fields.insert(QStringLiteral("error"), report.error.message);
    audit::record(report.action, report.target, fields);
}

Report Terminator::run(const terminate::Predicate &predicate, const RunOptions &options)
{
    QJsonObject extra = options.auditExtra;
    extra.insert(QStringLiteral("predicate"), predicate.toJson());
    extra.insert(QStringLiteral("escalate"), options.cancelActiveFirst);
    if (!options.dryRun && readonly::isReadOnly()) {
        const Report report = refused(QStringLiteral("terminate"), readonly::refusalText(), false);
        audit(report, extra);
        return report;
    }
    QString invalid;
    if (!predicate.isValid(&invalid)) {
        Report report =
            refused(QStringLiteral("terminate"), QStringLiteral("refused: ") + invalid, options.dryRun);
        audit(report, extra);
        return report;
    }
    DbError e;
    const auto plan = preview(predicate, &e);
    if (!plan) {
        Report report;
        report.target = target();
        report.action = QStringLiteral("terminate");
        report.dryRun = options.dryRun;
        report.error = e;
        audit(report, extra);
        return report;
    }
    return execute(*plan, options);
}

Report Terminator::execute(const terminate::Plan &plan, const RunOptions &options)
{
    QJsonObject extra = options.auditExtra;
    extra.insert(QStringLiteral("predicate"), plan.predicate.toJson());
    extra.insert(QStringLiteral("escalate"), options.cancelActiveFirst);
    const QString action = QStringLiteral("terminate");
    if (!options.dryRun && readonly::isReadOnly()) {
        Report report = refused(action, readonly::refusalText(), false);
        report.target = plan.target;
        for (const auto &e : plan.hits)
            report.results.append(
                resultFor(e.row, plan.serverNow, Outcome::Refused, readonly::refusalText()));
        audit(report, extra);
        return report;
    }
    DbError e;
    if (!ensureConnected(&e)) {
        Report report;
        report.target = target();
        report.action = action;
        report.dryRun = options.dryRun;
        report.error = e;
        audit(report, extra);
        return report;
    }
    if (plan.target != m_connTarget) {
        Report report = refused(action,
                                QStringLiteral("refused: the plan was read from another target (%1), not %2")
                                    .arg(plan.target, m_connTarget),
                                options.dryRun);
        audit(report, extra);
        return report;
    }

    const int budget = options.maxTerminations < 0 ? int(plan.hits.size()) : options.maxTerminations;
    Report report;
    if (options.dryRun) {
        report = terminate::dryRunReport(plan, options.cancelActiveFirst);
    } else {
        report.target = plan.target;
        report.action = action;
        report.connected = true;
        report.excluded = plan.excluded;
        report.excludedSummary = plan.excludedSummary();
        int done = 0;
        QList<int> pending; // signalled, exit not yet confirmed
        for (const auto &entry : plan.hits) {
            PidResult r = resultFor(entry.row, plan.serverNow, Outcome::Skipped, {});
            if (done >= budget) {
                r.reason = QStringLiteral("rate limit: at most %1 terminations per run").arg(budget);
            } else {
                const bool active = entry.row.state == QLatin1String("active");
                const SignalOutcome o = options.cancelActiveFirst && active
                                            ? escalate(entry.row)
                                            : signal(entry.row, Signal::Terminate, true, false);
                r.outcome = o.outcome;
                r.reason = o.reason;
                if (o.awaitingExit)
                    pending.append(int(report.results.size()));
                if (o.outcome == Outcome::Terminated || o.outcome == Outcome::Cancelled)
                    ++done;
            }
            report.results.append(std::move(r));
        }
        confirmExits(report.results, pending);
        report.results.append(terminate::guardResults(plan));
    }
    if (options.dryRun && budget < plan.hits.size()) {
        for (qsizetype i = budget; i < plan.hits.size(); ++i) {
            report.results[i].outcome = Outcome::Skipped;
            report.results[i].reason =
                QStringLiteral("rate limit: at most %1 terminations per run").arg(budget);
        }
    }
    audit(report, extra);
    return report;
}

Report Terminator::signalPids(const QList<PidRef> &pids, Signal kind, bool allowSuperuser)
{
    const QString action = kind == Signal::Cancel ? QStringLiteral("cancel") : QStringLiteral("terminate");
    QJsonObject extra;
    QJsonArray requested;
    for (const PidRef &p : pids)
        requested.append(p.pid);
    extra.insert(QStringLiteral("requested_pids"), requested);
    extra.insert(QStringLiteral("allow_superuser"), allowSuperuser);
    if (readonly::isReadOnly()) {
        const Report report = refused(action, readonly::refusalText(), false);
        audit(report, extra);
        return report;
    }
    DbError e;
    const auto set = fetchCandidates(&e);
    if (!set) {
        Report report;
        report.target = target();
        report.action = action;
        report.error = e;
        audit(report, extra);
        return report;
    }
    Report report;
    report.target = set->target;
    report.action = action;
    report.connected = true;
    QList<int> pending; // signalled, exit not yet confirmed
    for (const PidRef &ref : pids) {
        const Candidate *row = nullptr;
        for (const Candidate &c : set->rows) {
            if (c.pid == ref.pid)
                row = &c;
        }
        if (!row) {
            Candidate gone;
            gone.pid = ref.pid;
            gone.target = set->target;
            report.results.append(resultFor(gone, set->serverNow, Outcome::AlreadyGone,
                                            QStringLiteral("no session with this pid any more")));
            continue;
        }
        if (ref.backendStart && !sameInstant(row->backendStart, ref.backendStart)) {
            report.results.append(
                resultFor(*row, set->serverNow, Outcome::AlreadyGone,
                          QStringLiteral("the session ended; the pid now belongs to a newer "
                                         "session, which was not touched")));
            continue;
        }
        std::optional<terminate::Exclusion> why;
        if (row->poolscope)
            why = terminate::Exclusion::OwnConnection;
        else if (row->backendType.isEmpty())
            why = terminate::Exclusion::Hidden;
        else if (row->backendType != QLatin1String("client backend"))
            why = terminate::Exclusion::NotClientBackend;
        else if (row->superuser && !allowSuperuser)
            why = terminate::Exclusion::Superuser;
        if (why) {
            report.results.append(resultFor(*row, set->serverNow,
                                            why == terminate::Exclusion::Superuser ? Outcome::PermissionDenied
                                                                                   : Outcome::Skipped,
                                            terminate::exclusionText(*why, *row)));
            continue;
        }
        if (kind == Signal::Cancel && !terminate::canCancel(row->state)) {
            report.results.append(resultFor(
                *row, set->serverNow, Outcome::Skipped,
                QStringLiteral("nothing to cancel: the session is %1; a cancel only stops a running query "
                               "(terminate ends the session)")
                    .arg(stateText(row->state))));
            continue;
        }
        const SignalOutcome o = signal(*row, kind, false, false);
        if (o.awaitingExit)
            pending.append(int(report.results.size()));
        report.results.append(resultFor(*row, set->serverNow, o.outcome, o.reason));
    }
    confirmExits(report.results, pending);
    audit(report, extra);
    return report;
}

Report Terminator::terminatePids(const QList<PidRef> &pids, bool allowSuperuser)
{
    return signalPids(pids, Signal::Terminate, allowSuperuser);
}

Report Terminator::cancelPids(const QList<PidRef> &pids, bool allowSuperuser)
{
    return signalPids(pids, Signal::Cancel, allowSuperuser);
}

} // namespace poolscope::db
