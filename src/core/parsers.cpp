#include "parsers.h"

#include <QHash>
#include <QSet>
#include <algorithm>

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

QList<Session> parsePgActivity(const ResultTable &table, int *poolscopeSessions)
{
    // Columns are looked up once per table, not once per cell: at 1,000+ rows the lookup dominated.
    struct Columns
    {
        explicit Columns(const ResultTable &t)
            : pid(t.column(u"pid")), poolscope(t.column(u"poolscope")), datname(t.column(u"datname")),
              usename(t.column(u"usename")), applicationName(t.column(u"application_name")),
              clientAddr(t.column(u"client_addr")), clientPort(t.column(u"client_port")),
              backendType(t.column(u"backend_type")), state(t.column(u"state")),
              waitEventType(t.column(u"wait_event_type")), waitEvent(t.column(u"wait_event")),
              backendStart(t.column(u"backend_start")), xactStart(t.column(u"xact_start")),
              queryStart(t.column(u"query_start")), stateChange(t.column(u"state_change")),
              query(t.column(u"query")), leaderPid(t.column(u"leader_pid")), queryId(t.column(u"query_id")),
              backendXminAge(t.column(u"backend_xmin_age")), backendXidAge(t.column(u"backend_xid_age")),
              blockedBy(t.column(u"blocked_by"))
        {}
        int pid, poolscope, datname, usename, applicationName, clientAddr, clientPort, backendType, state,
            waitEventType, waitEvent, backendStart, xactStart, queryStart, stateChange, query, leaderPid,
            queryId, backendXminAge, backendXidAge, blockedBy;
    };
    const Columns c(table);
    // Text repeats across rows (a few databases, users, applications, client hosts, states, wait events,
    // statements): each distinct value is decoded once and shared, instead of one allocation per cell.
    QHash<QByteArrayView, QString> names;
    const auto name = [&names](const RowReader &r, int column) -> QString {
        const auto v = r.raw(column);
        if (!v)
            return {};
        auto it = names.constFind(*v);
        if (it == names.constEnd())
            it = names.insert(*v, QString::fromUtf8(*v));
        return *it;
    };
    QList<Session> sessions;
    sessions.reserve(table.rowCount());
    if (poolscopeSessions)
        *poolscopeSessions = 0;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const auto pid = r.integer(c.pid);
        if (!pid)
            continue;
        if (r.boolean(c.poolscope).value_or(false)) {
            if (poolscopeSessions)
                ++*poolscopeSessions;
            continue;
        }
        Session &s = sessions.emplace_back();
        s.pid = *pid;
        s.datname = name(r, c.datname);
        s.usename = name(r, c.usename);
        s.applicationName = name(r, c.applicationName);
        s.clientAddr = name(r, c.clientAddr);
        s.clientPort = r.integer(c.clientPort);
        s.backendType = name(r, c.backendType);
        if (r.raw(c.state))
            s.state = name(r, c.state);
        s.waitEventType = name(r, c.waitEventType);
        s.waitEvent = name(r, c.waitEvent);
        s.backendStart = r.real(c.backendStart);
        s.xactStart = r.real(c.xactStart);
        s.queryStart = r.real(c.queryStart);
        s.stateChange = r.real(c.stateChange);
        s.query = name(r, c.query); // many sessions run the same statement text
        s.hidden = s.query == QLatin1String("<insufficient privilege>");
        s.leaderPid = r.integer(c.leaderPid);
        s.queryId = r.integer(c.queryId);
        s.backendXminAge = r.integer(c.backendXminAge);
        s.backendXidAge = r.integer(c.backendXidAge);
        if (r.raw(c.blockedBy)) // only lock waiters have one
            s.blockedBy = parseIntArray(r.text(c.blockedBy)).value_or(QList<qint64>{});
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
    sample.sessionsKilled = r.counter(u"sessions_killed");
    sample.sessionsFatal = r.counter(u"sessions_fatal");
    sample.sessionsAbandoned = r.counter(u"sessions_abandoned");
}

std::optional<QList<qint64>> parseIntArray(const Cell &text)
{
    if (!text)
        return std::nullopt;
    const QStringView v = QStringView(*text).trimmed();
    if (v.size() < 2 || !v.startsWith(u'{') || !v.endsWith(u'}'))
        return std::nullopt;
    QList<qint64> values;
    const QStringView inner = v.mid(1, v.size() - 2).trimmed();
    if (inner.isEmpty())
        return values;
    for (QStringView item : inner.split(u',')) {
        bool ok = false;
        const qint64 n = item.trimmed().toLongLong(&ok);
        if (!ok)
            return std::nullopt; // NULL elements or nested arrays: not a pid list
        values.append(n);
    }
    return values;
}

QByteArray sqlForVersion(const QByteArray &sql, int serverVersionNum)
{
    static const QByteArray marker = "-- since ";
    QByteArray out;
    out.reserve(sql.size());
    for (const QByteArray &line : sql.split('\n')) {
        const qsizetype at = line.lastIndexOf(marker);
        if (at >= 0) {
            bool ok = false;
            const int major = line.mid(at + marker.size()).trimmed().toInt(&ok);
            if (ok && serverVersionNum < major * 10000)
                continue;
        }
        out += line;
        out += '\n';
    }
    out.chop(1); // split() made one line more than there were newlines
    return out;
}

const QString &groupName(const Session &session, GroupDimension dimension, bool *hidden)
{
    static const QString insufficient = QStringLiteral("<insufficient privilege>");
    if (hidden)
        *hidden = false;
    switch (dimension) {
    case GroupDimension::Application:
        return session.applicationName; // visible to every role, even on hidden rows
    case GroupDimension::User:
        return session.usename;
    case GroupDimension::Database:
        return session.datname;
    case GroupDimension::Client:
        break;
    }
    if (session.hidden && session.clientAddr.isEmpty()) {
        if (hidden)
            *hidden = true;
        return insufficient;
    }
    return session.clientAddr;
}

QList<SessionGroup> groupSessions(const QList<Session> &sessions, GroupDimension dimension)
{
    QList<SessionGroup> groups;
    QHash<QString, qsizetype> index;
    for (const Session &s : sessions) {
        bool hidden = false;
        const QString &name = groupName(s, dimension, &hidden);
        auto it = index.constFind(name);
        if (it == index.constEnd()) {
            it = index.insert(name, groups.size());
            groups.append(SessionGroup{name, hidden, {}});
        }
        SessionGroup &g = groups[*it];
        ++g.counts[s.stateClass()];
        if (s.hidden)
            ++g.counts.hidden;
    }
    std::sort(groups.begin(), groups.end(), [](const SessionGroup &a, const SessionGroup &b) {
        if (a.sessions() != b.sessions())
            return a.sessions() > b.sessions();
        return a.name < b.name;
    });
    return groups;
}

QList<SessionGroup> topGroups(const QList<SessionGroup> &ranked, int n, SessionGroup *others)
{
    const qsizetype keep = std::clamp<qsizetype>(n, 0, ranked.size());
    if (others) {
        *others = SessionGroup{};
        for (qsizetype i = keep; i < ranked.size(); ++i) {
            for (SessionState s : AllSessionStates)
                others->counts[s] += ranked[i].counts[s];
            others->counts.hidden += ranked[i].counts.hidden;
        }
    }
    return ranked.mid(0, keep);
}

QList<qint64> rootBlockers(const PostgresSample &sample)
{
    QSet<qint64> waiting;
    for (const Session &s : sample.sessions) {
        if (s.waitingOnLock())
            waiting.insert(s.pid);
    }
    QList<qint64> roots;
    QSet<qint64> isRoot;
    for (const Session &s : sample.sessions) {
        for (qint64 blocker : s.blockedBy) {
            if (!waiting.contains(blocker) && !isRoot.contains(blocker)) {
                isRoot.insert(blocker);
                roots.append(blocker);
            }
        }
    }
    const QHash<qint64, int> behind = sample.blockedBehind(roots);
    std::sort(roots.begin(), roots.end(), [&behind](qint64 a, qint64 b) {
        if (behind.value(a) != behind.value(b))
            return behind.value(a) > behind.value(b);
        return a < b;
    });
    return roots;
}

void summarizeSessions(PostgresSample &sample)
{
    sample.counts = countStates(sample.sessions);
    sample.lockWaiting = int(std::count_if(sample.sessions.cbegin(), sample.sessions.cend(),
                                           [](const Session &s) { return s.waitingOnLock(); }));
    sample.rootBlockers = rootBlockers(sample);
    for (GroupDimension d : AllGroupDimensions)
        sample.groups[size_t(d)] = groupSessions(sample.sessions, d);
}

QList<PoolStats> parseShowPools(const ResultTable &table, PoolerFlavor /*flavor*/)
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

void joinPoolSizes(QList<PoolStats> &pools, const QList<BouncerDatabase> &databases,
                   const QList<BouncerUser> & /*users*/)
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
