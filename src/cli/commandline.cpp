#include "commandline.h"

#include <cstdio>

namespace poolscope::cli {

int usageError(const QString &command, const QString &message, int usageExit)
{
    std::fprintf(stderr, "poolscope %s: %s\n", qPrintable(command), qPrintable(message));
    return usageExit;
}

std::optional<int> parseCommandLine(QCommandLineParser &parser, const QString &command,
                                    const QStringList &args, int usageExit)
{
    QStringList argv = args;
    argv.prepend(QStringLiteral("poolscope ") + command);
    if (!parser.parse(argv))
        return usageError(command, parser.errorText(), usageExit);
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    return std::nullopt;
}

} // namespace poolscope::cli
