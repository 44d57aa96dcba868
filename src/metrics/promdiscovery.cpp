#include "promdiscovery.h"

#include "core/snapshotjson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <algorithm>
#include <cmath>
#include <tuple>

namespace poolscope::metrics {

namespace {

const QString kPoolscope = QStringLiteral("poolscope");
const QString kPostgresExporter = QStringLiteral("postgres_exporter");
const QString kBouncerExporter = QStringLiteral("pgbouncer_exporter");

QString label(const PromSeries &s, const char *name)
{
    return s.labels.value(QString::fromLatin1(name));
}

struct Key
{
    QString origin, job, instance, target;
    bool operator<(const Key &o) const
    {
        return std::tie(origin, job, instance, target) < std::tie(o.origin, o.job, o.instance, o.target);
    }
};

/// Which target a series belongs to; nullopt for series of no target (up, other jobs' series).
std::optional<Key> keyOf(const PromSeries &s, const QString &name)
{
    const QString job = label(s, "job"), instance = label(s, "instance");
    const bool pg = name.startsWith(QLatin1String("pg_"));
    const bool bouncer = name.startsWith(QLatin1String("pgbouncer_"));
    const bool own = name.startsWith(QLatin1String("poolscope_"));
    if ((pg || bouncer || own) && s.labels.contains(QStringLiteral("target")))
        return Key{kPoolscope, job, instance, label(s, "target")};
    if (pg)
        return Key{kPostgresExporter, job, instance, {}};
    if (bouncer)
        return Key{kBouncerExporter, job, instance, {}};
    return std::nullopt;
}

struct Group
{
    QList<PromSeries> series;
    bool known = false;                         // seen in the recent window
    TargetKind knownKind = TargetKind::Unknown; // what it was then (its exporter may be down now)
};

std::optional<double> single(const Group &g, const QString &name)
{
    for (const PromSeries &s : g.series) {
        if (s.name() == name)
            return s.value;
    }
    return std::nullopt;
}

template <typename F> void each(const Group &g, const QString &name, F &&f)
{
    for (const PromSeries &s : g.series) {
        if (s.name() == name)
            f(s);
    }
}

std::optional<qint64> whole(const std::optional<double> &v)
{
    if (!v || !std::isfinite(*v))
        return std::nullopt;
    return qint64(std::llround(*v));
}

PostgresSample postgresOf(const Group &g, qint64 nowMs, DiscoveredTarget &t)
{
    PostgresSample pg;
    pg.serverNow = double(nowMs) / 1000.0;
    auto toInt = [](const std::optional<double> &v) -> std::optional<int> {
        if (const auto w = whole(v))
            return int(*w);
        return std::nullopt;
    };
    pg.maxConnections = toInt(single(g, QStringLiteral("pg_settings_max_connections")));
    pg.superuserReserved = toInt(single(g, QStringLiteral("pg_settings_superuser_reserved_connections")));
    pg.reservedConnections = toInt(single(g, QStringLiteral("pg_settings_reserved_connections")));
    bool own = false;
    each(g, QStringLiteral("poolscope_sessions"), [&](const PromSeries &s) {
        own = true;
        pg.counts[sessionStateFromText(label(s, "state"))] += int(std::llround(s.value));
    });
    if (!own) {
        // postgres_exporter: every label combination of a state (datname, and usename, application_name...
        // on newer versions) summed; its count includes non-client backends that report a state.
        each(g, QStringLiteral("pg_stat_activity_count"), [&](const PromSeries &s) {
            const QString state = label(s, "state");
            if (!state.isEmpty())
                pg.counts[sessionStateFromText(state)] += int(std::llround(s.value));
        });
    }
    // Sessions by database: pg_stat_activity_count's datname (PoolScope exports it for client backends too).
    QMap<QString, SessionGroup> byDatabase;
    each(g, QStringLiteral("pg_stat_activity_count"), [&](const PromSeries &s) {
        const QString state = label(s, "state");
        if (state.isEmpty() || !s.labels.contains(QStringLiteral("datname")))
            return;
        SessionGroup &group = byDatabase[label(s, "datname")];
        group.name = label(s, "datname");
        group.counts[sessionStateFromText(state)] += int(std::llround(s.value));
    });
    QList<SessionGroup> databases = byDatabase.values();
    std::stable_sort(databases.begin(), databases.end(), [](const SessionGroup &a, const SessionGroup &b) {
        return a.sessions() > b.sessions();
    });
    pg.groups[size_t(GroupDimension::Database)] = databases;
    if (const auto hidden = whole(single(g, QStringLiteral("poolscope_sessions_hidden"))))
        pg.counts.hidden = int(*hidden);
    if (const auto backends = whole(single(g, QStringLiteral("poolscope_client_backends"))))
        pg.poolscopeSessions = std::max(0, int(*backends) - pg.counts.total());
    PostgresSample::Exported exported;
    if (const auto waiting = whole(single(g, QStringLiteral("poolscope_lock_waiting_sessions")))) {
        pg.lockWaiting = int(*waiting);
        exported.lockWaiting = int(*waiting);
    }
    t.oldestXactAgeS = single(g, QStringLiteral("poolscope_oldest_transaction_seconds"));
    if (!t.oldestXactAgeS) {
        each(g, QStringLiteral("pg_stat_activity_max_tx_duration"), [&](const PromSeries &s) {
            t.oldestXactAgeS = std::max(t.oldestXactAgeS.value_or(0), s.value);
        });
    }
    t.oldestIdleInTransactionS = single(g, QStringLiteral("poolscope_idle_in_transaction_oldest_seconds"));
    exported.oldestXactAgeS = t.oldestXactAgeS;
    exported.oldestIdleInTransactionS = t.oldestIdleInTransactionS;
    pg.exported = exported;
    // The rates Prometheus computed from the counters (seriesQuery): transactions and rollbacks per second.
    if (const auto rollbacks = single(g, QStringLiteral("pg_read_rollbacks_per_second")))
        pg.rollbacksPerSecond = *rollbacks;
    if (const auto tps = single(g, QStringLiteral("pg_read_tps"))) {
        pg.transactionRate.status = RateStatus::Ok;
        pg.transactionRate.perSecond = *tps;
        pg.transactionRate.windowS = kRateWindowS;
        pg.transactionRate.targetWindowS = kRateWindowS;
        if (pg.rollbacksPerSecond)
            pg.commitsPerSecond = std::max(0.0, *tps - *pg.rollbacksPerSecond);
    }
    return pg;
}

BouncerSample bouncerOf(const Group &g)
{
    BouncerSample b;
    static const QList<std::pair<const char *, std::optional<qint64> PoolStats::*>> poolGauges = {
        {"client_active_connections", &PoolStats::clActive},
        {"client_waiting_connections", &PoolStats::clWaiting},
        {"client_active_cancel_connections", &PoolStats::clActiveCancelReq},
        {"client_waiting_cancel_connections", &PoolStats::clWaitingCancelReq},
        {"server_active_connections", &PoolStats::svActive},
        {"server_active_cancel_connections", &PoolStats::svActiveCancel},
        {"server_being_canceled_connections", &PoolStats::svBeingCanceled},
        {"server_idle_connections", &PoolStats::svIdle},
        {"server_used_connections", &PoolStats::svUsed},
        {"server_testing_connections", &PoolStats::svTested},
        {"server_login_connections", &PoolStats::svLogin},
    };
    static const QList<std::pair<const char *, std::optional<qint64> BouncerDatabase::*>> dbGauges = {
        {"pool_size", &BouncerDatabase::poolSize},
        {"reserve_pool", &BouncerDatabase::reservePool},
        {"max_connections", &BouncerDatabase::maxConnections},
        {"current_connections", &BouncerDatabase::currentConnections},
    };
    // SHOW STATS_TOTALS counters by their suffix; seconds go back to the console's microseconds.
    static const QList<std::tuple<const char *, std::optional<quint64> BouncerStatsTotals::*, double>>
        totals = {
            {"queries_pooled_total", &BouncerStatsTotals::queryCount, 1},
            {"queries_duration_seconds_total", &BouncerStatsTotals::queryTime, 1e6},
            {"received_bytes_total", &BouncerStatsTotals::bytesReceived, 1},
            {"sent_bytes_total", &BouncerStatsTotals::bytesSent, 1},
            {"client_wait_seconds_total", &BouncerStatsTotals::waitTime, 1e6},
            {"sql_transactions_pooled_total", &BouncerStatsTotals::xactCount, 1},
            {"server_in_transaction_seconds_total", &BouncerStatsTotals::xactTime, 1e6},
            {"server_assignments_total", &BouncerStatsTotals::serverAssignmentCount, 1},
            {"client_parses_total", &BouncerStatsTotals::clientParseCount, 1},
            {"server_parses_total", &BouncerStatsTotals::serverParseCount, 1},
            {"binds_total", &BouncerStatsTotals::bindCount, 1},
        };
    QMap<QPair<QString, QString>, PoolStats> pools;
    QMap<QString, BouncerDatabase> databases;
    QMap<QString, BouncerStatsTotals> stats;
    for (const PromSeries &s : g.series) {
        const QString name = s.name();
        if (name.startsWith(QLatin1String("pgbouncer_pools_"))) {
            const QString suffix = name.mid(16);
            PoolStats &p = pools[{label(s, "database"), label(s, "user")}];
            p.database = label(s, "database");
            p.user = label(s, "user");
            if (suffix == QLatin1String("client_maxwait_seconds"))
                p.maxwaitSeconds = s.value;
            for (const auto &[field, member] : poolGauges) {
                if (suffix == QLatin1String(field))
                    p.*member = whole(s.value);
            }
        } else if (name.startsWith(QLatin1String("pgbouncer_databases_"))) {
            const QString suffix = name.mid(20);
            BouncerDatabase &d = databases[label(s, "name")];
            d.name = label(s, "name");
            d.host = label(s, "host");
            d.database = label(s, "database");
            bool ok = false;
            if (const qint64 port = label(s, "port").toLongLong(&ok); ok)
                d.port = port;
            if (!label(s, "pool_mode").isEmpty())
                d.poolMode = label(s, "pool_mode");
            if (suffix == QLatin1String("paused"))
                d.paused = s.value != 0;
            else if (suffix == QLatin1String("disabled"))
                d.disabled = s.value != 0;
            for (const auto &[field, member] : dbGauges) {
                if (suffix == QLatin1String(field))
                    d.*member = whole(s.value);
            }
        } else if (name.startsWith(QLatin1String("pgbouncer_stats_"))) {
            // pgbouncer_exporter >= 0.11 says pgbouncer_stats_totals_*, older ones pgbouncer_stats_*.
            const QString suffix =
                name.startsWith(QLatin1String("pgbouncer_stats_totals_")) ? name.mid(23) : name.mid(16);
            for (const auto &[field, member, scale] : totals) {
                if (suffix != QLatin1String(field))
                    continue;
                BouncerStatsTotals &t = stats[label(s, "database")];
                t.database = label(s, "database");
                if (std::isfinite(s.value) && s.value >= 0)
                    t.*member = quint64(std::llround(s.value * scale));
            }
        } else if (name == QLatin1String("pgbouncer_version_info")) {
            b.versionText = label(s, "version");
        } else if (name == QLatin1String("pgbouncer_config_max_client_connections")) {
            b.config.insert(QStringLiteral("max_client_conn"), QString::number(std::llround(s.value)));
        } else if (name == QLatin1String("pgbouncer_config_max_user_connections")) {
            b.config.insert(QStringLiteral("max_user_connections"), QString::number(std::llround(s.value)));
        }
    }
    for (PoolStats &p : pools) {
        const auto d = databases.constFind(p.database);
        if (d == databases.cend())
            continue;
        p.poolSize = d->poolSize;
        p.reservePool = d->reservePool;
        p.poolMode = d->poolMode;
    }
    b.pools = pools.values();
    b.databases = databases.values();
    b.totals = stats.values();
    return b;
}

QString displayName(const Key &k)
{
    if (k.origin == kPoolscope)
        return k.target;
    return (k.job.isEmpty() ? k.origin : k.job) + QLatin1Char('@') + k.instance;
}

} // namespace

std::optional<QJsonArray> apiResult(const QByteArray &json, const QString &resultType, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("not a Prometheus API answer (%1)").arg(pe.errorString());
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("status")).toString() != QLatin1String("success")) {
        *error = QStringLiteral("Prometheus: %1: %2")
                     .arg(o.value(QStringLiteral("errorType")).toString(QStringLiteral("error")),
                          o.value(QStringLiteral("error")).toString(QStringLiteral("no status \"success\"")));
        return std::nullopt;
    }
    const QJsonObject data = o.value(QStringLiteral("data")).toObject();
    if (data.value(QStringLiteral("resultType")).toString() != resultType) {
        const QString wanted = resultType == QLatin1String("vector")   ? QStringLiteral("an instant vector")
                               : resultType == QLatin1String("matrix") ? QStringLiteral("a range matrix")
                                                                       : resultType;
        *error = QStringLiteral("Prometheus answered a %1, not %2")
                     .arg(data.value(QStringLiteral("resultType")).toString(), wanted);
        return std::nullopt;
    }
    return data.value(QStringLiteral("result")).toArray();
}

std::optional<double> sampleValue(const QJsonValue &v)
{
    const QString text = v.toString();
    bool ok = false;
    const double d = text.toDouble(&ok);
    if (ok)
        return d;
    if (text == QLatin1String("NaN"))
        return qQNaN();
    if (text == QLatin1String("+Inf"))
        return qInf();
    if (text == QLatin1String("-Inf"))
        return -qInf();
    return std::nullopt;
}

std::optional<QList<PromSeries>> parseInstantVector(const QByteArray &json, QString *error)
{
    const std::optional<QJsonArray> result = apiResult(json, QStringLiteral("vector"), error);
    if (!result)
        return std::nullopt;
    QList<PromSeries> out;
    for (const QJsonValue &v : *result) {
        const QJsonObject r = v.toObject();
        PromSeries s;
        const QJsonObject metric = r.value(QStringLiteral("metric")).toObject();
        for (auto it = metric.begin(); it != metric.end(); ++it)
            s.labels.insert(it.key(), it.value().toString());
        // [ <unix time>, "<value>" ]
        const std::optional<double> value = sampleValue(r.value(QStringLiteral("value")).toArray().at(1));
        if (!value)
            continue;
        s.value = *value;
        out.append(s);
    }
    return out;
}

namespace {

/// A PromQL string literal's content: backslashes and double quotes escaped.
QString quoted(const QString &value)
{
    QString out = value;
    out.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    out.replace(QLatin1Char('"'), QStringLiteral("\\\""));
    out.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    return QLatin1Char('"') + out + QLatin1Char('"');
}

/// `name{matchers}`, or `name` alone when there are none.
QString selected(const QString &name, const QString &matchers)
{
    return matchers.isEmpty() ? name : name + QLatin1Char('{') + matchers + QLatin1Char('}');
}

/// A counter's per-second rate summed per target, renamed `as` and marked `poolscope_read="<what>"`: the mark
/// keeps `or` from dropping it for an earlier series with the same labels (set operators ignore the name).
QString rateAs(const QStringList &counters, const QString &matchers, const QString &as, const QString &what)
{
    QStringList sums;
    for (const QString &counter : counters)
        sums.append(QStringLiteral("sum by (job, instance, target) (rate(%1[%2s]))")
                        .arg(selected(counter, matchers))
                        .arg(kRateWindowS));
    return QStringLiteral("label_replace(label_replace(%1, \"__name__\", \"%2\", \"\", \"\"), "
                          "\"poolscope_read\", \"%3\", \"\", \"\")")
        .arg(sums.join(QStringLiteral(" + ")), as, what);
}

} // namespace

QString seriesQuery(const std::optional<TargetSelector> &only)
{
    QString matchers;
    if (only)
        matchers = QStringLiteral("job=%1, instance=%2, target=%3")
                       .arg(quoted(only->job), quoted(only->instance), quoted(only->target));
    const QString comma = matchers.isEmpty() ? QString() : QStringLiteral(", ");
    // Only what discoverTargets() reads: with 500 targets the answer is megabytes, and every series costs
    // parsing. The sampler's states come as the one that holds.
    QStringList parts{
        QStringLiteral(
            "{__name__=~\"up|pg_up|pg_settings_max_connections|pg_settings_superuser_reserved_connections|"
            "pg_settings_reserved_connections|pg_stat_activity_count|pg_stat_activity_max_tx_duration|"
            "pgbouncer_up|pgbouncer_version_info|pgbouncer_pools_.+|pgbouncer_databases_.+|pgbouncer_stats_.+"
            "|"
            "pgbouncer_config_max_.+|poolscope_target_up|poolscope_sessions|poolscope_sessions_hidden|"
            "poolscope_client_backends|poolscope_lock_waiting_sessions|poolscope_oldest_transaction_seconds|"
            "poolscope_idle_in_transaction_oldest_seconds\"") +
            comma + matchers + QLatin1Char('}'),
        selected(QStringLiteral("poolscope_target_state"), matchers) + QStringLiteral(" == 1"),
    };
    // PoolScope's export: its scrape's `up` has no target label.
    if (only && !only->target.isEmpty())
        parts.append(
            QStringLiteral("up{job=%1, instance=%2}").arg(quoted(only->job), quoted(only->instance)));
    // Transaction rates: postgres_exporter's pg_stat_database counters, PoolScope's own, and PgBouncer's
    // pooled transactions in both pgbouncer_exporter spellings (the first one present wins).
    const QString tps = QStringLiteral("tps"), rollbacks = QStringLiteral("rollbacks");
    const QString pgTps = QStringLiteral("pg_read_tps"),
                  pgRollbacks = QStringLiteral("pg_read_rollbacks_per_second");
    parts << rateAs({QStringLiteral("pg_stat_database_xact_commit"),
                     QStringLiteral("pg_stat_database_xact_rollback")},
                    matchers, pgTps, tps)
          << rateAs({QStringLiteral("pg_stat_database_xact_rollback")}, matchers, pgRollbacks, rollbacks)
          << rateAs({QStringLiteral("poolscope_xact_commits_total"),
                     QStringLiteral("poolscope_xact_rollbacks_total")},
                    matchers, pgTps, tps)
          << rateAs({QStringLiteral("poolscope_xact_rollbacks_total")}, matchers, pgRollbacks, rollbacks)
          << rateAs({QStringLiteral("pgbouncer_stats_totals_sql_transactions_pooled_total")}, matchers,
                    QStringLiteral("pgbouncer_read_tps"), tps)
          << rateAs({QStringLiteral("pgbouncer_stats_sql_transactions_pooled_total")}, matchers,
                    QStringLiteral("pgbouncer_read_tps"), tps);
    return parts.join(QStringLiteral(" or "));
}

QString currentSeriesQuery()
{
    return seriesQuery(std::nullopt);
}

TargetSelector selectorOf(const DiscoveredTarget &target)
{
    return {target.job, target.instance, target.origin == kPoolscope ? target.snapshot.target : QString()};
}

QString knownTargetsQuery(const QString &window)
{
    // *_over_time drops the metric name; label_replace puts it back as "series".
    QStringList parts;
    for (const char *name : {"pg_up", "pgbouncer_up", "poolscope_target_up"})
        parts.append(QStringLiteral("label_replace(last_over_time(%1[%2]), \"series\", \"%1\", \"\", \"\")")
                         .arg(QString::fromLatin1(name), window));
    return parts.join(QStringLiteral(" or "));
}

QList<DiscoveredTarget> discoverTargets(const QList<PromSeries> &current, const QList<PromSeries> &known,
                                        qint64 nowMs)
{
    QMap<QPair<QString, QString>, double> up; // (job, instance) -> Prometheus's up
    QMap<Key, Group> groups;
    for (const PromSeries &s : current) {
        const QString name = s.name();
        if (name == QLatin1String("up")) {
            up.insert({label(s, "job"), label(s, "instance")}, s.value);
            continue;
        }
        if (const auto key = keyOf(s, name))
            groups[*key].series.append(s);
    }
    for (const PromSeries &s : known) {
        const QString series = label(s, "series");
        const auto key = keyOf(s, series);
        if (!key)
            continue;
        Group &g = groups[*key];
        g.known = true;
        const QString kind = label(s, "kind");
        if (series == QLatin1String("pgbouncer_up") || kind == QLatin1String("pgbouncer"))
            g.knownKind = TargetKind::PgBouncer;
        else if (kind == QLatin1String("pgpool"))
            g.knownKind = TargetKind::Pgpool;
        else if (series == QLatin1String("pg_up") || kind == QLatin1String("postgres"))
            g.knownKind = TargetKind::Postgres;
    }

    QList<DiscoveredTarget> out;
    for (auto it = groups.cbegin(); it != groups.cend(); ++it) {
        const Key &k = it.key();
        const Group &g = it.value();
        DiscoveredTarget t;
        t.origin = k.origin;
        t.job = k.job;
        t.instance = k.instance;
        TargetSnapshot &s = t.snapshot;
        s.target = displayName(k);
        s.sampledAtMs = nowMs;
        bool pg = false, bouncer = false;
        QString ownKind, ownState;
        for (const PromSeries &x : g.series) {
            const QString name = x.name();
            pg = pg || name.startsWith(QLatin1String("pg_"));
            bouncer = bouncer || name.startsWith(QLatin1String("pgbouncer_"));
            if (name == QLatin1String("poolscope_target_up"))
                ownKind = label(x, "kind");
            if (name == QLatin1String("poolscope_target_state") && x.value == 1)
                ownState = label(x, "state");
        }
        if (k.origin == kPostgresExporter || ownKind == QLatin1String("postgres") || (!bouncer && pg))
            s.kind = TargetKind::Postgres;
        if (k.origin == kBouncerExporter || ownKind == QLatin1String("pgbouncer") || bouncer)
            s.kind = TargetKind::PgBouncer;
        if (ownKind == QLatin1String("pgpool"))
            s.kind = TargetKind::Pgpool;
        if (s.kind == TargetKind::Unknown)
            s.kind = g.knownKind;

        auto fail = [&](const QString &message) {
            s.ok = false;
            s.error.kind = ErrorKind::Connect;
            s.error.message = message;
        };
        const auto upIt = up.constFind({k.job, k.instance});
        const QString where = QStringLiteral("%1 at %2 (job %3)").arg(k.origin, k.instance, k.job);
        if (upIt != up.cend() && *upIt == 0) {
            fail(QStringLiteral("%1 is down: Prometheus's last scrape of it failed (up 0)").arg(where));
        } else if (g.series.isEmpty()) {
            fail(QStringLiteral(
                     "%1 has no current series in Prometheus (seen within the last hour, gone since)")
                     .arg(where));
        } else if (k.origin == kPoolscope && single(g, QStringLiteral("poolscope_target_up")) == 0.0) {
            fail(QStringLiteral("PoolScope at %1 cannot sample it (%2)")
                     .arg(k.instance, ownState.isEmpty() ? QStringLiteral("no sample yet") : ownState));
        } else if (s.kind == TargetKind::Postgres && single(g, QStringLiteral("pg_up")) == 0.0) {
            fail(QStringLiteral("%1 cannot connect to PostgreSQL (pg_up 0)").arg(where));
        } else if (s.kind == TargetKind::PgBouncer && single(g, QStringLiteral("pgbouncer_up")) == 0.0) {
            fail(QStringLiteral("%1 cannot connect to PgBouncer (pgbouncer_up 0)").arg(where));
        } else {
            s.ok = true;
        }
        if (s.ok && (s.kind == TargetKind::Postgres || s.kind == TargetKind::Pgpool)) {
            s.postgres = postgresOf(g, nowMs, t);
            s.tps = single(g, QStringLiteral("pg_read_tps"));
        }
        if (s.ok && s.kind == TargetKind::PgBouncer) {
            s.bouncer = bouncerOf(g);
            s.serverVersion = s.bouncer->versionText;
            s.tps = single(g, QStringLiteral("pgbouncer_read_tps"));
        }
        out.append(t);
    }
    std::sort(out.begin(), out.end(), [](const DiscoveredTarget &a, const DiscoveredTarget &b) {
        return a.snapshot.target < b.snapshot.target;
    });
    return out;
}

QString fleetSummary(const QList<DiscoveredTarget> &targets, int maxLines)
{
    if (targets.isEmpty())
        return QStringLiteral(
            "No PostgreSQL or PgBouncer instance found: no pg_*, pgbouncer_* or poolscope_* "
            "series from postgres_exporter, pgbouncer_exporter or a PoolScope export.");
    int postgres = 0, bouncers = 0, other = 0, failed = 0;
    for (const DiscoveredTarget &t : targets) {
        const TargetKind kind = t.snapshot.kind;
        ++(kind == TargetKind::Postgres || kind == TargetKind::Pgpool ? postgres
           : kind == TargetKind::PgBouncer                            ? bouncers
                                                                      : other);
        failed += t.snapshot.ok ? 0 : 1;
    }
    QStringList kinds;
    if (postgres > 0)
        kinds.append(QStringLiteral("%1 PostgreSQL").arg(postgres));
    if (bouncers > 0)
        kinds.append(QStringLiteral("%1 PgBouncer").arg(bouncers));
    if (other > 0)
        kinds.append(QStringLiteral("%1 of unknown kind").arg(other));
    QString text = QStringLiteral("%1 %2 discovered: %3")
                       .arg(targets.size())
                       .arg(targets.size() == 1 ? QStringLiteral("instance") : QStringLiteral("instances"),
                            kinds.join(QStringLiteral(", ")));
    text += failed == 0 ? QStringLiteral(", all answering.") : QStringLiteral("; %1 failed.").arg(failed);
    QList<const DiscoveredTarget *> ordered;
    for (const DiscoveredTarget &t : targets)
        ordered.append(&t);
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const DiscoveredTarget *a, const DiscoveredTarget *b) {
                         return !a->snapshot.ok && b->snapshot.ok;
                     });
    for (int i = 0; i < ordered.size() && i < maxLines; ++i) {
        const DiscoveredTarget &t = *ordered.at(i);
        text += QStringLiteral("\n  %1 (%2, job %3, instance %4): %5")
                    .arg(t.snapshot.target, t.origin, t.job, t.instance,
                         t.snapshot.ok ? QStringLiteral("ok") : t.snapshot.error.message);
    }
    if (ordered.size() > maxLines)
        text += QStringLiteral("\n  … and %1 more").arg(ordered.size() - maxLines);
    return text;
}

QJsonObject toJson(const DiscoveredTarget &target)
{
    QJsonObject o = poolscope::toJson(target.snapshot);
    o.insert(QStringLiteral("source"), QStringLiteral("prometheus"));
    o.insert(QStringLiteral("prometheus"), QJsonObject{{QStringLiteral("origin"), target.origin},
                                                       {QStringLiteral("job"), target.job},
                                                       {QStringLiteral("instance"), target.instance}});
    if (target.snapshot.postgres && o.contains(QStringLiteral("oldest_xact_age_s")))
        o.insert(QStringLiteral("oldest_xact_age_s"),
                 target.oldestXactAgeS ? QJsonValue(*target.oldestXactAgeS) : QJsonValue(QJsonValue::Null));
    if (target.snapshot.postgres)
        o.insert(QStringLiteral("oldest_idle_in_transaction_s"),
                 target.oldestIdleInTransactionS ? QJsonValue(*target.oldestIdleInTransactionS)
                                                 : QJsonValue(QJsonValue::Null));
    return o;
}

} // namespace poolscope::metrics
