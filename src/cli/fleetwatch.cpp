#include "fleetwatch.h"

#include "core/poolerchain.h"
#include "db/conninfo.h"
#include "db/targetcontroller.h"
#include "metrics/prometheusclient.h"

#include <QDateTime>
#include <QTimer>
#include <algorithm>

namespace poolscope::cli {

namespace {
constexpr int kMinPrometheusIntervalMs = 1000;
}

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
            // A read's queries get the interval, at least 1 s, at most 10 s.
            const int periodMs = std::max(kMinPrometheusIntervalMs, intervalMs);
            source->reader =
                std::make_unique<metrics::PrometheusReader>(*endpoint, std::min(periodMs, 10000));
            source->timer = std::make_unique<QTimer>();
            source->timer->setInterval(periodMs);
            Source *raw = source.get();
            connect(source->timer.get(), &QTimer::timeout, this, [raw] { raw->reader->read(); });
            connect(source->reader.get(), &metrics::PrometheusReader::finished, this,
                    [this, raw](const metrics::FleetRead &read) { onFleetRead(*raw, read); });
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
        if (!source->reader) {
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
        source->timer->start();
        source->reader->read();
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

void FleetWatch::onFleetRead(Source &source, const metrics::FleetRead &read)
{
    auto publish = [&](int index, TargetSnapshot snapshot) {
        Slot &s = m_slots[size_t(index)];
        s.kind = snapshot.kind != TargetKind::Unknown ? snapshot.kind : s.kind;
        s.state = snapshot.ok ? TargetState::Live : TargetState::Failed;
        s.error = snapshot.ok ? QString() : snapshot.error.message;
        s.failures = snapshot.ok ? 0 : s.failures + 1;
        s.durationMs = read.elapsedMs;
        onSnapshot(index, snapshot);
    };
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    if (!read.ok) {
        // Prometheus itself could not be read: a target named after it fails, and so does every target read
        // from it before (their last figures are not current any more).
        if (source.selfIndex < 0)
            source.selfIndex = addSlot(source.display, true);
        auto failed = [&](const QString &name, TargetKind kind) {
            TargetSnapshot s;
            s.target = name;
            s.kind = kind;
            s.sampledAtMs = nowMs;
            s.error.kind = ErrorKind::Connect;
            s.error.message = read.error;
            return s;
        };
        publish(source.selfIndex, failed(source.display, TargetKind::Unknown));
        for (int index : std::as_const(source.indexOf))
            publish(index, failed(m_slots[size_t(index)].name, m_slots[size_t(index)].kind));
        return;
    }
    if (source.selfIndex >= 0) {
        Slot &self = m_slots[size_t(source.selfIndex)];
        self.state = TargetState::Live;
        self.error.clear();
        self.failures = 0;
    }
    for (const metrics::DiscoveredTarget &d : read.targets) {
        const QString key = d.origin + QLatin1Char('|') + d.job + QLatin1Char('|') + d.instance +
                            QLatin1Char('|') + d.snapshot.target;
        auto it = source.indexOf.find(key);
        if (it == source.indexOf.end())
            it = source.indexOf.insert(key, addSlot(d.snapshot.target, true));
        TargetSnapshot snapshot = d.snapshot;
        snapshot.sampledAtMs = nowMs;
        publish(*it, snapshot);
    }
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
