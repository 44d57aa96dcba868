#include "exportcommand.h"

#include "commandline.h"
#include "record/recordingexport.h"
#include "record/recordingreader.h"

#include <QCommandLineParser>
#include <cstdio>

namespace poolscope::cli {

int exportCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Write a recording (from `poolscope record`) as one file per table into DIR: meta, targets,\n"
        "samples, sessions (one row per session per sample), pools, findings, audit, markers.\n"
        "CSV files have a header row; JSON files hold an array of objects.\n\n"
        "Exit codes: 0 written, 1 bad command line, FILE is not a readable recording (missing, not a\n"
        "recording, damaged, a newer format) or DIR cannot be written."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The recording."));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("csv or json (default csv)."),
                                    QStringLiteral("format"), QStringLiteral("csv"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Directory to write into (created)."),
                                 QStringLiteral("dir"));
    parser.addOption(format);
    parser.addOption(out);
    auto usage = [](const QString &message) {
        return usageError(QStringLiteral("export"), message, ExitUsage);
    };
    if (const auto exit = parseCommandLine(parser, QStringLiteral("export"), args, ExitUsage))
        return *exit;
    if (parser.positionalArguments().size() != 1)
        return usage(QStringLiteral("one recording FILE is required (see --help)"));
    if (!parser.isSet(out) || parser.value(out).isEmpty())
        return usage(QStringLiteral("--out DIR is required"));
    const QString f = parser.value(format).toLower();
    if (f != QLatin1String("csv") && f != QLatin1String("json"))
        return usage(QStringLiteral("--format is csv or json"));

    record::RecordingReader reader;
    QString error;
    if (!reader.open(parser.positionalArguments().first(), &error))
        return usage(error);
    const record::ExportResult r = record::exportRecording(
        reader, parser.value(out),
        f == QLatin1String("csv") ? record::ExportFormat::Csv : record::ExportFormat::Json);
    if (!r.ok)
        return usage(r.error);
    for (int i = 0; i < r.files.size(); ++i)
        std::printf("%s\t%lld rows\n", qPrintable(r.files.at(i)), r.rows.at(i).second);
    return ExitOk;
}

} // namespace poolscope::cli
