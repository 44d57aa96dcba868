#include "postgresparsers.h"

namespace poolscope::parsers {

ActivityColumns::ActivityColumns(const ResultTable &t)
    : pid(t.column(u"pid")), whole(t.column(u"whole")), poolscope(t.column(u"poolscope")),
      datname(t.column(u"datname")), usename(t.column(u"usename")),
      applicationName(t.column(u"application_name")), clientAddr(t.column(u"client_addr")),
      clientPort(t.column(u"client_port")), backendType(t.column(u"backend_type")), state(t.column(u"state")),
      waitEventType(t.column(u"wait_event_type")), waitEvent(t.column(u"wait_event")),
      backendStart(t.column(u"backend_start")), xactStart(t.column(u"xact_start")),
      queryStart(t.column(u"query_start")), stateChange(t.column(u"state_change")), query(t.column(u"query")),
      leaderPid(t.column(u"leader_pid")), queryId(t.column(u"query_id")),
      backendXminAge(t.column(u"backend_xmin_age")), backendXidAge(t.column(u"backend_xid_age")),
      blockedBy(t.column(u"blocked_by")), shortPids(t.column(u"short_pids")),
      agedPids(t.column(u"aged_pids")), agedXminAges(t.column(u"aged_xmin_ages")),
      agedXidAges(t.column(u"aged_xid_ages")), shortKey(t.column(u"short_key"))
{}

ActivityRow parseActivityRow(const RowReader &r, const ActivityColumns &c, DistinctText &name, Session &s)
{
    const auto pid = r.integer(c.pid);
    if (!pid)
        return ActivityRow::Skip;
    if (r.boolean(c.poolscope).value_or(false))
        return ActivityRow::Own;
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
    return ActivityRow::Session;
}

QList<Session> parsePgActivity(const ResultTable &table, int *poolscopeSessions)
{
    const ActivityColumns c(table);
    DistinctText name; // databases, users, applications, hosts, states, wait events and statements repeat
    QList<Session> sessions;
    sessions.reserve(table.rowCount());
    if (poolscopeSessions)
        *poolscopeSessions = 0;
    for (int i = 0; i < table.rowCount(); ++i) {
        Session s;
        switch (parseActivityRow(RowReader(table, i), c, name, s)) {
        case ActivityRow::Session:
            sessions.append(std::move(s));
            break;
        case ActivityRow::Own:
            if (poolscopeSessions)
                ++*poolscopeSessions;
            break;
        case ActivityRow::Skip:
            break;
        }
    }
    return sessions;
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
    sample.postmasterStart = r.real(u"postmaster_start");
    sample.statsReset = r.real(u"stats_reset");
    sample.sessionsTotal = r.counter(u"sessions");
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

} // namespace poolscope::parsers
