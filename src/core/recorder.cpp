#include "recorder.h"

#include "sessionanalysis.h"

#include <QHash>
#include <QSet>
#include <algorithm>
#include <array>

namespace poolscope {

namespace series {

QString sessionState(SessionState state)
{
    // Asked for every state at every sample: built once.
    static const auto names = [] {
        std::array<QString, SessionStateCount> out;
        for (SessionState s : AllSessionStates)
            out[size_t(s)] = QStringLiteral("sessions/") + sessionStateName(s);
        return out;
    }();
    return names[size_t(state)];
}

QString group(GroupDimension dimension, const QString &name)
{
    return QStringLiteral("group/") + groupDimensionName(dimension) + QLatin1Char('/') + name;
}

QString groupOthers(GroupDimension dimension)
{
    static const auto names = [] {
        std::array<QString, GroupDimensionCount> out;
        for (GroupDimension d : AllGroupDimensions)
            out[size_t(d)] = QStringLiteral("group_others/") + groupDimensionName(d);
        return out;
    }();
    return names[size_t(dimension)];
}

QString pool(const QString &poolKey, const QString &metric)
{
    return QStringLiteral("pool/") + poolKey + QLatin1Char('/') + metric;
}

const QStringList &poolMetrics()
{
    static const QStringList metrics = {
        QStringLiteral("cl_active"), QStringLiteral("cl_waiting"), QStringLiteral("sv_active"),
        QStringLiteral("sv_idle"),   QStringLiteral("sv_used"),    QStringLiteral("sv_tested"),
        QStringLiteral("sv_login"),  QStringLiteral("pool_size"),  QStringLiteral("maxwait_s")};
    return metrics;
}

} // namespace series

namespace {

void put(SeriesSet &set, const QString &name, double t, const std::optional<double> &v)
{
    if (v)
        set[name].append(t, *v);
    else
        set[name].appendGap(t);
}

std::optional<double> d(const std::optional<qint64> &v)
{
    return v ? std::optional<double>(double(*v)) : std::nullopt;
}

/// The largest value of `ts` since `from` (raw samples; gaps ignored).
double peakSince(const TimeSeries &ts, double from)
{
    double peak = 0;
    for (int i = ts.lowerBound(from); i < ts.size(); ++i) {
        if (ts.valueAt(i) > peak) // NaN (a gap) compares false
            peak = ts.valueAt(i);
    }
    return peak;
}

/// Makes room for a group entering the top N when MaxRecordedGroups have series already: drops the series
/// of the recorded group outside this sample's top N that mattered least lately (the lowest peak over the
/// last EvictionLookbackS; of equals, the first by name).
void evictGroup(SeriesSet &set, GroupDimension d, QStringList &recorded, const QList<SessionGroup> &top,
                double t)
{
    int victim = -1;
    double victimPeak = 0;
    for (int i = 0; i < recorded.size(); ++i) {
        const bool inTop =
            std::any_of(top.begin(), top.end(), [&](const SessionGroup &g) { return g.name == recorded[i]; });
        if (inTop)
            continue;
        const TimeSeries *ts = set.find(series::group(d, recorded[i]));
        const double peak = ts ? peakSince(*ts, t - series::EvictionLookbackS) : 0;
        if (victim < 0 || peak < victimPeak) {
            victim = i;
            victimPeak = peak;
        }
    }
    if (victim < 0)
        return;
    set.remove(series::group(d, recorded[victim]));
    recorded.removeAt(victim);
}

void recordGroups(SeriesSet &set, double t, const PostgresSample &pg)
{
    for (GroupDimension d : AllGroupDimensions) {
        const QList<SessionGroup> &groups = pg.groupsBy(d);
        SessionGroup others;
        const QList<SessionGroup> top = analysis::topGroups(groups, series::GroupTopN, &others);
        const QString prefix = series::group(d, QString());
        // Every group in this sample's top N has a series, however many came before it: a cap that keeps the
        // first ones seen would hide the one that matters now.
        for (const SessionGroup &g : top) {
            if (g.sessions() <= 0 || set.find(prefix + g.name))
                continue;
            QStringList recorded = set.namesAfter(prefix);
            if (recorded.size() >= series::MaxRecordedGroups)
                evictGroup(set, d, recorded, top, t);
            set[prefix + g.name];
        }
        // Every recorded group gets this sample's count (0 when it has no session now). Few groups are
        // looked up in place; many (client addresses) through a hash.
        constexpr qsizetype FewGroups = 32;
        QHash<QString, int> many;
        if (groups.size() > FewGroups) {
            for (const SessionGroup &g : groups)
                many.insert(g.name, g.sessions());
        }
        set.forEachAfter(prefix, [&](QStringView name, TimeSeries &ts) {
            int n = 0;
            if (groups.size() > FewGroups) {
                n = many.value(name.toString(), 0);
            } else {
                for (const SessionGroup &g : groups) {
                    if (g.name == name) {
                        n = g.sessions();
                        break;
                    }
                }
            }
            ts.append(t, n);
        });
        set[series::groupOthers(d)].append(t, others.sessions());
    }
}

} // namespace

void recordSnapshot(SeriesSet &set, const TargetSnapshot &snapshot)
{
    const double t = double(snapshot.sampledAtMs) / 1000.0;
    if (t < set.lastTime())
        return; // out of order: ring buffers need non-decreasing time
    set.noteTime(t);
    if (!snapshot.ok) {
        for (const QString &name : set.names())
            set[name].appendGap(t);
        return;
    }
    if (snapshot.postgres) {
        const PostgresSample &pg = *snapshot.postgres;
        for (SessionState s : AllSessionStates)
            set[series::sessionState(s)].append(t, pg.counts[s]);
        set[series::sessionsTotal()].append(t, pg.counts.total());
        put(set, series::usableLimit(), t,
            pg.usableConnections() ? std::optional<double>(*pg.usableConnections()) : std::nullopt);
        put(set, series::rollbacksPerSecond(), t, pg.rollbacksPerSecond);
        recordGroups(set, t, pg);
    }
    put(set, series::tps(), t, snapshot.tps);
    if (snapshot.bouncer) {
        for (const PoolStats &p : snapshot.bouncer->pools) {
            const QString key = p.key();
            put(set, series::pool(key, QStringLiteral("cl_active")), t, d(p.clActive));
            put(set, series::pool(key, QStringLiteral("cl_waiting")), t, d(p.clWaiting));
            put(set, series::pool(key, QStringLiteral("sv_active")), t, d(p.svActive));
            put(set, series::pool(key, QStringLiteral("sv_idle")), t, d(p.svIdle));
            put(set, series::pool(key, QStringLiteral("sv_used")), t, d(p.svUsed));
            put(set, series::pool(key, QStringLiteral("sv_tested")), t, d(p.svTested));
            put(set, series::pool(key, QStringLiteral("sv_login")), t, d(p.svLogin));
            put(set, series::pool(key, QStringLiteral("pool_size")), t, d(p.poolSize));
            put(set, series::pool(key, QStringLiteral("maxwait_s")), t, p.maxwaitSeconds);
            std::optional<double> cancel;
            if (p.svActiveCancel || p.svBeingCanceled)
                cancel = double(p.svActiveCancel.value_or(0) + p.svBeingCanceled.value_or(0));
            put(set, series::pool(key, QStringLiteral("sv_cancel")), t, cancel);
            put(set, series::pool(key, QStringLiteral("sv_total")), t, d(p.serverCount()));
            const bool sized = p.poolSize && *p.poolSize > 0;
            put(set, series::pool(key, QStringLiteral("pool_reserve_limit")), t,
                sized ? std::optional<double>(double(*p.poolSize + p.reservePool.value_or(0)))
                      : std::nullopt);
        }
        bool ok = false;
        const double timeout =
            snapshot.bouncer->config.value(QStringLiteral("query_wait_timeout")).toDouble(&ok);
        std::optional<double> qwt;
        if (ok)
            qwt = timeout;
        else if (snapshot.bouncer->flavor == PoolerFlavor::PgBouncer)
            qwt = 120.0; // PgBouncer's default
        put(set, series::queryWaitTimeout(), t, qwt);
    }
}

QStringList recordedGroups(const SeriesSet &set, GroupDimension dimension)
{
    return set.namesAfter(series::group(dimension, QString()));
}

QStringList recordedPools(const SeriesSet &set)
{
    QStringList pools;
    QSet<QString> seen;
    const QString prefix = QStringLiteral("pool/");
    const QString suffix = QStringLiteral("/cl_active");
    for (const QString &name : set.names()) {
        if (name.startsWith(prefix) && name.endsWith(suffix)) {
            const QString key = name.mid(prefix.size(), name.size() - prefix.size() - suffix.size());
            if (!seen.contains(key)) {
                seen.insert(key);
                pools.append(key);
            }
        }
    }
    return pools;
}

} // namespace poolscope
