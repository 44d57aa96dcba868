#include "parsers.h"

namespace poolscope::parsers {

namespace {

const QString kConsoleDb = QStringLiteral("pgbouncer");

std::optional<double> maxwaitOf(const RowReader &r)
{
    const auto seconds = r.integer(u"maxwait");
    if (!seconds)
        return std::nullopt;
    return double(*seconds) + double(r.integer(u"maxwait_us").value_or(0)) / 1e6;
}

} // namespace

QList<Session> parsePgActivity(const ResultTable &table)
{
    QList<Session> sessions;
    sessions.reserve(table.rowCount());
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const auto pid = r.integer(u"pid");
        if (!pid)
            continue;
        Session s;
        s.pid = *pid;
        s.datname = r.string(u"datname");
        s.usename = r.string(u"usename");
        s.applicationName = r.string(u"application_name");
        s.clientAddr = r.string(u"client_addr");
        s.clientPort = r.integer(u"client_port");
        s.backendType = r.string(u"backend_type");
        s.state = r.text(u"state");
        s.waitEventType = r.string(u"wait_event_type");
        s.waitEvent = r.string(u"wait_event");
        s.backendStart = r.real(u"backend_start");
        s.xactStart = r.real(u"xact_start");
        s.queryStart = r.real(u"query_start");
        s.stateChange = r.real(u"state_change");
        s.query = r.string(u"query");
        s.hidden = s.query == QLatin1String("<insufficient privilege>");
        sessions.append(std::move(s));
    }
    return sessions;
}

StateCounts countStates(const QList<Session> &sessions)
{
    StateCounts counts;
    for (const Session &s : sessions) {
        ++counts[s.stateClass()];
        if (s.hidden)
            ++counts.hidden;
    }
    return counts;
}

void parsePgServer(const ResultTable &table, PostgresSample &sample)
{
    if (table.rowCount() < 1)
        return;
    const RowReader r(table, 0);
    sample.serverNow = r.real(u"server_now").value_or(0);
    sample.serverVersionNum = int(r.integer(u"server_version_num").value_or(0));
    if (auto v = r.integer(u"max_connections"))
        sample.maxConnections = int(*v);
    if (auto v = r.integer(u"superuser_reserved_connections"))
        sample.superuserReserved = int(*v);
    if (auto v = r.integer(u"reserved_connections"))
        sample.reservedConnections = int(*v);
    sample.xactCommit = r.counter(u"xact_commit");
    sample.xactRollback = r.counter(u"xact_rollback");
}

QList<PoolStats> parseShowPools(const ResultTable &table)
{
    QList<PoolStats> pools;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        PoolStats p;
        p.database = r.string(u"database");
        p.user = r.string(u"user");
        if (p.database == kConsoleDb)
            continue;
        p.poolMode = r.text(u"pool_mode");
        p.clActive = r.integer(u"cl_active");
        p.clWaiting = r.integer(u"cl_waiting");
        p.clIdle = r.integer(u"cl_idle");
        p.svActive = r.integer(u"sv_active");
        p.svIdle = r.integer(u"sv_idle");
        p.svUsed = r.integer(u"sv_used");
        p.svTested = r.integer(u"sv_tested");
        p.svLogin = r.integer(u"sv_login");
        p.svActiveCancel = r.integer(u"sv_active_cancel");
        p.svBeingCanceled = r.integer(u"sv_being_canceled");
        p.maxwaitSeconds = maxwaitOf(r);
        pools.append(std::move(p));
    }
    return pools;
}

QList<BouncerDatabase> parseShowDatabases(const ResultTable &table)
{
    QList<BouncerDatabase> dbs;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        BouncerDatabase d;
        d.name = r.string(u"name");
        if (d.name == kConsoleDb)
            continue;
        d.host = r.string(u"host");
        d.port = r.integer(u"port");
        d.database = r.string(u"database");
        d.poolSize = r.integer(u"pool_size");
        // 1.24 renamed reserve_pool to reserve_pool_size.
        d.reservePool = table.hasColumn(u"reserve_pool_size") ? r.integer(u"reserve_pool_size")
                                                              : r.integer(u"reserve_pool");
        d.poolMode = r.text(u"pool_mode");
        d.maxConnections = r.integer(u"max_connections");
        d.currentConnections = r.integer(u"current_connections");
        d.paused = r.boolean(u"paused");
        d.disabled = r.boolean(u"disabled");
        dbs.append(std::move(d));
    }
    return dbs;
}

QList<BouncerStatsTotals> parseShowStatsTotals(const ResultTable &table)
{
    QList<BouncerStatsTotals> totals;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        BouncerStatsTotals t;
        t.database = r.string(u"database");
        if (t.database == kConsoleDb)
            continue;
        t.xactCount = r.counter(u"xact_count");
        t.queryCount = r.counter(u"query_count");
        t.bytesReceived = r.counter(u"bytes_received");
        t.bytesSent = r.counter(u"bytes_sent");
        t.xactTime = r.counter(u"xact_time");
        t.queryTime = r.counter(u"query_time");
        t.waitTime = r.counter(u"wait_time");
        totals.append(std::move(t));
    }
    return totals;
}

void joinPoolSizes(QList<PoolStats> &pools, const QList<BouncerDatabase> &databases)
{
    for (PoolStats &p : pools) {
        for (const BouncerDatabase &d : databases) {
            if (d.name == p.database) {
                p.poolSize = d.poolSize;
                p.reservePool = d.reservePool;
                break;
            }
        }
    }
}

bool isBouncerVersion(const QString &serverVersion)
{
    return serverVersion.endsWith(QLatin1String("/bouncer"));
}

} // namespace poolscope::parsers
