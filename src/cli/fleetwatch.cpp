#include "fleetwatch.h"

#include "core/poolerchain.h"
#include "db/pg.h"
#include "db/targetcontroller.h"

namespace poolscope::cli {

std::pair<QString, int> hostPortOf(const QString &conninfo)
{
    const db::ConnSpec spec = db::parseConnInfo(conninfo);
    QString host = QString::fromUtf8(spec.value("host"));
    if (host.isEmpty())
        host = QString::fromUtf8(spec.value("hostaddr"));
    if (host.isEmpty())
        host = qEnvironmentVariable("PGHOST");
    bool ok = false;
    int port = QString::fromUtf8(spec.value("port")).section(QLatin1Char(','), 0, 0).toInt(&ok);
    if (!ok || port <= 0)
        port = qEnvironmentVariable("PGPORT").toInt(&ok);
    if (!ok || port <= 0)
        port = 5432;
    return {host.section(QLatin1Char(','), 0, 0), port};
}

FleetWatch::FleetWatch(const QStringList &targets, int intervalMs, std::optional<qint64> deadlineMs,
                       const findings::Thresholds &thresholds)
    : m_targets(targets), m_last(size_t(targets.size())), m_engine(thresholds)
{
    for (int i = 0; i < targets.size(); ++i) {
        auto c = std::make_unique<db::TargetController>(targets.at(i));
        c->setIntervalMs(intervalMs);
        if (deadlineMs)
            c->setDeadlineMs(int(*deadlineMs));
        connect(c.get(), &db::TargetController::snapshotReady, this,
                [this, i](const TargetSnapshot &s) { onSnapshot(i, s); });
        m_controllers.push_back(std::move(c));
    }
}

FleetWatch::~FleetWatch()
{
    m_controllers.clear();
}

void FleetWatch::start()
{
    for (auto &c : m_controllers)
        c->start();
}

void FleetWatch::relink(int poolerIndex, const BouncerSample &pooler)
{
    QList<int> postgres;
    for (int i = 0; i < count(); ++i) {
        const std::optional<TargetSnapshot> &s = m_last[size_t(i)];
        if (i == poolerIndex || !s || !s->postgres)
            continue;
        const auto [host, port] = hostPortOf(m_targets.at(i));
        if (poolerPointsAt(pooler, host, port))
            postgres.append(i);
    }
    m_engine.setLinks(poolerIndex, postgres);
}

void FleetWatch::onSnapshot(int index, const TargetSnapshot &snapshot)
{
    if (snapshot.ok)
        m_last[size_t(index)] = snapshot;
    else if (!m_last[size_t(index)])
        m_last[size_t(index)] = snapshot;
    if (snapshot.ok && snapshot.bouncer)
        relink(index, *snapshot.bouncer);
    m_engine.addSample(index, snapshot.target, snapshot);
    Q_EMIT sampled(index, snapshot);
}

} // namespace poolscope::cli
