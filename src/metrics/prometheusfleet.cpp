#include "prometheusfleet.h"

#include <QDateTime>
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
    if (m_reader->busy())
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
    auto failed = [&](int index, const QString &message) {
        TargetSnapshot s;
        s.target = m_entries[index].snapshot.target;
        s.kind = m_entries[index].snapshot.kind;
        s.sampledAtMs = atMs;
        s.error.kind = ErrorKind::Connect;
        s.error.message = message;
        Q_EMIT sampled(index, s);
    };
    if (!read.ok) {
        for (int i = 0; i < count(); ++i)
            failed(i, read.error);
        Q_EMIT readFailed(read.error);
        return;
    }
    QSet<int> seen;
    for (const DiscoveredTarget &d : read.targets) {
        const QString key = keyOf(d);
        auto it = m_indexOf.constFind(key);
        if (it == m_indexOf.cend()) {
            it = m_indexOf.insert(key, int(m_entries.size()));
            m_entries.append(d);
            Q_EMIT discovered(*it, d);
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
        Q_EMIT sampled(*it, snapshot);
    }
    for (int i = 0; i < count(); ++i) {
        if (!seen.contains(i))
            failed(i,
                   QStringLiteral("%1 at %2 (job %3) is no longer in Prometheus (no series within the last "
                                  "hour)")
                       .arg(m_entries[i].origin, m_entries[i].instance, m_entries[i].job));
    }
    Q_EMIT readSucceeded(int(read.targets.size()));
}

} // namespace poolscope::metrics
