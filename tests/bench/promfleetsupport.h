#pragma once
// The synthetic fleet of the Prometheus benches: 500 targets (250 PostgreSQL, 250 PgBouncer with 4 pools
// each) as PoolScope's export describes them, and that export as Prometheus's /api/v1/query would answer it
// once scraped. The figures are synthetic only in their values: names, labels and series counts are the
// export's own.

#include "metrics/exposition.h"
#include "metrics/fleetexport.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QString>

namespace poolscope::bench {

inline constexpr int kPromTargets = 500;

/// `round` varies the figures (who waits, how many are idle in transaction) so that successive reads differ.
inline QList<metrics::TargetExport> syntheticFleet(int round = 0)
{
    QList<metrics::TargetExport> fleet;
    for (int i = 0; i < kPromTargets; ++i) {
        metrics::TargetExport t;
        const bool pooler = i % 2 == 1;
        t.target = QStringLiteral("monitor@10.%1.%2.%3:%4/%5")
                       .arg(i / 65536)
                       .arg((i / 256) % 256)
                       .arg(i % 256)
                       .arg(pooler ? 6432 : 5432)
                       .arg(pooler ? QStringLiteral("pgbouncer") : QStringLiteral("app"));
        t.kind = pooler ? TargetKind::PgBouncer : TargetKind::Postgres;
        t.state = TargetState::Live;
        t.samplesOk = 100;
        t.lastSampleDurationMs = 3;
        TargetSnapshot s;
        s.target = t.target;
        s.kind = t.kind;
        s.ok = true;
        s.sampledAtMs = 1765000000000;
        if (pooler) {
            BouncerSample b;
            b.versionText = QStringLiteral("PgBouncer 1.18.0");
            for (int p = 0; p < 4; ++p) {
                PoolStats pool;
                pool.database = QStringLiteral("db%1").arg(p);
                pool.user = QStringLiteral("app");
                pool.clActive = 5 + (i + p + round) % 7;
                pool.clWaiting = (i + p + round) % 11 == 0 ? 3 : 0;
                pool.svActive = 4;
                pool.svIdle = 2;
                pool.svUsed = 0;
                pool.svTested = 0;
                pool.svLogin = 0;
                pool.maxwaitSeconds = pool.clWaiting > 0 ? 1.25 : 0;
                b.pools.append(pool);
                BouncerDatabase d;
                d.name = pool.database;
                d.host = QStringLiteral("10.0.0.1");
                d.port = 5432;
                d.database = pool.database;
                d.poolSize = 6;
                d.poolMode = QStringLiteral("transaction");
                d.paused = false;
                d.disabled = false;
                b.databases.append(d);
                BouncerStatsTotals st;
                st.database = pool.database;
                st.xactCount = quint64(1000 * i + p + 100 * round);
                st.queryCount = quint64(3000 * i + p + 300 * round);
                st.queryTime = 123456789;
                st.xactTime = 223456789;
                st.waitTime = 3456789;
                st.bytesReceived = 1 << 20;
                st.bytesSent = 1 << 21;
                b.totals.append(st);
            }
            s.bouncer = b;
        } else {
            PostgresSample pg;
            pg.maxConnections = 200;
            pg.superuserReserved = 3;
            pg.counts[SessionState::Active] = 5 + (i + round) % 9;
            pg.counts[SessionState::Idle] = 40;
            pg.counts[SessionState::IdleInTransaction] = (i + round) % 13 == 0 ? 6 : 1;
            pg.xactCommit = quint64(100000 + i + 50 * round);
            pg.xactRollback = 12;
            s.postgres = pg;
        }
        t.last = s;
        fleet.append(t);
    }
    return fleet;
}

/// The export as Prometheus's /api/v1/query answers it after scraping it as job `job` from `instance`
/// (every sample line of the 0.0.4 text, with job and instance added, plus `up`).
inline QByteArray instantVectorJson(const QByteArray &exposition, const QString &job, const QString &instance,
                                    double atS)
{
    static const QRegularExpression labelRe(
        QStringLiteral("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\""));
    QJsonArray result;
    auto add = [&](QJsonObject metric, const QString &value) {
        metric.insert(QStringLiteral("job"), job);
        metric.insert(QStringLiteral("instance"), instance);
        result.append(QJsonObject{{QStringLiteral("metric"), metric},
                                  {QStringLiteral("value"), QJsonArray{atS, value}}});
    };
    add(QJsonObject{{QStringLiteral("__name__"), QStringLiteral("up")}}, QStringLiteral("1"));
    for (const QByteArray &raw : exposition.split('\n')) {
        if (raw.isEmpty() || raw.startsWith('#'))
            continue;
        const QString line = QString::fromUtf8(raw);
        const qsizetype space = line.lastIndexOf(QLatin1Char(' '));
        const qsizetype brace = line.indexOf(QLatin1Char('{'));
        const QString name = line.left(brace >= 0 && brace < space ? brace : space);
        QJsonObject metric{{QStringLiteral("__name__"), name}};
        if (brace >= 0 && brace < space) {
            auto it = labelRe.globalMatch(line.mid(brace, line.lastIndexOf(QLatin1Char('}')) - brace));
            while (it.hasNext()) {
                const QRegularExpressionMatch m = it.next();
                metric.insert(m.captured(1), m.captured(2));
            }
        }
        add(metric, line.mid(space + 1));
    }
    const QJsonObject answer{
        {QStringLiteral("status"), QStringLiteral("success")},
        {QStringLiteral("data"), QJsonObject{{QStringLiteral("resultType"), QStringLiteral("vector")},
                                             {QStringLiteral("result"), result}}}};
    return QJsonDocument(answer).toJson(QJsonDocument::Compact);
}

} // namespace poolscope::bench
