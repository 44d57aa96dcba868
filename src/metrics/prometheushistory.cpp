#include "prometheushistory.h"

#include "core/taskpool.h"
#include "metrics/promhistory.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QUrl>
#include <cmath>

namespace poolscope::metrics {

PrometheusHistoryReader::PrometheusHistoryReader(PrometheusEndpoint endpoint, int timeoutMs, QObject *parent)
    : QObject(parent), m_api(std::move(endpoint), timeoutMs)
{}

PrometheusHistoryReader::~PrometheusHistoryReader() = default;

bool PrometheusHistoryReader::read(const DiscoveredTarget &target, double rangeS, double intervalS)
{
    if (busy())
        return false;
    m_clock.start();
    m_target = target;
    m_stepS = rangeStepSeconds(rangeS, intervalS);
    // Whole steps ending now, so the newest samples are in it whatever the step.
    const qint64 end = QDateTime::currentSecsSinceEpoch();
    const qint64 start = end - qint64(std::llround(rangeS)) / m_stepS * m_stepS;
    // One arg() call: the percent-encoded PromQL is full of "%22" that a second arg() would take for a
    // placeholder.
    const QString query =
        QStringLiteral("query=%1&start=%2&end=%3&step=%4")
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(seriesQuery(selectorOf(target)))),
                 QString::number(start), QString::number(end), QString::number(m_stepS));
    m_api.get(QStringLiteral("api/v1/query_range"), query, this,
              [this](QByteArray body, const QString &error) { onAnswer(std::move(body), error); });
    return true;
}

void PrometheusHistoryReader::onAnswer(QByteArray body, const QString &error)
{
    if (!error.isEmpty()) {
        HistoryRead r;
        r.error = error;
        r.stepS = m_stepS;
        r.elapsedMs = m_clock.elapsed();
        Q_EMIT finished(r);
        return;
    }
    // Thousands of points per series: parsed and rediscovered off this thread.
    m_parsing = true;
    TaskPool::run(
        this,
        [body = std::move(body), target = m_target, display = m_api.endpoint().display, step = m_stepS] {
            HistoryRead r;
            r.stepS = step;
            QString error;
            const auto matrix = parseRangeMatrix(body, &error);
            if (!matrix) {
                r.error = QStringLiteral("Prometheus at %1: %2").arg(display, error);
                return r;
            }
            r.samples = historyOf(*matrix, target);
            r.ok = true;
            return r;
        },
        [this](HistoryRead r) {
            m_parsing = false;
            r.elapsedMs = m_clock.elapsed();
            Q_EMIT finished(r);
        });
}

HistoryRead readHistory(const PrometheusEndpoint &endpoint, const DiscoveredTarget &target, double rangeS,
                        double intervalS, int timeoutMs)
{
    PrometheusHistoryReader reader(endpoint, timeoutMs);
    return waitForRead(reader, &PrometheusHistoryReader::finished,
                       [&] { reader.read(target, rangeS, intervalS); });
}

} // namespace poolscope::metrics
