#include "activitycache.h"

#include "postgresparsers.h"

#include <algorithm>

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
    m_short = {};
    m_wholeOwn.clear();
    m_changed = false;
    m_wholeRows = 0;
}

namespace {

using Values = std::vector<std::optional<qint64>>;

// A PostgreSQL integer array's text ("{1,2,NULL,3}") into `out`; false when it is not one.
bool parseArray(std::optional<QByteArrayView> text, Values &out)
{
    out.clear();
    if (!text || text->size() < 2 || text->front() != '{' || text->back() != '}')
        return false;
    const char *p = text->data() + 1;
    const char *const end = text->data() + text->size() - 1;
    while (p < end) {
        if (*p == 'N') { // NULL
            out.emplace_back();
            p += 4;
        } else {
            const bool negative = *p == '-';
            if (negative)
                ++p;
            qint64 v = 0;
            const char *digits = p;
            while (p < end && *p >= '0' && *p <= '9')
                v = v * 10 + (*p++ - '0');
            if (p == digits)
                return false;
            out.emplace_back(negative ? -v : v);
        }
        if (p < end && *p++ != ',')
            return false;
    }
    return true;
}

// One session of the result in pid order: a whole row, or a short one (its row, or an element of the
// short_pids array) with its horizon ages.
struct Entry
{
    qint64 pid = 0;
    int row = -1; // whole rows only
    std::optional<qint64> xmin;
    std::optional<qint64> xid;
};

// The result's sessions in pid order; false when they are not (short rows need it) or the arrays are
// malformed, or left out although `last` is not what they were. `shorts` gets the short set of this result.
bool entriesOf(const ResultTable &table, const parsers::ActivityColumns &c,
               const ActivityCache::ShortSet &last, std::vector<Entry> &out, ActivityCache::ShortSet &shorts)
{
    out.clear();
    out.reserve(size_t(table.rowCount()));
    shorts = {};
    bool haveArrays = false;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const std::optional<qint64> pid = r.integer(c.pid);
        if (!pid)
            continue;
        if (c.whole < 0 || r.boolean(c.whole).value_or(true)) {
            out.push_back({*pid, i, {}, {}});
        } else if (c.shortPids >= 0) {
            // The one row carrying every short session, or only the hash of the arrays it had last time.
            const std::optional<qint64> key = c.shortKey >= 0 ? r.integer(c.shortKey) : std::nullopt;
            if (haveArrays)
                return false;
            if (r.raw(c.shortPids)) {
                if (!parseArray(r.raw(c.shortPids), shorts.pids) ||
                    !parseArray(r.raw(c.agedPids).value_or("{}"), shorts.agedPids) ||
                    !parseArray(r.raw(c.agedXminAges).value_or("{}"), shorts.xminAges) ||
                    !parseArray(r.raw(c.agedXidAges).value_or("{}"), shorts.xidAges) ||
                    shorts.xminAges.size() != shorts.agedPids.size() ||
                    shorts.xidAges.size() != shorts.agedPids.size())
                    return false;
                shorts.key = key;
                haveArrays = true;
            } else if (key) {
                if (key != last.key)
                    return false; // not the arrays we have
                shorts = last;
                haveArrays = true;
            }
        } else {
            out.push_back({*pid, -1, r.integer(c.backendXminAge), r.integer(c.backendXidAge)});
        }
    }
    if (haveArrays) {
        // Whole rows and the short pids, both in pid order, into one sequence.
        std::vector<Entry> whole;
        whole.swap(out);
        out.reserve(whole.size() + shorts.pids.size());
        const Values &agedPids = shorts.agedPids;
        size_t w = 0, a = 0;
        for (const std::optional<qint64> &pid : shorts.pids) {
            if (!pid)
                return false;
            while (w < whole.size() && whole[w].pid < *pid)
                out.push_back(whole[w++]);
            Entry e{*pid, -1, {}, {}};
            while (a < agedPids.size() && agedPids[a].value_or(-1) < *pid)
                ++a;
            if (a < agedPids.size() && agedPids[a] == pid) {
                e.xmin = shorts.xminAges[a];
                e.xid = shorts.xidAges[a];
            }
            out.push_back(e);
        }
        while (w < whole.size())
            out.push_back(whole[w++]);
    }
    if (c.whole >= 0) {
        for (size_t i = 1; i < out.size(); ++i) {
            if (out[i].pid <= out[i - 1].pid)
                return false; // short sessions are matched in pid order
        }
    }
    return true;
}

} // namespace

bool ActivityCache::mergeUnchanged(const ResultTable &table, const parsers::ActivityColumns &c)
{
    if (c.whole < 0 || c.shortPids < 0 || c.shortKey < 0 || !m_short.key)
        return false;
    DistinctText text;
    std::vector<qint64> wholeOwn;
    qsizetype wholeSessions = 0;
    int whole = 0;
    bool carrier = false;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const std::optional<qint64> pid = r.integer(c.pid);
        if (!pid)
            continue;
        if (!r.boolean(c.whole).value_or(true)) {
            // The short sessions' row: only their key, and it is the last merge's.
            if (carrier || r.raw(c.shortPids) || r.integer(c.shortKey) != m_short.key)
                return false;
            carrier = true;
            continue;
        }
        ++whole;
        Session s;
        switch (parsers::parseActivityRow(r, c, text, s)) {
        case parsers::ActivityRow::Own:
            wholeOwn.push_back(*pid);
            continue;
        case parsers::ActivityRow::Skip:
            continue;
        case parsers::ActivityRow::Session:
            break;
        }
        const auto it = std::lower_bound(m_sessions.cbegin(), m_sessions.cend(), *pid,
                                         [](const Session &a, qint64 p) { return a.pid < p; });
        if (it == m_sessions.cend() || it->pid != *pid || !sameSession(*it, s))
            return false;
        ++wholeSessions;
    }
    std::sort(wholeOwn.begin(), wholeOwn.end());
    // Every cached session is still there (as a whole row, or among the short ones as before), and the own
    // connections are the same: nothing changed.
    if (!carrier || wholeOwn != m_wholeOwn || wholeSessions + m_short.sessions != m_sessions.size())
        return false;
    m_changed = false;
    m_wholeRows = whole;
    return true;
}

bool ActivityCache::merge(const ResultTable &table)
{
    const parsers::ActivityColumns c(table);
    if (mergeUnchanged(table, c))
        return true;
    std::vector<Entry> entries;
    ShortSet shorts;
    if (!entriesOf(table, c, m_short, entries, shorts))
        return false;
    DistinctText text;
    const qsizetype rows = qsizetype(entries.size());
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
    int whole = 0;
    std::vector<qint64> wholeOwn;
    qsizetype shortSessions = 0;
    for (const Entry &e : entries) {
        const qint64 pid = e.pid;
        while (oi < old.size() && old[oi].pid < pid) {
            build(oi); // ended
            ++oi;
        }
        while (owni < m_own.size() && m_own[owni] < pid)
            ++owni;
        const bool cached = oi < old.size() && old[oi].pid == pid;
        if (e.row >= 0) {
            const RowReader r(table, e.row);
            ++whole;
            Session s;
            switch (parsers::parseActivityRow(r, c, text, s)) {
            case parsers::ActivityRow::Own:
                own.push_back(pid);
                wholeOwn.push_back(pid);
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
        if (owni < m_own.size() && m_own[owni] == pid) {
            own.push_back(pid);
            continue;
        }
        if (!cached)
            return false;
        ++shortSessions;
        const std::optional<qint64> &xmin = e.xmin;
        const std::optional<qint64> &xid = e.xid;
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
    std::sort(wholeOwn.begin(), wholeOwn.end());
    m_wholeOwn = std::move(wholeOwn);
    shorts.sessions = shortSessions;
    m_short = std::move(shorts);
    m_wholeRows = whole;
    return true;
}

} // namespace poolscope
