#include "watchcommand.h"

#include "cli/snapshotcommand.h"
#include "commandline.h"
#include "core/finding.h"
#include "core/signalcatcher.h"
#include "core/snapshotjson.h"
#include "db/targetcontroller.h"
#include "fleetmetrics.h"
#include "fleetwatch.h"
#include "metrics/metricsserver.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <vector>

namespace poolscope::cli {

namespace {

constexpr qint64 kMinIntervalMs = 100;
constexpr qint64 kMaxIntervalMs = 60000;

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QString seconds(double s)
{
    return QString::number(s, 'f', s < 10 ? 1 : 0) + QLatin1Char('s');
}

QString humanLine(const TargetSnapshot &s, const FleetWatch &fleet, int index,
                  const QList<findings::Finding> &open)
{
    QString line = isoTime(s.sampledAtMs) + QLatin1String("  ") + s.target + QLatin1String("  ") +
                   targetStateName(fleet.state(index));
    if (!fleet.source(index).isEmpty())
        line += QLatin1String("  (") + fleet.source(index) + QLatin1Char(')');
    if (!s.ok) {
        line += QLatin1String("  error: ") + s.error.message;
        if (const qint64 next = fleet.nextRetryMs(index);
            next >= 0 && fleet.state(index) != TargetState::Live)
            line += QStringLiteral("  (next attempt in %1)").arg(seconds(double(next) / 1000.0));
        return line;
    }
    if (s.postgres) {
        const PostgresSample &pg = *s.postgres;
        line += QStringLiteral("  sessions %1").arg(pg.counts.total());
        if (const auto usable = pg.usableConnections())
            line += QStringLiteral("/%1").arg(*usable);
        line += QStringLiteral(" (active %1, idle %2, idle in tx %3, aborted %4)")
                    .arg(pg.counts[SessionState::Active])
                    .arg(pg.counts[SessionState::Idle])
                    .arg(pg.counts[SessionState::IdleInTransaction])
                    .arg(pg.counts[SessionState::IdleInTransactionAborted]);
        if (const auto oldest = pg.oldestXactAge())
            line += QLatin1String("  oldest tx ") + seconds(*oldest);
    }
    if (s.bouncer) {
        qint64 active = 0, waiting = 0, svActive = 0, svIdle = 0;
        double maxwait = 0;
        for (const PoolStats &p : s.bouncer->pools) {
            active += p.clActive.value_or(0);
            waiting += p.clWaiting.value_or(0);
            svActive += p.svActive.value_or(0);
            svIdle += p.svIdle.value_or(0);
            maxwait = std::max(maxwait, p.maxwaitSeconds.value_or(0));
        }
        line +=
            QStringLiteral("  pools %1: cl_active %2, cl_waiting %3, sv_active %4, sv_idle %5, maxwait %6")
                .arg(s.bouncer->pools.size())
                .arg(active)
                .arg(waiting)
                .arg(svActive)
                .arg(svIdle)
                .arg(seconds(maxwait));
    }
    if (s.tps)
        line += QStringLiteral("  tps %1").arg(*s.tps, 0, 'f', 1);
    QStringList named;
    for (const findings::Finding &f : open)
        named.append(f.rule + QStringLiteral(" (") + findings::severityName(f.severity) + QLatin1Char(')'));
    if (!named.isEmpty())
        line += QStringLiteral("  findings: ") + named.join(QStringLiteral(", "));
    return line;
}

QByteArray jsonLine(const TargetSnapshot &s, const FleetWatch &fleet, int index,
                    const QList<findings::Finding> &open)
{
    QJsonObject o = toJson(s);
    if (!fleet.source(index).isEmpty())
        o.insert(QStringLiteral("source"), fleet.source(index));
    QJsonArray list;
    for (const findings::Finding &f : open)
        list.append(findings::toJson(f));
    o.insert(QStringLiteral("findings"), list);
    o.insert(QStringLiteral("time"), isoTime(s.sampledAtMs));
    o.insert(QStringLiteral("state"), targetStateName(fleet.state(index)));
    if (fleet.state(index) != TargetState::Live) {
        o.insert(QStringLiteral("attempts"), fleet.attemptCount(index));
        const qint64 next = fleet.nextRetryMs(index);
        o.insert(QStringLiteral("next_retry_ms"), next >= 0 ? QJsonValue(double(next)) : QJsonValue());
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

void writeLine(const QByteArray &line)
{
    // One write per line and a flush: a pipe reader (jq, a log shipper) sees each sample as it happens.
    std::fwrite(line.constData(), 1, size_t(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace

std::optional<qint64> parseIntervalMs(const QString &text, QString *error)
{
    const std::optional<qint64> ms = parseDurationMs(text);
    if (ms && *ms >= kMinIntervalMs && *ms <= kMaxIntervalMs)
        return ms;
    *error = QStringLiteral("--interval needs a duration from 100ms to 60s, e.g. 500ms or 2s");
    return std::nullopt;
}

std::optional<qint64> parseDurationMs(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^\\s*(\\d+(?:\\.\\d*)?|\\.\\d+)\\s*(ms|s|m|h)?\\s*$"),
                                       QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    bool ok = false;
    const double value = m.captured(1).toDouble(&ok);
    if (!ok)
        return std::nullopt;
    const QString unit = m.captured(2).toLower();
    double factor = 1000.0; // plain number: seconds
    if (unit == QLatin1String("ms"))
        factor = 1.0;
    else if (unit == QLatin1String("m"))
        factor = 60000.0;
    else if (unit == QLatin1String("h"))
        factor = 3600000.0;
    const double ms = std::round(value * factor);
    if (ms <= 0 || ms > 1e15)
        return std::nullopt;
    return qint64(ms);
}

int watchCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sample each target repeatedly, each on its own thread, and print one line per target per sample.\n\n"
        "TARGET is a libpq connection string (see `poolscope snapshot --help`), or a Prometheus\n"
        "(prometheus+http://HOST:PORT): every instance discovered in it is a target, read from it every\n"
        "interval (at least 1s), marked \"source\":\"prometheus\". A target that fails or\n"
        "stops answering is reported (state stalled, reconnecting or failed) and retried with backoff while\n"
        "the others go on. DURATION is 500ms, 1s, 2m, 1h or a number of seconds.\n\n"
        "--json-lines prints one JSON object per line: the per-target object of `snapshot --json` plus\n"
        "\"time\" (ISO 8601, UTC), \"state\" and \"findings\" (the target's open findings, as `poolscope\n"
        "diagnose --json` prints them); while not live also \"attempts\" and \"next_retry_ms\".\n\n"
        "--metrics-listen HOST:PORT serves GET /metrics for Prometheus while watching (text format 0.0.4,\n"
        "OpenMetrics 1.0 when the scraper asks for it): PgBouncer under pgbouncer_exporter's names,\n"
        "PostgreSQL under postgres_exporter's, PoolScope's own under poolscope_, a target label on each.\n"
        "HOST defaults to 127.0.0.1; see the README before listening on anything but loopback.\n\n"
        "Exit codes: 0 at the end of the duration (or on Ctrl+C), 1 bad command line, 2 the metrics\n"
        "address cannot be bound."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"), QStringLiteral("Connection string(s)."),
                                 QStringLiteral("TARGET..."));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Time between samples, 100ms to 60s (default 1s)."),
                                      QStringLiteral("duration"), QStringLiteral("1s"));
    const QCommandLineOption duration(QStringLiteral("duration"),
                                      QStringLiteral("Stop after this long (default: until Ctrl+C)."),
                                      QStringLiteral("duration"));
    const QCommandLineOption deadline(
        QStringLiteral("deadline"),
        QStringLiteral("A sample with no reply after this long is cancelled and the target marked stalled "
                       "(default: 3 intervals, at least 3s)."),
        QStringLiteral("duration"));
    const QCommandLineOption jsonLines(QStringLiteral("json-lines"), QStringLiteral("Print JSON lines."));
    const QCommandLineOption set(
        QStringLiteral("set"),
        QStringLiteral("Override a findings threshold (see `poolscope diagnose --help`)."),
        QStringLiteral("key=value"));
    const QCommandLineOption metricsListen(
        QStringLiteral("metrics-listen"),
        QStringLiteral("Serve /metrics for Prometheus on HOST:PORT (HOST: an IP address, default loopback)."),
        QStringLiteral("host:port"));
    parser.addOption(set);
    parser.addOption(metricsListen);
    parser.addOption(interval);
    parser.addOption(duration);
    parser.addOption(deadline);
    parser.addOption(jsonLines);
    auto usage = [](const QString &message) {
        return usageError(QStringLiteral("watch"), message, ExitUsage);
    };
    if (const auto exit = parseCommandLine(parser, QStringLiteral("watch"), args, ExitUsage))
        return *exit;
    const QStringList targets = parser.positionalArguments();
    if (targets.isEmpty())
        return usage(QStringLiteral("at least one TARGET is required (see --help)"));
    QString intervalError;
    const auto intervalMs = parseIntervalMs(parser.value(interval), &intervalError);
    if (!intervalMs)
        return usage(intervalError);
    std::optional<qint64> durationMs;
    if (parser.isSet(duration)) {
        durationMs = parseDurationMs(parser.value(duration));
        if (!durationMs || *durationMs > std::numeric_limits<int>::max())
            return usage(QStringLiteral("--duration needs a positive duration, e.g. 60s or 5m"));
    }
    std::optional<qint64> deadlineMs;
    if (parser.isSet(deadline)) {
        deadlineMs = parseDurationMs(parser.value(deadline));
        if (!deadlineMs || *deadlineMs < kMinIntervalMs || *deadlineMs > 3600000)
            return usage(QStringLiteral("--deadline needs a duration from 100ms to 1h"));
    }
    const bool json = parser.isSet(jsonLines);
    findings::Thresholds thresholds;
    for (const QString &assignment : parser.values(set)) {
        QString error;
        if (!findings::setThreshold(thresholds, assignment, &error))
            return usage(error);
    }

    std::optional<metrics::ListenAddress> listenAt;
    if (parser.isSet(metricsListen)) {
        QString error;
        listenAt = metrics::parseListenAddress(parser.value(metricsListen), &error);
        if (!listenAt)
            return usage(error);
    }

    QEventLoop loop;
    SignalCatcher catcher;
    QObject::connect(&catcher, &SignalCatcher::caught, &loop, &QEventLoop::quit);
    auto fleet = std::make_unique<FleetWatch>(targets, int(*intervalMs), deadlineMs, thresholds);
    const FleetWatch *raw = fleet.get();
    QObject::connect(fleet.get(), &FleetWatch::sampled, &loop, [raw, json](int i, const TargetSnapshot &s) {
        const QList<findings::Finding> open = raw->engine().openFindingsOf(i);
        writeLine(json ? jsonLine(s, *raw, i, open) : humanLine(s, *raw, i, open).toUtf8());
    });
    std::unique_ptr<metrics::MetricsServer> server;
    if (listenAt) {
        server = std::make_unique<metrics::MetricsServer>([raw] { return fleetExposition(*raw); });
        QString error;
        if (!server->listen(*listenAt, &error)) {
            std::fprintf(stderr, "poolscope watch: %s\n", qPrintable(error));
            return ExitTargetFailed;
        }
        // On stderr, so --json-lines stays one JSON object per line; with port 0 this names the chosen one.
        const QString host = listenAt->host.protocol() == QAbstractSocket::IPv6Protocol
                                 ? QLatin1Char('[') + listenAt->host.toString() + QLatin1Char(']')
                                 : listenAt->host.toString();
        std::fprintf(stderr, "poolscope watch: serving metrics on http://%s:%u/metrics\n", qPrintable(host),
                     unsigned(server->port()));
        std::fflush(stderr);
    }
    if (durationMs)
        QTimer::singleShot(int(*durationMs), Qt::PreciseTimer, &loop, &QEventLoop::quit);
    fleet->start();
    loop.exec();
    server.reset(); // before the fleet its provider reads
    fleet.reset();  // interrupts the workers: prompt even when a server hangs
    return ExitOk;
}

} // namespace poolscope::cli
