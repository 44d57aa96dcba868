#include "bouncerparsers.h"

#include <QRegularExpression>
#include <algorithm>
#include <chrono>

namespace poolscope::parsers {

namespace {

const QString kConsoleDb = QStringLiteral("pgbouncer");

} // namespace

QList<PoolStats> parseShowPools(const ResultTable &table, PoolerFlavor flavor)
{
    struct Columns
    {
        explicit Columns(const ResultTable &t)
            : database(t.column(u"database")), user(t.column(u"user")), poolMode(t.column(u"pool_mode")),
              clActive(t.column(u"cl_active")), clWaiting(t.column(u"cl_waiting")),
              clIdle(t.column(u"cl_idle")), svActive(t.column(u"sv_active")), svIdle(t.column(u"sv_idle")),
              svUsed(t.column(u"sv_used")), svTested(t.column(u"sv_tested")), svLogin(t.column(u"sv_login")),
              svActiveCancel(t.column(u"sv_active_cancel")), svBeingCanceled(t.column(u"sv_being_canceled")),
              maxwait(t.column(u"maxwait")), maxwaitUs(t.column(u"maxwait_us")),
              clCancelReq(t.column(u"cl_cancel_req")), clActiveCancelReq(t.column(u"cl_active_cancel_req")),
              clWaitingCancelReq(t.column(u"cl_waiting_cancel_req"))
        {}
        int database, user, poolMode, clActive, clWaiting, clIdle, svActive, svIdle, svUsed, svTested,
            svLogin, svActiveCancel, svBeingCanceled, maxwait, maxwaitUs, clCancelReq, clActiveCancelReq,
            clWaitingCancelReq;
    };
    const Columns c(table);
    // Odyssey sends these as constant zeros: reporting them would claim "nobody waits" without knowing.
    const bool odyssey = flavor == PoolerFlavor::Odyssey;
    QList<PoolStats> pools;
    pools.reserve(table.rowCount());
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        PoolStats p;
        p.database = r.string(c.database);
        p.user = r.string(c.user);
        if (p.database == kConsoleDb)
            continue;
        p.poolMode = r.text(c.poolMode);
        p.clActive = r.integer(c.clActive);
        p.clWaiting = r.integer(c.clWaiting);
        p.clIdle = r.integer(c.clIdle);
        p.svActive = r.integer(c.svActive);
        p.svIdle = r.integer(c.svIdle);
        p.svActiveCancel = r.integer(c.svActiveCancel);
        p.svBeingCanceled = r.integer(c.svBeingCanceled);
        p.clCancelReq = r.integer(c.clCancelReq);
        p.clActiveCancelReq = r.integer(c.clActiveCancelReq);
        p.clWaitingCancelReq = r.integer(c.clWaitingCancelReq);
        if (!odyssey) {
            p.svUsed = r.integer(c.svUsed);
            p.svTested = r.integer(c.svTested);
            p.svLogin = r.integer(c.svLogin);
            if (const auto seconds = r.integer(c.maxwait))
                p.maxwaitSeconds = double(*seconds) + double(r.integer(c.maxwaitUs).value_or(0)) / 1e6;
        }
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

namespace {

// SHOW STATS_TOTALS names its counters plainly; SHOW STATS prefixes them with "total_" and calls the byte
// counters total_received / total_sent. One reader serves both.
QList<BouncerStatsTotals> parseTotals(const ResultTable &table, bool prefixed)
{
    const auto col = [&table, prefixed](const char16_t *plain, const char16_t *stats) {
        return table.column(prefixed ? QStringView(stats) : QStringView(plain));
    };
    const int database = table.column(u"database");
    const int user = table.column(u"user");
    const int serverAssignment = col(u"server_assignment_count", u"total_server_assignment_count");
    const int clientParse = col(u"client_parse_count", u"total_client_parse_count");
    const int serverParse = col(u"server_parse_count", u"total_server_parse_count");
    const int bind = col(u"bind_count", u"total_bind_count");
    const int errors = col(u"errors", u"total_errors");
    const int xact = col(u"xact_count", u"total_xact_count");
    const int query = col(u"query_count", u"total_query_count");
    const int received = col(u"bytes_received", u"total_received");
    const int sent = col(u"bytes_sent", u"total_sent");
    const int xactTime = col(u"xact_time", u"total_xact_time");
    const int queryTime = col(u"query_time", u"total_query_time");
    const int waitTime = col(u"wait_time", u"total_wait_time");
    QList<BouncerStatsTotals> totals;
    totals.reserve(table.rowCount());
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        BouncerStatsTotals t;
        t.database = r.string(database);
        if (t.database == kConsoleDb)
            continue;
        t.user = r.string(user);
        t.serverAssignmentCount = r.counter(serverAssignment);
        t.clientParseCount = r.counter(clientParse);
        t.serverParseCount = r.counter(serverParse);
        t.bindCount = r.counter(bind);
        t.errors = r.counter(errors);
        t.xactCount = r.counter(xact);
        t.queryCount = r.counter(query);
        t.bytesReceived = r.counter(received);
        t.bytesSent = r.counter(sent);
        t.xactTime = r.counter(xactTime);
        t.queryTime = r.counter(queryTime);
        t.waitTime = r.counter(waitTime);
        totals.append(std::move(t));
    }
    return totals;
}

// A pool or user setting that may be unset: NULL, or a negative placeholder.
std::optional<qint64> setting(const RowReader &r, int column)
{
    const auto v = r.integer(column);
    if (!v || *v < 0)
        return std::nullopt;
    return v;
}

bool digits(QByteArrayView v, qsizetype at, qsizetype n, int *out)
{
    if (at + n > v.size())
        return false;
    int value = 0;
    for (qsizetype i = at; i < at + n; ++i) {
        const char ch = v[i];
        if (ch < '0' || ch > '9')
            return false;
        value = value * 10 + (ch - '0');
    }
    *out = value;
    return true;
}

// "2026-11-23 03:15:24 UTC", "2026-11-23 03:15:24.123456 UTC", an ISO 'T', a zone of Z, UTC, GMT, +HH, +HH:MM
// or +HHMM, or none (UTC). Anything else is unknown rather than a guess.
std::optional<double> parseTimestamp(std::optional<QByteArrayView> cell)
{
    if (!cell)
        return std::nullopt;
    const QByteArrayView v = cell->trimmed();
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (v.size() < 19 || !digits(v, 0, 4, &y) || v[4] != '-' || !digits(v, 5, 2, &mo) || v[7] != '-' ||
        !digits(v, 8, 2, &d) || (v[10] != ' ' && v[10] != 'T') || !digits(v, 11, 2, &h) || v[13] != ':' ||
        !digits(v, 14, 2, &mi) || v[16] != ':' || !digits(v, 17, 2, &s))
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return std::nullopt;
    qsizetype at = 19;
    double fraction = 0;
    if (at < v.size() && v[at] == '.') {
        double scale = 0.1;
        ++at;
        const qsizetype first = at;
        for (; at < v.size() && v[at] >= '0' && v[at] <= '9'; ++at, scale /= 10)
            fraction += (v[at] - '0') * scale;
        if (at == first)
            return std::nullopt;
    }
    while (at < v.size() && v[at] == ' ')
        ++at;
    const QByteArrayView zone = v.sliced(at);
    int offsetSeconds = 0;
    if (zone.isEmpty() || zone == "UTC" || zone == "GMT" || zone == "Z") {
        // UTC
    } else if (zone[0] == '+' || zone[0] == '-') {
        int zh = 0, zm = 0;
        if (!digits(zone, 1, 2, &zh))
            return std::nullopt;
        if (zone.size() == 6 && zone[3] == ':') {
            if (!digits(zone, 4, 2, &zm))
                return std::nullopt;
        } else if (zone.size() == 5) {
            if (!digits(zone, 3, 2, &zm))
                return std::nullopt;
        } else if (zone.size() != 3) {
            return std::nullopt;
        }
        offsetSeconds = (zh * 3600 + zm * 60) * (zone[0] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    // A day past the month's end (d <= 31 above) rolls over into the next month, as sys_days defines it.
    const std::chrono::sys_days date{std::chrono::year{y} / std::chrono::month{unsigned(mo)} /
                                     std::chrono::day{unsigned(d)}};
    const qint64 days = date.time_since_epoch().count();
    return double(days * 86400 + h * 3600 + mi * 60 + s - offsetSeconds) + fraction;
}

// PgBouncer prints an unset pointer as an empty cell; some builds print "(nil)" or 0x0.
QString pointerText(const RowReader &r, int column)
{
    const auto v = r.raw(column);
    if (!v)
        return {};
    const QByteArrayView t = v->trimmed();
    if (t.isEmpty() || t == "(nil)" || t == "0x0" || t == "0")
        return {};
    return QString::fromLatin1(t);
}

QString bouncerKey(const QString &database, const QString &user)
{
    return user.isEmpty() ? database : database + QLatin1Char('\n') + user;
}

} // namespace

QList<BouncerStatsTotals> parseShowStatsTotals(const ResultTable &table)
{
    return parseTotals(table, false);
}

QList<BouncerStatsTotals> parseShowStats(const ResultTable &table)
{
    return parseTotals(table, true);
}

QList<BouncerUser> parseShowUsers(const ResultTable &table)
{
    const int name = table.column(u"name");
    const int poolSize = table.column(u"pool_size");
    const int reserve = table.column(u"reserve_pool_size");
    const int poolMode = table.column(u"pool_mode");
    const int maxUser = table.column(u"max_user_connections");
    const int current = table.column(u"current_connections");
    const int maxClient = table.column(u"max_user_client_connections");
    const int currentClient = table.column(u"current_client_connections");
    QList<BouncerUser> users;
    users.reserve(table.rowCount());
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        BouncerUser u;
        u.name = r.string(name);
        if (u.name.isEmpty())
            continue;
        u.poolSize = setting(r, poolSize);
        u.reservePoolSize = setting(r, reserve);
        u.poolMode = r.text(poolMode);
        u.maxUserConnections = r.integer(maxUser);
        u.currentConnections = r.integer(current);
        u.maxUserClientConnections = r.integer(maxClient);
        u.currentClientConnections = r.integer(currentClient);
        users.append(std::move(u));
    }
    return users;
}

QList<BouncerConnection> parseShowConnections(const ResultTable &table)
{
    struct Columns
    {
        explicit Columns(const ResultTable &t)
            : type(t.column(u"type")), user(t.column(u"user")), database(t.column(u"database")),
              state(t.column(u"state")), addr(t.column(u"addr")), port(t.column(u"port")),
              localAddr(t.column(u"local_addr")), localPort(t.column(u"local_port")),
              connectTime(t.column(u"connect_time")), requestTime(t.column(u"request_time")),
              wait(t.column(u"wait")), waitUs(t.column(u"wait_us")), closeNeeded(t.column(u"close_needed")),
              ptr(t.column(u"ptr")), link(t.column(u"link")), remotePid(t.column(u"remote_pid")),
              tls(t.column(u"tls")), applicationName(t.column(u"application_name")),
              preparedStatements(t.column(u"prepared_statements")), replication(t.column(u"replication")),
              id(t.column(u"id"))
        {}
        int type, user, database, state, addr, port, localAddr, localPort, connectTime, requestTime, wait,
            waitUs, closeNeeded, ptr, link, remotePid, tls, applicationName, preparedStatements, replication,
            id;
    };
    const Columns c(table);
    DistinctText name; // a few users, databases, states, hosts and applications over thousands of rows
    QList<BouncerConnection> out;
    out.reserve(table.rowCount());
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        BouncerConnection b;
        b.type = name(r, c.type);
        b.user = name(r, c.user);
        b.database = name(r, c.database);
        b.state = name(r, c.state);
        b.addr = name(r, c.addr);
        b.port = r.integer(c.port);
        b.localAddr = name(r, c.localAddr);
        b.localPort = r.integer(c.localPort);
        b.connectTime = parseTimestamp(r.raw(c.connectTime));
        b.requestTime = parseTimestamp(r.raw(c.requestTime));
        if (const auto seconds = r.integer(c.wait))
            b.waitSeconds = double(*seconds) + double(r.integer(c.waitUs).value_or(0)) / 1e6;
        b.closeNeeded = r.boolean(c.closeNeeded);
        b.ptr = pointerText(r, c.ptr);
        b.link = pointerText(r, c.link);
        // 0 on client rows and on servers whose pid PgBouncer never learnt: not a backend.
        if (const auto pid = r.integer(c.remotePid); pid && *pid > 0)
            b.remotePid = pid;
        b.tls = name(r, c.tls);
        b.applicationName = name(r, c.applicationName);
        b.preparedStatements = r.integer(c.preparedStatements);
        if (r.raw(c.replication))
            b.replication = name(r, c.replication);
        b.id = r.integer(c.id); // Odyssey's ids are text ("c3a1..."): not a KILL_CLIENT argument, unknown
        out.append(std::move(b));
    }
    return out;
}

QList<QPair<QString, qint64>> parseShowLists(const ResultTable &table)
{
    const int list = table.column(u"list");
    const int items = table.column(u"items");
    QList<QPair<QString, qint64>> out;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const QString key = r.string(list);
        const auto n = r.integer(items);
        if (key.isEmpty() || !n)
            continue;
        out.append({key, *n});
    }
    return out;
}

QHash<QString, QString> parseShowConfig(const ResultTable &table)
{
    const int key = table.column(u"key");
    const int value = table.column(u"value");
    QHash<QString, QString> out;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const QString k = r.string(key);
        if (!k.isEmpty())
            out.insert(k, r.string(value));
    }
    return out;
}

void parseShowState(const ResultTable &table, BouncerSample &sample)
{
    const int key = table.column(u"key");
    const int value = table.column(u"value");
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const QString k = r.string(key);
        if (k == QLatin1String("paused"))
            sample.paused = r.boolean(value);
        else if (k == QLatin1String("suspended"))
            sample.suspended = r.boolean(value);
    }
}

int parseBouncerVersion(const QString &text)
{
    // "PgBouncer 1.18.0" (SHOW VERSION, also inside longer texts) or "1.18.0/bouncer" (server_version).
    // PgCat and Odyssey print their own version numbers: those are not PgBouncer releases and give 0.
    static const QRegularExpression named(QStringLiteral("\\bpgbouncer\\s+(\\d+)\\.(\\d+)(?:\\.(\\d+))?"),
                                          QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression suffixed(
        QStringLiteral("^\\s*(\\d+)\\.(\\d+)(?:\\.(\\d+))?/bouncer\\s*$"));
    QRegularExpressionMatch m = named.match(text);
    if (!m.hasMatch())
        m = suffixed.match(text);
    if (!m.hasMatch())
        return 0;
    const int major = m.captured(1).toInt();
    const int minor = m.captured(2).toInt();
    const int patch = m.captured(3).isEmpty() ? 0 : m.captured(3).toInt();
    if (major > 99 || minor > 99 || patch > 99)
        return 0;
    return major * 10000 + minor * 100 + patch;
}

PoolerFlavor detectFlavor(const QString &versionText, const ResultTable &pools)
{
    if (versionText.contains(QLatin1String("odyssey"), Qt::CaseInsensitive))
        return PoolerFlavor::Odyssey;
    if (versionText.contains(QLatin1String("pgcat"), Qt::CaseInsensitive))
        return PoolerFlavor::PgCat;
    // PgCat's SHOW POOLS puts pool_mode third and counts idle clients apart; PgBouncer never does either.
    if (pools.column(u"pool_mode") == 2 || pools.hasColumn(u"cl_idle"))
        return PoolerFlavor::PgCat;
    return PoolerFlavor::PgBouncer;
}

ConsoleAccess consoleAccess(const QHash<QString, QString> &config, const QString &user)
{
    if (user.isEmpty())
        return ConsoleAccess::Unknown;
    // auth_type=any lets any name in, with a level the docs and the code disagree on.
    if (config.value(QStringLiteral("auth_type"))
            .trimmed()
            .compare(QLatin1String("any"), Qt::CaseInsensitive) == 0)
        return ConsoleAccess::Unknown;
    if (user == QLatin1String("pgbouncer"))
        return ConsoleAccess::Admin;
    const auto listed = [&config, &user](const QString &key) {
        static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
        return config.value(key).split(separators, Qt::SkipEmptyParts).contains(user);
    };
    const bool hasAdmin = config.contains(QStringLiteral("admin_users"));
    const bool hasStats = config.contains(QStringLiteral("stats_users"));
    if (!hasAdmin && !hasStats)
        return ConsoleAccess::Unknown;
    if (listed(QStringLiteral("admin_users")))
        return ConsoleAccess::Admin;
    if (listed(QStringLiteral("stats_users")))
        return ConsoleAccess::StatsOnly;
    // In neither list yet logged in: not an admin (admin_users is known), so at most SHOW commands.
    return hasAdmin ? ConsoleAccess::StatsOnly : ConsoleAccess::Unknown;
}

void joinPoolSizes(QList<PoolStats> &pools, const QList<BouncerDatabase> &databases,
                   const QList<BouncerUser> &users)
{
    QHash<QString, const BouncerDatabase *> byDatabase;
    for (const BouncerDatabase &d : databases)
        byDatabase.insert(d.name, &d);
    QHash<QString, const BouncerUser *> byUser;
    for (const BouncerUser &u : users)
        byUser.insert(u.name, &u);
    for (PoolStats &p : pools) {
        const BouncerDatabase *d = byDatabase.value(p.database);
        const BouncerUser *u = byUser.value(p.user);
        p.poolSize = u && u->poolSize ? u->poolSize : d ? d->poolSize : std::nullopt;
        p.reservePool = u && u->reservePoolSize ? u->reservePoolSize : d ? d->reservePool : std::nullopt;
    }
}

void deriveBouncerRates(BouncerSample &current, const BouncerSample &previous, double seconds)
{
    QHash<QString, const BouncerStatsTotals *> before;
    for (const BouncerStatsTotals &t : previous.totals)
        before.insert(bouncerKey(t.database, t.user), &t);
    QHash<QString, const BouncerStatsTotals *> now;
    bool perUser = false; // PgCat keys its stats by (database, user)
    for (const BouncerStatsTotals &t : current.totals) {
        now.insert(bouncerKey(t.database, t.user), &t);
        perUser = perUser || !t.user.isEmpty();
    }
    const auto delta = [](const std::optional<quint64> &a, const std::optional<quint64> &b) {
        return a && b && *a >= *b ? std::optional<quint64>(*a - *b) : std::nullopt;
    };
    for (PoolStats &p : current.pools) {
        p.tps.reset();
        p.qps.reset();
        p.idleInXactMs.reset();
        if (seconds <= 0)
            continue;
        const QString key = bouncerKey(p.database, perUser ? p.user : QString());
        const BouncerStatsTotals *a = now.value(key);
        const BouncerStatsTotals *b = before.value(key);
        if (!a || !b)
            continue;
        const auto dXact = delta(a->xactCount, b->xactCount);
        const auto dQuery = delta(a->queryCount, b->queryCount);
        if (dXact)
            p.tps = double(*dXact) / seconds;
        if (dQuery)
            p.qps = double(*dQuery) / seconds;
        const auto dXactTime = delta(a->xactTime, b->xactTime);
        const auto dQueryTime = delta(a->queryTime, b->queryTime);
        if (dXact && *dXact > 0 && dXactTime && dQueryTime) {
            // Both are credited on completion: a transaction finishing after the last of its queries makes
            // the difference briefly negative; that is no idle time, not a negative one.
            const double idleUs = std::max(0.0, double(*dXactTime) - double(*dQueryTime));
            p.idleInXactMs = idleUs / double(*dXact) / 1000.0;
        }
    }
}

bool isBouncerVersion(const QString &serverVersion)
{
    return serverVersion.endsWith(QLatin1String("/bouncer"));
}

} // namespace poolscope::parsers
