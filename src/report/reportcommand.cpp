#include "reportcommand.h"

#include "cli/commandline.h"
#include "cli/exitcodes.h"
#include "cli/watchcommand.h"
#include "incidentreport.h"
#include "record/recordingreader.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <QTimeZone>
#include <cstdio>
#include <unistd.h>

namespace poolscope::report {

namespace {

QString size(qint64 bytes)
{
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(double(bytes) / 1024.0, 0, 'f', 0);
    return QStringLiteral("%1 MiB").arg(double(bytes) / 1048576.0, 0, 'f', 1);
}

} // namespace

std::optional<qint64> parseReportTime(const QString &text, qint64 startMs, qint64 endMs)
{
    const QString t = text.trimmed();
    if (t.startsWith(QLatin1Char('-')) || t.startsWith(QLatin1Char('+'))) {
        const auto ms = cli::parseDurationMs(t.mid(1));
        if (!ms)
            return std::nullopt;
        return t.startsWith(QLatin1Char('-')) ? endMs - *ms : startMs + *ms;
    }
    static const QRegularExpression clockTime(QStringLiteral("^(\\d{1,2}):(\\d{2})(?::(\\d{2}))?$"));
    if (const auto m = clockTime.match(t); m.hasMatch()) {
        const QTime time(m.captured(1).toInt(), m.captured(2).toInt(), m.captured(3).toInt());
        if (!time.isValid())
            return std::nullopt;
        const QDateTime end = QDateTime::fromMSecsSinceEpoch(endMs);
        QDateTime at(end.date(), time);
        if (at.toMSecsSinceEpoch() > endMs + 60000)
            at = QDateTime(end.date().addDays(-1), time);
        return at.toMSecsSinceEpoch();
    }
    QString iso = t;
    if (iso.size() > 10 && iso.at(10) == QLatin1Char(' '))
        iso[10] = QLatin1Char('T');
    QDateTime at = QDateTime::fromString(iso, Qt::ISODateWithMs);
    if (!at.isValid())
        at = QDateTime::fromString(iso, Qt::ISODate);
    if (!at.isValid())
        return std::nullopt;
    return at.toMSecsSinceEpoch();
}

int reportCommand(const QStringList &args)
{
    const QString command = QStringLiteral("report");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write an incident report of a recording (from `poolscope record`, File → Save the last 30\n"
        "minutes… or the rolling recording): one self-contained HTML file (the charts embedded, inline\n"
        "CSS, nothing loaded from anywhere) and, with --pdf, the same as an A4 PDF. It holds the targets,\n"
        "the window, what happened (the findings in the order they were raised, with first and last seen,\n"
        "evidence and advice), the charts of the window (sessions by state, transactions per second,\n"
        "sessions by application; for PgBouncer the busiest pools' servers, clients and queue age) with\n"
        "findings, actions and load runs marked, the actions taken (who, what, sessions, outcome) and\n"
        "the load runs.\n\n"
        "The window is the whole recording unless --from, --to or --last say otherwise. TIME is ISO 8601\n"
        "(2026-05-01T14:05:00, local unless it ends in Z or an offset), a clock time on the recording's\n"
        "last day (14:05, 14:05:30), or relative: -10m (before the recording's end), +5m (after its start).\n"
        "No display is needed (the charts are drawn offscreen).\n\n"
        "Exit codes: 0 written, 1 bad command line, RECORDING is not a readable recording (missing, not a\n"
        "recording, damaged, a newer format), the window is outside it, or a file cannot be written."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("RECORDING"), QStringLiteral("The recording."));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("The HTML file to write (replaced)."),
                                 QStringLiteral("file"));
    const QCommandLineOption pdf(QStringLiteral("pdf"), QStringLiteral("Also write the report as a PDF."),
                                 QStringLiteral("file"));
    const QCommandLineOption from(QStringLiteral("from"), QStringLiteral("Start of the window (TIME)."),
                                  QStringLiteral("time"));
    const QCommandLineOption to(QStringLiteral("to"), QStringLiteral("End of the window (TIME)."),
                                QStringLiteral("time"));
    const QCommandLineOption last(
        QStringLiteral("last"), QStringLiteral("The window is the last DURATION of the recording (30m, 1h)."),
        QStringLiteral("duration"));
    for (const QCommandLineOption &o : {out, pdf, from, to, last})
        parser.addOption(o);
    auto usage = [&command](const QString &message) {
        return cli::usageError(command, message, cli::ExitUsage);
    };
    if (const auto exit = cli::parseCommandLine(parser, command, args, cli::ExitUsage))
        return *exit;
    if (parser.positionalArguments().size() != 1)
        return usage(QStringLiteral("one RECORDING is required (see --help)"));
    if (!parser.isSet(out) || parser.value(out).isEmpty())
        return usage(QStringLiteral("--out FILE is required (the HTML report)"));
    if (parser.isSet(pdf) && parser.value(pdf).isEmpty())
        return usage(QStringLiteral("--pdf needs a FILE"));
    if (parser.isSet(last) && parser.isSet(from))
        return usage(QStringLiteral("--last and --from cannot be used together"));

    const QString path = parser.positionalArguments().first();
    ReportOptions options;
    options.htmlPath = parser.value(out);
    options.pdfPath = parser.value(pdf);
    {
        // The times are read against the recording's own span: open it once for that.
        record::RecordingReader reader;
        QString error;
        if (!reader.open(path, &error))
            return usage(error);
        const auto [start, end] = reader.timeSpan();
        if (start == 0)
            return usage(QStringLiteral("%1: the recording holds no sample").arg(path));
        if (parser.isSet(to)) {
            const auto ms = parseReportTime(parser.value(to), start, end);
            if (!ms)
                return usage(
                    QStringLiteral("--to: \"%1\" is not a TIME (2026-05-01T14:05:00, 14:05, -10m, +5m)")
                        .arg(parser.value(to)));
            options.toMs = *ms;
        }
        if (parser.isSet(from)) {
            const auto ms = parseReportTime(parser.value(from), start, end);
            if (!ms)
                return usage(
                    QStringLiteral("--from: \"%1\" is not a TIME (2026-05-01T14:05:00, 14:05, -10m, +5m)")
                        .arg(parser.value(from)));
            options.fromMs = *ms;
        }
        if (parser.isSet(last)) {
            const auto ms = cli::parseDurationMs(parser.value(last));
            if (!ms)
                return usage(QStringLiteral("--last needs a duration, e.g. 30m or 1h"));
            options.fromMs = (options.toMs > 0 ? options.toMs : end) - *ms;
        }
    }

    const bool tty = isatty(fileno(stderr)) != 0;
    QElapsedTimer timer;
    timer.start();
    const ReportResult r = writeIncidentReport(path, options, [tty](int percent, const QString &step) {
        if (tty) {
            std::fprintf(stderr, "\r\033[Kpoolscope report: %3d%% %s", percent, qPrintable(step));
            std::fflush(stderr);
        }
        return true;
    });
    if (tty)
        std::fputs("\r\033[K", stderr);
    if (!r.ok())
        return usage(r.error);
    const QString window = QStringLiteral("%1 to %2")
                               .arg(QDateTime::fromMSecsSinceEpoch(r.fromMs).toString(Qt::ISODate),
                                    QDateTime::fromMSecsSinceEpoch(r.toMs).toString(Qt::ISODate));
    std::printf("%s\t%s\t%d charts, %d findings, %d actions, %d load runs; window %s\n",
                qPrintable(options.htmlPath), qPrintable(size(r.htmlBytes)), r.charts, r.findings, r.actions,
                r.loadRuns, qPrintable(window));
    if (!options.pdfPath.isEmpty())
        std::printf("%s\t%s\n", qPrintable(options.pdfPath), qPrintable(size(r.pdfBytes)));
    if (tty)
        std::fprintf(stderr, "poolscope report: written in %.1f s\n", double(timer.elapsed()) / 1000.0);
    return cli::ExitOk;
}

} // namespace poolscope::report
