#include "activitycache.h"

#include "postgresparsers.h"

namespace poolscope {

// A field added to Session must be compared below, or a change in it would never reach the cache.
static_assert(sizeof(void *) != 8 || sizeof(Session) == 408,
              "Session changed: compare its fields in sameSession()");

bool sameSession(const Session &a, const Session &b)
{
    return a.pid == b.pid && a.stateChange == b.stateChange && a.queryStart == b.queryStart &&
           a.xactStart == b.xactStart && a.backendStart == b.backendStart && a.state == b.state &&
           a.waitEventType == b.waitEventType && a.waitEvent == b.waitEvent &&
           a.backendXminAge == b.backendXminAge && a.backendXidAge == b.backendXidAge &&
           a.blockedBy == b.blockedBy && a.queryId == b.queryId && a.leaderPid == b.leaderPid &&
           a.hidden == b.hidden && a.clientPort == b.clientPort && a.applicationName == b.applicationName &&
           a.usename == b.usename && a.datname == b.datname && a.clientAddr == b.clientAddr &&
           a.backendType == b.backendType && a.query == b.query;
}

void ActivityCache::reset()
{
    m_sessions.clear();
    m_own.clear();
    m_changed = false;
    m_wholeRows = 0;
}

bool ActivityCache::merge(const ResultTable &table)
{
    const parsers::ActivityColumns c(table);
    DistinctText text;
    const int rows = table.rowCount();
    const QList<Session> &old = m_sessions;
    std::vector<qint64> own;
    own.reserve(m_own.size() + 4);
    // The new list is built only from the first difference on: until then it is old[0, oi) exactly.
    QList<Session> next;
    bool building = false;
    auto build = [&](qsizetype oi) {
        if (building)
            return;
        building = true;
        next.reserve(rows);
        next.append(old.cbegin(), old.cbegin() + oi);
    };
    qsizetype oi = 0; // next cached session
    size_t owni = 0;  // next cached own pid
    qint64 lastPid = -1;
    int whole = 0;
    for (int i = 0; i < rows; ++i) {
        const RowReader r(table, i);
        const std::optional<qint64> pid = r.integer(c.pid);
        if (!pid)
            continue;
        if (*pid <= lastPid && c.whole >= 0)
            return false; // short rows need pid order
        lastPid = *pid;
        while (oi < old.size() && old[oi].pid < *pid) {
            build(oi); // ended
            ++oi;
        }
        while (owni < m_own.size() && m_own[owni] < *pid)
            ++owni;
        const bool cached = oi < old.size() && old[oi].pid == *pid;
        if (c.whole < 0 || r.boolean(c.whole).value_or(true)) {
            ++whole;
            Session s;
            switch (parsers::parseActivityRow(r, c, text, s)) {
            case parsers::ActivityRow::Own:
                own.push_back(*pid);
                if (cached) {
                    build(oi); // became PoolScope's (its application_name changed)
                    ++oi;
                }
                continue;
            case parsers::ActivityRow::Skip:
                continue;
            case parsers::ActivityRow::Session:
                break;
            }
            if (cached && sameSession(old[oi], s)) {
                if (building)
                    next.append(old[oi]); // the cached instance: its strings stay shared
            } else {
                build(oi);
                next.append(std::move(s));
            }
            if (cached)
                ++oi;
            continue;
        }
        // A short row: the session as cached, with its horizon ages now.
        if (owni < m_own.size() && m_own[owni] == *pid) {
            own.push_back(*pid);
            continue;
        }
        if (!cached)
            return false;
        const std::optional<qint64> xmin = r.integer(c.backendXminAge);
        const std::optional<qint64> xid = r.integer(c.backendXidAge);
        if (old[oi].backendXminAge == xmin && old[oi].backendXidAge == xid) {
            if (building)
                next.append(old[oi]);
        } else {
            build(oi);
            Session &s = next.emplace_back(old[oi]);
            s.backendXminAge = xmin;
            s.backendXidAge = xid;
        }
        ++oi;
    }
    if (oi < old.size())
        build(oi); // the rest ended
    if (c.whole < 0 && building) {
        // Rows without `whole` may come in any order.
        std::stable_sort(next.begin(), next.end(),
                         [](const Session &a, const Session &b) { return a.pid < b.pid; });
        std::sort(own.begin(), own.end());
    }
    m_changed = building;
    if (building)
        m_sessions = std::move(next);
    m_own = std::move(own);
    m_wholeRows = whole;
    return true;
}

} // namespace poolscope
