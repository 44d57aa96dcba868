#pragma once

#include "core/targetsnapshot.h"
#include "metrics/prometheusclient.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace poolscope::metrics {

/// What one history read found: the target's samples, oldest first (failed ones are gaps), or why not.
struct HistoryRead
{
    bool ok = false;
    QString error;
    QList<TargetSnapshot> samples;
    int stepS = 0;
    qint64 elapsedMs = 0;
};

/// Reads the recent history of one target discovered in a Prometheus (its charts' past) without blocking:
/// /api/v1/query_range of seriesQuery(selectorOf(target)) over the last `rangeS` seconds, at
/// rangeStepSeconds(rangeS, intervalS), so no series exceeds Prometheus's 11,000 points; the answer is parsed
/// and turned into samples (historyOf) on a TaskPool thread, then finished(). One read at a time. Lives on
/// the thread that created it.
class PrometheusHistoryReader : public QObject
{
    Q_OBJECT
public:
    PrometheusHistoryReader(PrometheusEndpoint endpoint, int timeoutMs, QObject *parent = nullptr);
    ~PrometheusHistoryReader() override;

    /// Ignored (false) while a read is in flight.
    bool read(const DiscoveredTarget &target, double rangeS, double intervalS);
    bool busy() const { return m_api.waiting() || m_parsing; }

Q_SIGNALS:
    void finished(const poolscope::metrics::HistoryRead &read);

private:
    void onAnswer(QByteArray body, const QString &error);

    PrometheusApi m_api;
    DiscoveredTarget m_target;
    int m_stepS = 0;
    bool m_parsing = false;
    QElapsedTimer m_clock;
};

/// PrometheusHistoryReader::read() waited for (spins a local event loop).
HistoryRead readHistory(const PrometheusEndpoint &endpoint, const DiscoveredTarget &target, double rangeS,
                        double intervalS, int timeoutMs = 10000);

} // namespace poolscope::metrics
