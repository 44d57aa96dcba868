#include "fleetwatch.h"

#include "core/poolerchain.h"
#include "db/conninfo.h"
#include "db/targetcontroller.h"

namespace poolscope::cli {

FleetWatch::FleetWatch(const QStringList &targets, int intervalMs, std::optional<qint64> deadlineMs,
                       const findings::Thresholds &thresholds)
    : m_targets(targets), m_last(size_t(targets.size())), m_latest(size_t(targets.size())),
      m_samplesOk(size_t(targets.size())), m_samplesFailed(size_t(targets.size())),
      m_links(size_t(targets.size())), m_engine(thresholds)
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
        const db::HostPort hp = db::hostPort(m_targets.at(i));
        if (poolerPointsAt(pooler, hp.host, hp.port))
            postgres.append(i);
    }
    m_links[size_t(poolerIndex)] = postgres;
    m_engine.setLinks(poolerIndex, postgres);
}

void FleetWatch::onSnapshot(int index, const TargetSnapshot &snapshot)
{
    m_latest[size_t(index)] = snapshot;
    ++(snapshot.ok ? m_samplesOk : m_samplesFailed)[size_t(index)];
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
