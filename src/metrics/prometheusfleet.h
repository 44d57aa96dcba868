#pragma once

#include "core/targetsnapshot.h"
#include "metrics/prometheusclient.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QTimer>
#include <memory>

namespace poolscope::metrics {

/// One Prometheus read as a fleet every interval (at least 1 s): each PostgreSQL or PgBouncer instance
/// discovered in it is an entry of its own, numbered in the order it was first seen (stable for the object's
/// life), with one sample per read. When Prometheus cannot be read, every entry read from it before gets a
/// failed sample with the reason (its last figures are not current any more), then readFailed(); an entry a
/// successful read no longer lists gets a failed sample saying so. What `watch`/`diagnose` (cli::FleetWatch)
/// and the window's Prometheus targets share. Lives on the thread that created it; GUI-less.
///
/// A read's samples are delivered in slices of at most kTurnBudgetMs each, one event-loop turn per slice:
/// with hundreds of targets, whatever the receivers do with a sample (the window: series, page, fleet
/// overview, findings) holds the loop for a slice of the read, not for all of it; a fast machine takes a read
/// in one slice. No read starts before the last one is delivered.
class PrometheusFleet : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMinIntervalMs = 1000;
    static constexpr int kMaxQueryTimeoutMs = 10000;
    static constexpr int kTurnBudgetMs = 15;

    PrometheusFleet(PrometheusEndpoint endpoint, int intervalMs, QObject *parent = nullptr);
    ~PrometheusFleet() override;

    /// Reads now, then every interval.
    void start();
    /// Reads now (ignored while a read is in flight).
    void readNow();

    const PrometheusEndpoint &endpoint() const;
    int intervalMs() const { return m_timer.interval(); }
    int count() const { return int(m_entries.size()); }
    /// Entry `index` as its newest read found it (origin, job, instance, name, kind).
    const DiscoveredTarget &entry(int index) const { return m_entries[index]; }
    /// Wall time of the last read, Prometheus's answers and parsing included; -1 before the first.
    qint64 lastReadMs() const { return m_lastReadMs; }

    /// The key that names an instance across reads: origin, job, instance and target label.
    static QString keyOf(const DiscoveredTarget &target);

Q_SIGNALS:
    /// Entry `index` was seen for the first time; its first sampled() follows.
    void discovered(int index, const poolscope::metrics::DiscoveredTarget &target);
    /// A read's sample of entry `index` (sampledAtMs: when the read was asked).
    void sampled(int index, const poolscope::TargetSnapshot &snapshot);
    /// The read answered: `found` instances (after their samples).
    void readSucceeded(int found);
    /// Prometheus itself could not be read (after the entries' failed samples).
    void readFailed(const QString &error);

private:
    void onRead(const FleetRead &read);
    /// The next slice of the read being delivered; readSucceeded() after the last.
    void deliver();

    std::unique_ptr<PrometheusReader> m_reader;
    QTimer m_timer;
    QList<DiscoveredTarget> m_entries;
    QHash<QString, int> m_indexOf;
    qint64 m_askedAtMs = 0;
    qint64 m_lastReadMs = -1;
    // The read being delivered: (entry, sample) in order, how far, and how many instances it found.
    QList<QPair<int, TargetSnapshot>> m_outbox;
    qsizetype m_delivered = 0;
    int m_found = 0;
    QTimer m_turn;
};

} // namespace poolscope::metrics
