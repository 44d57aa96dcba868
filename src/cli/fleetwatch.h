#pragma once

#include "core/findingsengine.h"
#include "core/targetsnapshot.h"
#include "core/targetstate.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <memory>
#include <optional>
#include <vector>

namespace poolscope::db {
class TargetController;
}
namespace poolscope::metrics {
class PrometheusFleet;
} // namespace poolscope::metrics

namespace poolscope::cli {

/// The headless side of watching several targets: one db::TargetController (worker thread) per target, and
/// a findings engine fed with every sample, with each PgBouncer console linked to the PostgreSQL targets its
/// SHOW DATABASES points at. `watch` and `diagnose` run it inside their own event loop. GUI-less, one thread.
///
/// A target `prometheus+http://HOST:PORT` is read every interval (at least 1 s) with a
/// metrics::PrometheusFleet instead: each instance discovered in it becomes a target of its own (appended
/// as it is first seen, so count() grows), sampled from Prometheus's series, with the findings engine run on
/// it too. When Prometheus cannot be read, a target named after it is failed, and so are the ones read
/// from it before.
class FleetWatch : public QObject
{
    Q_OBJECT
public:
    FleetWatch(const QStringList &targets, int intervalMs, std::optional<qint64> deadlineMs,
               const findings::Thresholds &thresholds);
    ~FleetWatch() override; // interrupts the workers: prompt even when a server hangs

    void start();
    int count() const { return int(m_slots.size()); }
    const findings::FindingsEngine &engine() const { return m_engine; }
    /// The newest sample of target `index` (nullopt before the first).
    const std::optional<TargetSnapshot> &last(int index) const { return m_slots[size_t(index)].last; }
    /// The newest sample of target `index`, ok or not (nullopt before the first).
    const std::optional<TargetSnapshot> &latest(int index) const { return m_slots[size_t(index)].latest; }
    quint64 samplesOk(int index) const { return m_slots[size_t(index)].samplesOk; }
    quint64 samplesFailed(int index) const { return m_slots[size_t(index)].samplesFailed; }
    /// For a pooler: the targets its SHOW DATABASES points at (the findings engine's links).
    const QList<int> &linkedPostgres(int index) const { return m_slots[size_t(index)].links; }

    /// What the commands print about target `index`, sampled directly or read from Prometheus.
    QString name(int index) const;
    TargetKind kind(int index) const;
    TargetState state(int index) const;
    QString lastError(int index) const;
    int attemptCount(int index) const;
    qint64 nextRetryMs(int index) const; // -1: none scheduled
    qint64 lastSampleDurationMs(int index) const;
    /// "prometheus" for targets read from Prometheus, empty for the ones sampled directly.
    QString source(int index) const
    {
        return m_slots[size_t(index)].fromPrometheus ? QStringLiteral("prometheus") : QString();
    }

Q_SIGNALS:
    /// Target `index` was sampled and the findings were updated with it.
    void sampled(int index, const poolscope::TargetSnapshot &snapshot);

private:
    struct Slot
    {
        std::unique_ptr<db::TargetController> controller; // null for a target read from Prometheus
        QString conninfo;                                 // directly sampled targets: the connection string
        bool fromPrometheus = false;
        QString name;
        TargetKind kind = TargetKind::Unknown;
        TargetState state = TargetState::Connecting;
        QString error;
        int failures = 0;
        qint64 durationMs = -1;
        std::optional<TargetSnapshot> last;
        std::optional<TargetSnapshot> latest;
        quint64 samplesOk = 0;
        quint64 samplesFailed = 0;
        QList<int> links;
    };
    struct Source
    {
        std::unique_ptr<metrics::PrometheusFleet> fleet;
        QString display;
        int selfIndex = -1; // the target named after the Prometheus, once it failed
        QList<int> slotOf;  // the fleet's entry -> slot
    };

    void onSnapshot(int index, const TargetSnapshot &snapshot);
    void onPrometheusFailed(Source &source, const QString &error);
    int addSlot(const QString &name, bool fromPrometheus);
    void relink(int poolerIndex, const BouncerSample &pooler);

    std::vector<Slot> m_slots;
    std::vector<std::unique_ptr<Source>> m_sources;
    findings::FindingsEngine m_engine;
};

} // namespace poolscope::cli
