// PostgreSQL rules that read how sessions come and go between samples: dead connections (terminated,
// timed out, abandoned, a restart) and connection churn.
#include "findingrules.h"
#include "fleetsummary.h"

#include <QDateTime>
#include <QJsonArray>
#include <algorithm>
#include <cmath>
#include <utility>

namespace poolscope::findings {

namespace {

/// How long a termination PoolScope noted waits for sessions_killed to show it (the server counts a kill
/// when the backend exits, within a sample or two).
constexpr qint64 kOwnKillWindowMs = 30'000;

/// The growth of a cumulative counter since the last sample; nullopt on the first sample, when unknown, or
/// when it went backwards (statistics reset).
std::optional<qint64> grew(const std::optional<quint64> &now, const std::optional<quint64> &last)
{
    if (!now || !last || *now < *last)
        return std::nullopt;
    return qint64(*now - *last);
}

QString clockTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

void deadConnections(const PostgresContext &c, DeadMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    const PostgresSample &pg = c.pg;
    const bool restarted =
        m.postmasterStart && pg.postmasterStart && *pg.postmasterStart != *m.postmasterStart;
    const qint64 killed = grew(pg.sessionsKilled, m.killed).value_or(0);
    // Kills PoolScope made itself are counted here as sessions_killed grows; a noted termination the counter
    // never showed (a pid already gone) is forgotten after a while.
    if (m.ownPending > 0 && c.atMs - m.ownPendingAtMs > kOwnKillWindowMs)
        m.ownPending = 0;
    const qint64 own = std::min(killed, m.ownPending);
    m.ownPending -= own;
    const qint64 fatal = grew(pg.sessionsFatal, m.fatal).value_or(0);
    const qint64 abandoned = grew(pg.sessionsAbandoned, m.abandoned).value_or(0);
    m.postmasterStart = pg.postmasterStart;
    m.killed = pg.sessionsKilled;
    m.fatal = pg.sessionsFatal;
    m.abandoned = pg.sessionsAbandoned;
    // Applications whose sessions vanished at once: the pooled connections the clients still hold.
    QHash<QString, int> now;
    for (const SessionGroup &g : pg.groupsBy(GroupDimension::Application)) {
        if (!g.hidden)
            now.insert(g.name, g.sessions());
    }
    QJsonArray vanished;
    QStringList vanishedText;
    for (auto it = m.appSessions.cbegin(); it != m.appSessions.cend(); ++it) {
        const int before = it.value();
        const int after = now.value(it.key());
        if (before >= 3 && after * 2 <= before) {
            QJsonObject v;
            v.insert(QStringLiteral("application"), it.key());
            v.insert(QStringLiteral("before"), before);
            v.insert(QStringLiteral("after"), after);
            vanished.append(v);
            vanishedText.append(
                QStringLiteral("%1 %2 → %3").arg(text::appName(it.key())).arg(before).arg(after));
        }
    }
    m.appSessions = now;

    const bool event = restarted || killed + fatal + abandoned > 0;
    // reword: a termination PoolScope noted after the sample that showed its kills (FindingsEngine::
    // noteTerminated moved them to ownKilledSum); the words change, the finding's hold does not.
    if (event || std::exchange(m.reword, false)) {
        if (event && (m.lastEventMs == 0 || c.atMs - m.lastEventMs > qint64(t.deadHoldS * 1000))) {
            m.firstEventMs = c.atMs;
            m.killedSum = m.fatalSum = m.abandonedSum = m.ownKilledSum = 0;
            m.lastSeverity = Severity::Warning;
        }
        if (event)
            m.lastEventMs = c.atMs;
        m.killedSum += killed;
        m.ownKilledSum += own;
        if (own > 0)
            m.ownLastMs = m.ownPendingAtMs;
        m.fatalSum += fatal;
        m.abandonedSum += abandoned;
        QStringList what;
        if (m.ownKilledSum > 0)
            what.append(QStringLiteral("%1 terminated by PoolScope at %2 (the action in the audit log)")
                            .arg(m.ownKilledSum)
                            .arg(clockTime(m.ownLastMs)));
        if (m.killedSum > m.ownKilledSum)
            what.append(QStringLiteral("%1 terminated by someone else (pg_terminate_backend: an operator or "
                                       "another tool)")
                            .arg(m.killedSum - m.ownKilledSum));
        if (m.fatalSum > 0)
            what.append(QStringLiteral("%1 ended by a FATAL error (idle_in_transaction_session_timeout, "
                                       "idle_session_timeout, an administrator command)")
                            .arg(m.fatalSum));
        if (m.abandonedSum > 0)
            what.append(
                QStringLiteral("%1 abandoned: the client vanished without closing").arg(m.abandonedSum));
        QStringList advice;
        if (restarted) {
            m.lastSeverity = Severity::Critical;
            m.lastSummary =
                QStringLiteral("PostgreSQL restarted at %1: every connection opened before then is "
                               "gone, and pooled connections the applications still hold fail on "
                               "first use with \"server closed the connection unexpectedly\".")
                    .arg(clockTime(qint64(*pg.postmasterStart * 1000)));
            advice.append(QStringLiteral("A PgBouncer in front notices dead servers by itself; applications "
                                         "connected directly must reconnect."));
        } else if (m.lastSeverity != Severity::Critical) {
            // Only PoolScope's own kills: the operator did this on purpose; the finding says what it costs
            // the applications, as information, not as a new incident.
            const bool onlyOwn = m.ownKilledSum == m.killedSum && m.fatalSum == 0 && m.abandonedSum == 0;
            m.lastSeverity = onlyOwn ? Severity::Info : Severity::Warning;
            m.lastSummary =
                QStringLiteral("Since %1, sessions ended under their clients: %2. Applications that "
                               "pooled those connections get \"server closed the connection "
                               "unexpectedly\" on their next use%3.")
                    .arg(clockTime(m.firstEventMs), what.join(QStringLiteral("; ")),
                         onlyOwn ? QStringLiteral(": expected after ending them, until their pools "
                                                  "replace the dead connections")
                                 : QString());
        }
        advice.append(
            QStringLiteral("Make the pools check connections before use: SQLAlchemy "
                           "pool_pre_ping=True; psycopg_pool check=ConnectionPool.check_connection; "
                           "psycopg2: SELECT 1 after getconn and putconn(conn, close=True) on "
                           "OperationalError. Retry the request once on that error."));
        if (m.fatalSum > 0)
            advice.append(
                QStringLiteral("If the FATAL errors are idle-in-transaction timeouts, the application "
                               "leaks transactions: fix that first (idle-in-transaction-leak)."));
        if (m.abandonedSum > 0)
            advice.append(
                QStringLiteral("Clients vanishing without closing point at the network (a NAT, "
                               "firewall or load balancer dropping idle connections) or killed "
                               "processes: TCP keepalives shorter than the device's idle timeout keep "
                               "connections alive."));
        m.lastAdvice = advice;
        Evidence e;
        e.insert("restarted", m.lastSeverity == Severity::Critical);
        e.insert("postmaster_start", pg.postmasterStart ? QJsonValue(*pg.postmasterStart) : QJsonValue());
        e.insert("sessions_killed", double(m.killedSum));
        e.insert("sessions_killed_by_poolscope", double(m.ownKilledSum));
        e.insert("sessions_fatal", double(m.fatalSum));
        e.insert("sessions_abandoned", double(m.abandonedSum));
        e.insert("vanished", vanished);
        if (!pg.sessionsKilled)
            e.insert("note", QStringLiteral("sessions_killed/fatal/abandoned need PostgreSQL 14+"));
        m.lastEvidence = e;
        if (!vanishedText.isEmpty())
            m.lastSummary +=
                QStringLiteral(" Vanished at once: %1.").arg(vanishedText.join(QStringLiteral(", ")));
    }
    if (m.lastEventMs == 0 || c.atMs - m.lastEventMs > qint64(t.deadHoldS * 1000))
        return;
    Observation o;
    o.rule = rule::DeadConnections;
    o.subject = QStringLiteral("sessions");
    o.layer = Layer::Postgres;
    o.severity = m.lastSeverity;
    o.sinceMs = m.firstEventMs;
    o.summary = m.lastSummary;
    o.advice = m.lastAdvice;
    o.evidence = m.lastEvidence;
    if (m.lastSeverity == Severity::Critical) {
        // After a restart, a pooler in front may hold servers it has not yet found dead: RECONNECT makes it
        // replace every server as it is released.
        for (const Linked &l : c.poolers) {
            if (!l.snapshot->bouncer || l.snapshot->bouncer->pools.isEmpty())
                continue;
            o.otherTargetIds.append(l.id);
            if (o.action.isNone()) {
                o.action.kind = Action::Kind::PoolerReconnect;
                o.action.targetId = l.id;
                o.action.argument = l.snapshot->bouncer->pools.first().database;
                o.action.label = QStringLiteral("RECONNECT %1 on %2").arg(o.action.argument, l.name);
            }
        }
    }
    out.append(o);
}

void connectionChurn(const PostgresContext &c, ChurnMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    const int window = std::max(1, int(t.churnSamples));
    if (!m.points.empty() && m.points.back().atMs != c.previousAtMs)
        m.points.clear(); // a gap: rates across it would mislead
    m.points.push_back({c.atMs, c.pg.serverNow, c.pg.sessionsTotal, c.pg.clientBackends(), c.digest.young});
    while (int(m.points.size()) > window + 1)
        m.points.pop_front();
    if (int(m.points.size()) < window + 1) {
        m.sinceMs = 0;
        return;
    }
    const ChurnMemory::Point &first = m.points.front();
    const ChurnMemory::Point &last = m.points.back();
    const double dt = last.serverNow - first.serverNow;
    if (dt <= 0)
        return;
    std::optional<double> opened;
    std::optional<double> closed;
    bool churning = false;
    if (first.established && last.established && *last.established >= *first.established) {
        opened = double(*last.established - *first.established) / dt;
        // Closed = opened minus what stayed: a start-up that opens and keeps its connections is not churn.
        closed = std::max(
            0.0,
            (double(*last.established - *first.established) - double(last.backends - first.backends)) / dt);
        churning = *closed >= t.churnRatePerS;
    } else {
        // PostgreSQL 12/13: no session counter. Sessions younger than churnYoungS in every sample of the
        // window, and a good share of all: a lower bound on the rate, but the shape of churn.
        churning = std::all_of(m.points.begin() + 1, m.points.end(), [&](const ChurnMemory::Point &p) {
            return p.young >= 5 && p.young * 10 >= p.backends * 3;
        });
    }
    if (!churning) {
        m.sinceMs = 0;
        return;
    }
    if (m.sinceMs == 0)
        m.sinceMs = first.atMs;
    QString topApp;
    int topYoung = 0;
    for (auto it = c.digest.youngByApp.cbegin(); it != c.digest.youngByApp.cend(); ++it) {
        if (it.value() > topYoung) {
            topYoung = it.value();
            topApp = it.key();
        }
    }
    Observation o;
    o.rule = rule::ConnectionChurn;
    o.subject = QStringLiteral("connections");
    o.layer = Layer::App;
    o.severity = Severity::Warning;
    o.sinceMs = m.sinceMs;
    o.describe = [opened, closed, dt, young = c.digest.young, backends = c.pg.clientBackends(), topApp,
                  topYoung, youngS = t.churnYoungS](Observation &o) {
        const QString who =
            topYoung > 0 ? QStringLiteral(" (%1 mostly)").arg(text::appName(topApp)) : QString();
        if (closed)
            o.summary = QStringLiteral("%1 connections per second are opened and closed again%2: a new "
                                       "connection per request.")
                            .arg(*closed, 0, 'f', *closed < 10 ? 1 : 0)
                            .arg(who);
        else
            o.summary =
                QStringLiteral("%1 of %2 sessions connected less than %3 s ago%4, sample after sample: a "
                               "new connection per request.")
                    .arg(young)
                    .arg(backends)
                    .arg(youngS)
                    .arg(who);
        o.advice.append(
            QStringLiteral("Each connection costs PostgreSQL a process start and an authentication (a few "
                           "ms of CPU, more with scram-sha-256 and TLS) and starts with cold caches. "
                           "Keep connections in a pool in the application (psycopg_pool, SQLAlchemy "
                           "QueuePool) or put PgBouncer in front in transaction mode."));
        o.advice.append(
            QStringLiteral("A pool that closes connections right after use churns too: psycopg2 closes "
                           "what is above minconn, SQLAlchemy its overflow; raise the minimum to the "
                           "usual concurrency."));
        Evidence &e = o.evidence;
        e.insert("connects_per_s", opened ? QJsonValue(*opened) : QJsonValue());
        e.insert("closes_per_s", closed ? QJsonValue(*closed) : QJsonValue());
        e.insert("window_s", dt);
        e.insert("young_sessions", young);
        e.insert("client_backends", backends);
        e.insert("top_application", topApp);
    };
    out.append(o);
}

} // namespace poolscope::findings
