#include "prometheusfleet.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QSet>
#include <algorithm>

namespace poolscope::metrics {

PrometheusFleet::PrometheusFleet(PrometheusEndpoint endpoint, int intervalMs, QObject *parent)
    : QObject(parent)
{
    // A read's queries get the interval, at least 1 s, at most 10 s.
    const int periodMs = std::max(kMinIntervalMs, intervalMs);
    m_reader =
        std::make_unique<PrometheusReader>(std::move(endpoint), std::min(periodMs, kMaxQueryTimeoutMs));
    m_timer.setInterval(periodMs);
    connect(&m_timer, &QTimer::timeout, this, &PrometheusFleet::readNow);
    connect(m_reader.get(), &PrometheusReader::finished, this, &PrometheusFleet::onRead);
    m_turn.setSingleShot(true);
    m_turn.setInterval(0);
    connect(&m_turn, &QTimer::timeout, this, &PrometheusFleet::deliver);
}

PrometheusFleet::~PrometheusFleet() = default;

const PrometheusEndpoint &PrometheusFleet::endpoint() const
{
    return m_reader->endpoint();
}

void PrometheusFleet::start()
{
    m_timer.start();
    readNow();
}

void PrometheusFleet::readNow()
{
    if (m_reader->busy() || m_delivered < m_outbox.size())
        return;
    m_askedAtMs = QDateTime::currentMSecsSinceEpoch();
    m_reader->read();
}

QString PrometheusFleet::keyOf(const DiscoveredTarget &target)
{
    return target.origin + QLatin1Char('|') + target.job + QLatin1Char('|') + target.instance +
           QLatin1Char('|') + target.snapshot.target;
}

void PrometheusFleet::onRead(const FleetRead &read)
{
    m_lastReadMs = read.elapsedMs;
    const qint64 atMs = m_askedAtMs;
    m_outbox.clear();
    m_delivered = 0;
    auto failed = [&](int index, const QString &message) {
        TargetSnapshot s;
        s.target = m_entries[index].snapshot.target;
        s.kind = m_entries[index].snapshot.kind;
        s.sampledAtMs = atMs;
        s.error.kind = ErrorKind::Connect;
        s.error.message = message;
        return s;
    };
    if (!read.ok) {
        // Few entries' worth of failures, and the reason said at once.
        for (int i = 0; i < count(); ++i)
            Q_EMIT sampled(i, failed(i, read.error));
        Q_EMIT readFailed(read.error);
        return;
    }
    QSet<int> seen;
    for (const DiscoveredTarget &d : read.targets) {
        const QString key = keyOf(d);
        auto it = m_indexOf.constFind(key);
        const bool isNew = it == m_indexOf.cend();
        if (isNew) {
            it = m_indexOf.insert(key, int(m_entries.size()));
            m_entries.append(d);
        } else {
            // The kind stays what it was known to be when the exporter went down (no series to tell it).
            const TargetKind known = m_entries[*it].snapshot.kind;
            m_entries[*it] = d;
            if (d.snapshot.kind == TargetKind::Unknown)
                m_entries[*it].snapshot.kind = known;
        }
        seen.insert(*it);
        TargetSnapshot snapshot = d.snapshot;
        snapshot.sampledAtMs = atMs;
        if (snapshot.kind == TargetKind::Unknown)
            snapshot.kind = m_entries[*it].snapshot.kind;
        // A new entry's discovered() goes with its first sample, in the same turn.
        m_outbox.append({isNew ? -1 - *it : *it, std::move(snapshot)});
    }
    for (int i = 0; i < count(); ++i) {
        if (!seen.contains(i))
            m_outbox.append(
                {i, failed(i, QStringLiteral("%1 at %2 (job %3) is no longer in Prometheus (no series "
                                             "within the last hour)")
                                  .arg(m_entries[i].origin, m_entries[i].instance, m_entries[i].job))});
    }
    m_found = int(read.targets.size());
    deliver();
}

void PrometheusFleet::deliver()
{
    QElapsedTimer turn;
    turn.start();
    while (m_delivered < m_outbox.size() && turn.elapsed() < kTurnBudgetMs) {
        const auto &[tagged, snapshot] = m_outbox.at(m_delivered);
        const int index = tagged < 0 ? -1 - tagged : tagged;
        if (tagged < 0)
            Q_EMIT discovered(index, m_entries[index]);
        Q_EMIT sampled(index, snapshot);
        ++m_delivered;
    }
    if (m_delivered < m_outbox.size()) {
        m_turn.start(); // the rest in the next turns of the event loop
        return;
    }
    m_outbox.clear();
    m_delivered = 0;
    Q_EMIT readSucceeded(m_found);
}

} // namespace poolscope::metrics
