#include "fleetwatch.h"

#include "core/poolerchain.h"
#include "db/conninfo.h"
#include "db/targetcontroller.h"
#include "metrics/prometheusclient.h"
#include "metrics/prometheusfleet.h"

#include <QDateTime>
#include <algorithm>

namespace poolscope::cli {

FleetWatch::FleetWatch(const QStringList &targets, int intervalMs, std::optional<qint64> deadlineMs,
                       const findings::Thresholds &thresholds)
    : m_engine(thresholds)
{
    for (const QString &target : targets) {
        if (metrics::isPrometheusTarget(target)) {
            QString error;
            const auto endpoint = metrics::parsePrometheusTarget(target, &error);
            auto source = std::make_unique<Source>();
            if (!endpoint) {
                // Never read: a failed target saying why, like a connection string libpq rejects.
                source->display = QStringLiteral("prometheus");
                source->selfIndex = addSlot(source->display, true);
                Slot &s = m_slots.back();
                s.state = TargetState::Failed;
                s.error = error;
                m_sources.push_back(std::move(source));
                continue;
            }
            source->display = endpoint->display;
            source->fleet = std::make_unique<metrics::PrometheusFleet>(*endpoint, intervalMs);
            Source *raw = source.get();
            metrics::PrometheusFleet *fleet = raw->fleet.get();
            connect(fleet, &metrics::PrometheusFleet::discovered, this,
                    [this, raw](int, const metrics::DiscoveredTarget &d) {
                        raw->slotOf.append(addSlot(d.snapshot.target, true));
                    });
            connect(fleet, &metrics::PrometheusFleet::sampled, this,
                    [this, raw, fleet](int entry, const TargetSnapshot &snapshot) {
                        const int index = raw->slotOf.at(entry);
                        Slot &s = m_slots[size_t(index)];
                        s.kind = snapshot.kind != TargetKind::Unknown ? snapshot.kind : s.kind;
                        s.state = snapshot.ok ? TargetState::Live : TargetState::Failed;
                        s.error = snapshot.ok ? QString() : snapshot.error.message;
                        s.failures = snapshot.ok ? 0 : s.failures + 1;
                        s.durationMs = fleet->lastReadMs();
                        onSnapshot(index, snapshot);
                    });
            connect(fleet, &metrics::PrometheusFleet::readFailed, this,
                    [this, raw](const QString &error) { onPrometheusFailed(*raw, error); });
            connect(fleet, &metrics::PrometheusFleet::readSucceeded, this, [this, raw] {
                if (raw->selfIndex < 0)
                    return;
                Slot &self = m_slots[size_t(raw->selfIndex)];
                self.state = TargetState::Live;
                self.error.clear();
                self.failures = 0;
            });
            m_sources.push_back(std::move(source));
            continue;
        }
        const int i = addSlot(QString(), false);
        Slot &s = m_slots[size_t(i)];
        s.conninfo = target;
        s.controller = std::make_unique<db::TargetController>(target);
        s.controller->setIntervalMs(intervalMs);
        if (deadlineMs)
            s.controller->setDeadlineMs(int(*deadlineMs));
        connect(s.controller.get(), &db::TargetController::snapshotReady, this,
                [this, i](const TargetSnapshot &snapshot) { onSnapshot(i, snapshot); });
    }
}

FleetWatch::~FleetWatch()
{
    m_sources.clear();
    m_slots.clear();
}

int FleetWatch::addSlot(const QString &name, bool fromPrometheus)
{
    Slot s;
    s.name = name;
    s.fromPrometheus = fromPrometheus;
    m_slots.push_back(std::move(s));
    return int(m_slots.size()) - 1;
}

void FleetWatch::start()
{
    for (Slot &s : m_slots) {
        if (s.controller)
            s.controller->start();
    }
    for (auto &source : m_sources) {
        if (!source->fleet) {
            // A malformed Prometheus target: one failed sample saying why, so `watch` prints it.
            const Slot &s = m_slots[size_t(source->selfIndex)];
            TargetSnapshot failed;
            failed.target = s.name;
            failed.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
            failed.error.kind = ErrorKind::BadConnInfo;
            failed.error.message = s.error;
            onSnapshot(source->selfIndex, failed);
            continue;
        }
        source->fleet->start();
    }
}

QString FleetWatch::name(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    if (s.controller)
        return s.latest ? s.latest->target : s.controller->target();
    return s.name;
}

TargetKind FleetWatch::kind(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    return s.controller ? s.controller->kind() : s.kind;
}

TargetState FleetWatch::state(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    return s.controller ? s.controller->state() : s.state;
}

QString FleetWatch::lastError(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    return s.controller ? s.controller->lastError() : s.error;
}

int FleetWatch::attemptCount(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    return s.controller ? s.controller->attemptCount() : s.failures;
}

qint64 FleetWatch::nextRetryMs(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    return s.controller ? s.controller->nextRetryMs() : -1;
}

qint64 FleetWatch::lastSampleDurationMs(int index) const
{
    const Slot &s = m_slots[size_t(index)];
    if (!s.latest)
        return -1;
    return s.controller ? s.controller->lastSampleDurationMs() : s.durationMs;
}

void FleetWatch::onPrometheusFailed(Source &source, const QString &error)
{
    // Prometheus itself could not be read (the targets read from it got their failed samples already): a
    // target named after it fails too.
    if (source.selfIndex < 0)
        source.selfIndex = addSlot(source.display, true);
    Slot &s = m_slots[size_t(source.selfIndex)];
    s.state = TargetState::Failed;
    s.error = error;
    ++s.failures;
    s.durationMs = source.fleet->lastReadMs();
    TargetSnapshot failed;
    failed.target = source.display;
    failed.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    failed.error.kind = ErrorKind::Connect;
    failed.error.message = error;
    onSnapshot(source.selfIndex, failed);
}

void FleetWatch::relink(int poolerIndex, const BouncerSample &pooler)
{
    QList<int> postgres;
    for (int i = 0; i < count(); ++i) {
        const Slot &s = m_slots[size_t(i)];
        if (i == poolerIndex || !s.last || !s.last->postgres || s.conninfo.isEmpty())
            continue;
        const db::HostPort hp = db::hostPort(s.conninfo);
        if (poolerPointsAt(pooler, hp.host, hp.port))
            postgres.append(i);
    }
    m_slots[size_t(poolerIndex)].links = postgres;
    m_engine.setLinks(poolerIndex, postgres);
}

void FleetWatch::onSnapshot(int index, const TargetSnapshot &snapshot)
{
    Slot &s = m_slots[size_t(index)];
    s.latest = snapshot;
    ++(snapshot.ok ? s.samplesOk : s.samplesFailed);
    if (snapshot.ok)
        s.last = snapshot;
    else if (!s.last)
        s.last = snapshot;
    if (snapshot.ok && snapshot.bouncer && !s.conninfo.isEmpty())
        relink(index, *snapshot.bouncer);
    m_engine.addSample(index, snapshot.target, snapshot);
    Q_EMIT sampled(index, snapshot);
}

} // namespace poolscope::cli
