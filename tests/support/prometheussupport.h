#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <optional>

// The Prometheus side of the integration tests: HTTP that keeps the test's event loop turning (an in-process
// /metrics server answers meanwhile), Prometheus's own query API, and promtool.
namespace poolscope::test {

struct HttpResult
{
    int status = 0; // 0: no HTTP answer
    QByteArray contentType;
    QByteArray body;
    QString error;
};

/// GET `url` with QNetworkAccessManager, spinning the event loop until the answer (at most `timeoutMs`).
HttpResult fetch(const QString &url, const QByteArray &accept = {}, int timeoutMs = 5000);

/// One series of an instant-query result.
struct PromSeries
{
    QHash<QString, QString> labels;
    double value = 0;
};
/// GET /api/v1/query?query=EXPR on the Prometheus at `baseUrl`; nullopt with `error` when Prometheus says
/// anything but success (or is unreachable), the vector otherwise (possibly empty).
std::optional<QList<PromSeries>> promQuery(const QString &baseUrl, const QString &expr, QString *error);

/// `promtool check metrics` with `page` on its stdin. Its exit code: 0 clean, 3 parsed but with lint problems
/// (one per line of `output`, "NAME problem"), 1 a page it cannot parse; -1 when it did not run.
int promtoolCheckMetrics(const QByteArray &page, QString *output);

/// The value of the sample line `series` (exactly, e.g. `name{a="b"}`) in a text exposition; nullopt when the
/// page has no such line.
std::optional<double> sampleValue(const QByteArray &page, const QString &series);

} // namespace poolscope::test
