#pragma once

#include "core/findingsengine.h"
#include "core/targetsnapshot.h"

#include <QObject>
#include <QStringList>
#include <memory>
#include <optional>
#include <vector>

namespace poolscope::db {
class TargetController;
}

namespace poolscope::cli {

/// The headless side of watching several targets: one db::TargetController (worker thread) per target, and
/// a findings engine fed with every sample, with each PgBouncer console linked to the PostgreSQL targets its
/// SHOW DATABASES points at. `watch` and `diagnose` run it inside their own event loop. GUI-less, one thread.
class FleetWatch : public QObject
{
    Q_OBJECT
public:
    FleetWatch(const QStringList &targets, int intervalMs, std::optional<qint64> deadlineMs,
               const findings::Thresholds &thresholds);
    ~FleetWatch() override; // interrupts the workers: prompt even when a server hangs

    void start();
    int count() const { return int(m_controllers.size()); }
    const db::TargetController &controller(int index) const { return *m_controllers[size_t(index)]; }
    const findings::FindingsEngine &engine() const { return m_engine; }
    /// The newest sample of target `index` (nullopt before the first).
    const std::optional<TargetSnapshot> &last(int index) const { return m_last[size_t(index)]; }
    /// The newest sample of target `index`, ok or not (nullopt before the first).
    const std::optional<TargetSnapshot> &latest(int index) const { return m_latest[size_t(index)]; }
    quint64 samplesOk(int index) const { return m_samplesOk[size_t(index)]; }
    quint64 samplesFailed(int index) const { return m_samplesFailed[size_t(index)]; }
    /// For a pooler: the targets its SHOW DATABASES points at (the findings engine's links).
    const QList<int> &linkedPostgres(int index) const { return m_links[size_t(index)]; }

Q_SIGNALS:
    /// Target `index` was sampled and the findings were updated with it.
    void sampled(int index, const poolscope::TargetSnapshot &snapshot);

private:
    void onSnapshot(int index, const TargetSnapshot &snapshot);
    void relink(int poolerIndex, const BouncerSample &pooler);

    QStringList m_targets;
    std::vector<std::unique_ptr<db::TargetController>> m_controllers;
    std::vector<std::optional<TargetSnapshot>> m_last;
    std::vector<std::optional<TargetSnapshot>> m_latest;
    std::vector<quint64> m_samplesOk;
    std::vector<quint64> m_samplesFailed;
    std::vector<QList<int>> m_links;
    findings::FindingsEngine m_engine;
};

} // namespace poolscope::cli
