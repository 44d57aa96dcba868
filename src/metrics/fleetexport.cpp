#include "fleetexport.h"

#include <QMap>
#include <algorithm>
#include <array>

namespace poolscope::metrics {

namespace {

const QString kTarget = QStringLiteral("target");
const QString kSeconds = QStringLiteral("seconds");

Labels with(const QString &target, Labels more = {})
{
    more.prepend({kTarget, target});
    return more;
}

template <typename T>
void gaugeIf(Exposition &e, const QString &name, const QString &help, const Labels &labels,
             const std::optional<T> &value, double scale = 1.0, const QString &unit = {})
{
    if (value)
        e.gauge(name, help, labels, double(*value) * scale, unit);
}

template <typename T>
void counterIf(Exposition &e, const QString &name, const QString &help, const Labels &labels,
               const std::optional<T> &value, double scale = 1.0, const QString &unit = {})
{
    if (value)
        e.counter(name, help, labels, double(*value) * scale, unit);
}

void health(Exposition &e, const TargetExport &t)
{
    const bool up = t.last && t.last->ok;
    e.gauge(
        QStringLiteral("poolscope_target_up"),
        QStringLiteral("1 when the newest sample of the target answered, 0 when it failed or none came yet"),
        with(t.target, {{QStringLiteral("kind"), targetKindName(t.kind)}}), up ? 1 : 0);
    for (TargetState s : {TargetState::Connecting, TargetState::Live, TargetState::Stalled,
                          TargetState::Reconnecting, TargetState::Failed}) {
        e.gauge(
            QStringLiteral("poolscope_target_state"),
            QStringLiteral("The sampler's state of the target: 1 for the current state, 0 for the others"),
            with(t.target, {{QStringLiteral("state"), targetStateName(s)}}), t.state == s ? 1 : 0);
    }
    const QString samplesHelp =
        QStringLiteral("Samples taken of the target since PoolScope started, by result");
    e.counter(QStringLiteral("poolscope_sampler_samples"), samplesHelp,
              with(t.target, {{QStringLiteral("result"), QStringLiteral("ok")}}), double(t.samplesOk));
    e.counter(QStringLiteral("poolscope_sampler_samples"), samplesHelp,
              with(t.target, {{QStringLiteral("result"), QStringLiteral("failed")}}),
              double(t.samplesFailed));
    if (t.lastSampleDurationMs >= 0)
        e.gauge(QStringLiteral("poolscope_sampler_last_duration_seconds"),
                QStringLiteral("How long the newest sample of the target took"), with(t.target),
                double(t.lastSampleDurationMs) / 1000.0, kSeconds);
    if (t.last)
        e.gauge(QStringLiteral("poolscope_sampler_last_sample_timestamp_seconds"),
                QStringLiteral("When the newest sample of the target was taken (Unix time)"), with(t.target),
                double(t.last->sampledAtMs) / 1000.0, kSeconds);
    // One series per (rule, severity): its value counts the open findings (a rule can name several
    // applications or pools of one target).
    QMap<QPair<QString, QString>, int> findingCounts;
    for (const findings::Finding &f : t.openFindings)
        ++findingCounts[{f.rule, findings::severityName(f.severity)}];
    for (auto it = findingCounts.cbegin(); it != findingCounts.cend(); ++it)
        e.gauge(QStringLiteral("poolscope_finding"),
                QStringLiteral("Open findings of the target by rule and severity (see poolscope diagnose)"),
                with(t.target, {{QStringLiteral("rule"), it.key().first},
                                {QStringLiteral("severity"), it.key().second}}),
                it.value());
}

void postgres(Exposition &e, const QString &target, const PostgresSample &pg)
{
    gaugeIf(e, QStringLiteral("pg_settings_max_connections"),
            QStringLiteral("Sets the maximum number of concurrent connections."), with(target),
            pg.maxConnections);
    gaugeIf(e, QStringLiteral("pg_settings_superuser_reserved_connections"),
            QStringLiteral("Sets the number of connection slots reserved for superusers."), with(target),
            pg.superuserReserved);

    // postgres_exporter's pg_stat_activity_count and max_tx_duration, by (datname, state); the four client
    // states are listed for every database seen, zero included, as the exporter does.
    struct Group
    {
        int count = 0;
        double maxTx = 0;
    };
    QMap<QPair<QString, QString>, Group> groups;
    static const std::array<QString, 4> states = {QStringLiteral("active"), QStringLiteral("idle"),
                                                  QStringLiteral("idle in transaction"),
                                                  QStringLiteral("idle in transaction (aborted)")};
    for (const Session &s : pg.sessions) {
        if (!s.state)
            continue; // hidden by privileges: counted under poolscope_sessions_hidden
        for (const QString &st : states)
            groups[{s.datname, st}];
        Group &g = groups[{s.datname, *s.state}];
        ++g.count;
        if (s.xactStart)
            g.maxTx = std::max(g.maxTx, pg.serverNow - *s.xactStart);
    }
    for (auto it = groups.cbegin(); it != groups.cend(); ++it) {
        const Labels labels = with(target, {{QStringLiteral("datname"), it.key().first},
                                            {QStringLiteral("state"), it.key().second}});
        e.gauge(
            QStringLiteral("pg_stat_activity_count"),
            QStringLiteral("number of connections in this state (client backends, PoolScope's own left out)"),
            labels, it.value().count);
        e.gauge(QStringLiteral("pg_stat_activity_max_tx_duration"),
                QStringLiteral("max duration in seconds any active transaction has been running"), labels,
                it.value().maxTx);
    }

    for (SessionState s : AllSessionStates)
        e.gauge(QStringLiteral("poolscope_sessions"),
                QStringLiteral("Client backend sessions by state (PoolScope's own left out; rows hidden by "
                               "privileges count as other)"),
                with(target, {{QStringLiteral("state"), sessionStateName(s)}}), pg.counts[s]);
    e.gauge(QStringLiteral("poolscope_sessions_hidden"),
            QStringLiteral("Client sessions whose details the monitoring role cannot see"), with(target),
            pg.counts.hidden);
    e.gauge(QStringLiteral("poolscope_client_backends"),
            QStringLiteral("Client backends holding a connection slot, PoolScope's own included"),
            with(target), pg.clientBackends());
    gaugeIf(e, QStringLiteral("poolscope_usable_connections"),
            QStringLiteral("Connections usable by non-superusers: max_connections minus the reserved slots"),
            with(target), pg.usableConnections());
    gaugeIf(e, QStringLiteral("poolscope_headroom_connections"),
            QStringLiteral("Connections non-superusers can still open: usable minus client backends"),
            with(target), pg.headroom());
    double oldestIdleTx = 0;
    for (const Session &s : pg.sessions) {
        if (s.stateClass() == SessionState::IdleInTransaction && s.stateChange)
            oldestIdleTx = std::max(oldestIdleTx, pg.serverNow - *s.stateChange);
    }
    e.gauge(QStringLiteral("poolscope_idle_in_transaction_oldest_seconds"),
            QStringLiteral("How long the oldest session idle in transaction has been idle (0: none)"),
            with(target), oldestIdleTx, kSeconds);
    e.gauge(QStringLiteral("poolscope_oldest_transaction_seconds"),
            QStringLiteral("Age of the oldest open transaction of a visible client session (0: none)"),
            with(target), pg.oldestXactAge().value_or(0), kSeconds);
    e.gauge(QStringLiteral("poolscope_lock_waiting_sessions"),
            QStringLiteral("Sessions waiting on a heavyweight lock"), with(target), pg.lockWaiting);
    counterIf(e, QStringLiteral("poolscope_xact_commits"),
              QStringLiteral("Transactions committed, all databases (pg_stat_database)"), with(target),
              pg.xactCommit);
    counterIf(e, QStringLiteral("poolscope_xact_rollbacks"),
              QStringLiteral("Transactions rolled back, all databases (pg_stat_database)"), with(target),
              pg.xactRollback);
    counterIf(e, QStringLiteral("poolscope_sessions_killed"),
              QStringLiteral("Sessions ended by an operator, all databases (PostgreSQL 14+)"), with(target),
              pg.sessionsKilled);
    counterIf(e, QStringLiteral("poolscope_sessions_fatal"),
              QStringLiteral("Sessions ended by a fatal error, all databases (PostgreSQL 14+)"), with(target),
              pg.sessionsFatal);
    counterIf(e, QStringLiteral("poolscope_sessions_abandoned"),
              QStringLiteral("Sessions ended by the client vanishing, all databases (PostgreSQL 14+)"),
              with(target), pg.sessionsAbandoned);
}

void pools(Exposition &e, const QString &target, const BouncerSample &b)
{
    struct Gauge
    {
        const char *name;
        const char *help;
        std::optional<qint64> PoolStats::*field;
    };
    // pgbouncer_exporter's names and help texts for SHOW POOLS.
    static const Gauge gauges[] = {
        {"pgbouncer_pools_client_active_connections",
         "Client connections linked to server connection and able to process queries, shown as connection",
         &PoolStats::clActive},
        {"pgbouncer_pools_client_waiting_connections",
         "Client connections waiting on a server connection, shown as connection", &PoolStats::clWaiting},
        {"pgbouncer_pools_client_active_cancel_connections",
         "Client connections that have forwarded query cancellations to the server and are waiting for the "
         "server response.",
         &PoolStats::clActiveCancelReq},
        {"pgbouncer_pools_client_waiting_cancel_connections",
         "Client connections that have not forwarded query cancellations to the server yet.",
         &PoolStats::clWaitingCancelReq},
        {"pgbouncer_pools_server_active_connections",
         "Server connections linked to a client connection, shown as connection", &PoolStats::svActive},
        {"pgbouncer_pools_server_active_cancel_connections",
         "Server connections that are currently forwarding a cancel request", &PoolStats::svActiveCancel},
        {"pgbouncer_pools_server_being_canceled_connections",
         "Servers that normally could become idle, but are waiting to do so until all in-flight cancel "
         "requests have completed that were sent to cancel a query on this server.",
         &PoolStats::svBeingCanceled},
        {"pgbouncer_pools_server_idle_connections",
         "Server connections idle and ready for a client query, shown as connection", &PoolStats::svIdle},
        {"pgbouncer_pools_server_used_connections",
         "Server connections idle more than server_check_delay, needing server_check_query, shown as "
         "connection",
         &PoolStats::svUsed},
        {"pgbouncer_pools_server_testing_connections",
         "Server connections currently running either server_reset_query or server_check_query, shown as "
         "connection",
         &PoolStats::svTested},
        {"pgbouncer_pools_server_login_connections",
         "Server connections currently in the process of logging in, shown as connection",
         &PoolStats::svLogin},
    };
    for (const Gauge &g : gauges) {
        for (const PoolStats &p : b.pools)
            gaugeIf(
                e, QString::fromLatin1(g.name), QString::fromLatin1(g.help),
                with(target, {{QStringLiteral("database"), p.database}, {QStringLiteral("user"), p.user}}),
                p.*(g.field));
    }
    for (const PoolStats &p : b.pools)
        gaugeIf(e, QStringLiteral("pgbouncer_pools_client_maxwait_seconds"),
                QStringLiteral("Age of oldest unserved client connection, shown as second (maxwait + "
                               "maxwait_us: microsecond precision)"),
                with(target, {{QStringLiteral("database"), p.database}, {QStringLiteral("user"), p.user}}),
                p.maxwaitSeconds, 1.0, kSeconds);
    for (const PoolStats &p : b.pools) {
        const std::optional<qint64> count = p.serverCount();
        if (p.poolSize && *p.poolSize > 0 && count)
            e.gauge(
                QStringLiteral("poolscope_pool_headroom_connections"),
                QStringLiteral("Server connections the pool can still open: its effective pool_size minus "
                               "the server connections it holds"),
                with(target, {{QStringLiteral("database"), p.database}, {QStringLiteral("user"), p.user}}),
                double(*p.poolSize - *count));
    }
}

void databases(Exposition &e, const QString &target, const BouncerSample &b)
{
    struct Gauge
    {
        const char *name;
        const char *help;
        std::optional<qint64> BouncerDatabase::*field;
    };
    static const Gauge gauges[] = {
        {"pgbouncer_databases_pool_size", "Maximum number of server connections", &BouncerDatabase::poolSize},
        {"pgbouncer_databases_reserve_pool", "Maximum number of additional connections for this database",
         &BouncerDatabase::reservePool},
        {"pgbouncer_databases_max_connections", "Maximum number of allowed connections for this database",
         &BouncerDatabase::maxConnections},
        {"pgbouncer_databases_current_connections", "Current number of connections for this database",
         &BouncerDatabase::currentConnections},
    };
    auto labels = [&](const BouncerDatabase &d) {
        return with(target, {{QStringLiteral("name"), d.name},
                             {QStringLiteral("host"), d.host},
                             {QStringLiteral("port"), d.port ? QString::number(*d.port) : QString()},
                             {QStringLiteral("database"), d.database},
                             {QStringLiteral("force_user"), QString()},
                             {QStringLiteral("pool_mode"), d.poolMode.value_or(QString())}});
    };
    for (const Gauge &g : gauges) {
        for (const BouncerDatabase &d : b.databases)
            gaugeIf(e, QString::fromLatin1(g.name), QString::fromLatin1(g.help), labels(d), d.*(g.field));
    }
    for (const BouncerDatabase &d : b.databases)
        gaugeIf(e, QStringLiteral("pgbouncer_databases_paused"),
                QStringLiteral("1 if this database is currently paused, else 0"), labels(d), d.paused);
    for (const BouncerDatabase &d : b.databases)
        gaugeIf(e, QStringLiteral("pgbouncer_databases_disabled"),
                QStringLiteral("1 if this database is currently disabled, else 0"), labels(d), d.disabled);
}

void statsTotals(Exposition &e, const QString &target, const BouncerSample &b)
{
    struct Counter
    {
        const char *name; // without _total
        const char *help;
        std::optional<quint64> BouncerStatsTotals::*field;
        double scale;
        bool seconds;
    };
    // pgbouncer_exporter >= 0.11 (SHOW STATS_TOTALS); times are microseconds on the console.
    static const Counter counters[] = {
        {"pgbouncer_stats_totals_queries_pooled", "Total number of SQL queries pooled",
         &BouncerStatsTotals::queryCount, 1, false},
        {"pgbouncer_stats_totals_queries_duration_seconds",
         "Total number of seconds spent by pgbouncer when actively connected to PostgreSQL, executing "
         "queries",
         &BouncerStatsTotals::queryTime, 1e-6, true},
        {"pgbouncer_stats_totals_received_bytes",
         "Total volume in bytes of network traffic received by pgbouncer, shown as bytes",
         &BouncerStatsTotals::bytesReceived, 1, false},
        {"pgbouncer_stats_totals_sent_bytes",
         "Total volume in bytes of network traffic sent by pgbouncer, shown as bytes",
         &BouncerStatsTotals::bytesSent, 1, false},
        {"pgbouncer_stats_totals_client_wait_seconds",
         "Time spent by clients waiting for a server in seconds", &BouncerStatsTotals::waitTime, 1e-6, true},
        {"pgbouncer_stats_totals_sql_transactions_pooled", "Total number of SQL transactions pooled",
         &BouncerStatsTotals::xactCount, 1, false},
        {"pgbouncer_stats_totals_server_in_transaction_seconds",
         "Total number of seconds spent by pgbouncer when connected to PostgreSQL in a transaction, either "
         "idle in transaction or executing queries",
         &BouncerStatsTotals::xactTime, 1e-6, true},
        {"pgbouncer_stats_totals_server_assignments",
         "Total number of times a server was assigned to a client",
         &BouncerStatsTotals::serverAssignmentCount, 1, false},
        {"pgbouncer_stats_totals_client_parses", "Total number of prepared statements created by clients",
         &BouncerStatsTotals::clientParseCount, 1, false},
        {"pgbouncer_stats_totals_server_parses", "Total number of prepared statements created on a server.",
         &BouncerStatsTotals::serverParseCount, 1, false},
        {"pgbouncer_stats_totals_binds",
         "Total number of prepared statements readied for execution by clients "
         "and forwarded to postgres",
         &BouncerStatsTotals::bindCount, 1, false},
    };
    for (const Counter &c : counters) {
        for (const BouncerStatsTotals &t : b.totals) {
            const QString unit =
                c.seconds ? kSeconds
                          : (QByteArray(c.name).endsWith("_bytes") ? QStringLiteral("bytes") : QString());
            counterIf(e, QString::fromLatin1(c.name), QString::fromLatin1(c.help),
                      with(target, {{QStringLiteral("database"), t.database}}), t.*(c.field), c.scale, unit);
        }
    }
}

void bouncer(Exposition &e, const TargetExport &t, const BouncerSample &b)
{
    if (!b.versionText.isEmpty())
        e.gauge(QStringLiteral("pgbouncer_version_info"), QStringLiteral("The pgbouncer version info"),
                with(t.target, {{QStringLiteral("version"), b.versionText}}), 1);
    pools(e, t.target, b);
    databases(e, t.target, b);
    statsTotals(e, t.target, b);
    auto config = [&](const char *key, const char *name, const char *help) {
        bool ok = false;
        const qint64 v = b.config.value(QString::fromLatin1(key)).toLongLong(&ok);
        if (ok)
            e.gauge(QString::fromLatin1(name), QString::fromLatin1(help), with(t.target), double(v));
    };
    config("max_client_conn", "pgbouncer_config_max_client_connections",
           "Config maximum number of client connections");
    config("max_user_connections", "pgbouncer_config_max_user_connections",
           "Config maximum number of server connections per user");
    for (const QString &pg : t.linkedPostgres)
        e.gauge(QStringLiteral("poolscope_chain_link"),
                QStringLiteral("1 for each PostgreSQL target this pooler's SHOW DATABASES points at"),
                with(t.target, {{QStringLiteral("postgres_target"), pg}}), 1);
}

} // namespace

Exposition buildExposition(const QList<TargetExport> &targets)
{
    Exposition e;
    for (const TargetExport &t : targets)
        health(e, t);
    // postgres_exporter's and pgbouncer_exporter's own up series, for the targets whose kind is known.
    for (const TargetExport &t : targets) {
        const double up = t.last && t.last->ok ? 1 : 0;
        if (t.kind == TargetKind::Postgres || t.kind == TargetKind::Pgpool)
            e.gauge(QStringLiteral("pg_up"),
                    QStringLiteral("Whether the last scrape of metrics from PostgreSQL was able to connect "
                                   "to the server (1 for yes, 0 for no)."),
                    with(t.target), up);
        else if (t.kind == TargetKind::PgBouncer)
            e.gauge(QStringLiteral("pgbouncer_up"), QStringLiteral("The pgbouncer scrape succeeded"),
                    with(t.target), up);
    }
    for (const TargetExport &t : targets) {
        if (!t.last || !t.last->ok)
            continue; // a target that does not answer has no data series: never zeros
        if (t.last->postgres)
            postgres(e, t.target, *t.last->postgres);
        if (t.last->bouncer)
            bouncer(e, t, *t.last->bouncer);
    }
    return e;
}

} // namespace poolscope::metrics
