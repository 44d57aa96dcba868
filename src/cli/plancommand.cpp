#include "plancommand.h"

#include "commandline.h"
#include "core/capacity.h"
#include "snapshotcommand.h"

#include <QCommandLineParser>
#include <QFile>
#include <QJsonDocument>
#include <QTextStream>

namespace poolscope::cli {

namespace {

QString limitText(const capacity::Layer &l)
{
    if (!l.limit)
        return l.hard ? QStringLiteral("unlimited") : QStringLiteral("-");
    return QString::number(*l.limit);
}

QString ms(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'f', *v < 10 ? 2 : 0) + QStringLiteral(" ms")
             : QStringLiteral("unbounded");
}

void printHuman(QTextStream &out, const capacity::Result &r)
{
    out << (r.fits ? "The plan fits" : "The plan does NOT fit") << ": PostgreSQL must accept up to "
        << r.worstCaseBackends << " connections; " << r.usableBackends << " are usable.\n";
    if (!r.firstLimit.isEmpty())
        out << (r.fits ? "Tightest limit: " : "First limit to break: ") << r.firstLimit << "\n";
    out << "\n"
        << qSetFieldWidth(44) << Qt::left << "layer" << qSetFieldWidth(12) << Qt::right << "worst case"
        << qSetFieldWidth(11) << "limit" << qSetFieldWidth(0) << "  \n";
    for (const capacity::Layer &l : r.layers) {
        QString verdict;
        if (l.limit)
            verdict = l.fits() ? QStringLiteral("ok")
                               : (l.hard ? QStringLiteral("BREAKS")
                                         : QStringLiteral("queues (clients share the servers)"));
        out << qSetFieldWidth(44) << Qt::left << l.id << qSetFieldWidth(12) << Qt::right << l.worstCase
            << qSetFieldWidth(11) << limitText(l) << qSetFieldWidth(0) << "  " << verdict << "\n"
            << "    " << l.detail << "\n";
    }
    if (!r.scaleOut.isEmpty()) {
        out << "\nScale-out (the largest instance count that still fits, the others unchanged):\n";
        for (const capacity::ScaleOut &s : r.scaleOut) {
            out << "  " << s.kind << " " << s.name << ": " << s.instances << " now, ";
            if (s.minInstances && *s.minInstances > 1)
                out << "fits from " << *s.minInstances << " on, ";
            if (s.unbounded)
                out << "no upper limit up to " << *s.maxInstances << "\n";
            else if (s.maxInstances)
                out << "at most " << *s.maxInstances << "\n";
            else
                out << "none fits (the rest of the plan alone does not fit)\n";
        }
    }
    if (!r.queues.isEmpty()) {
        out << "\nQueueing for a connection (M/M/c, Erlang C):\n";
        for (const capacity::QueueResult &q : r.queues) {
            out << "  " << q.app << ": " << q.servers << " connections (" << q.serversDetail
                << "), utilisation " << QString::number(q.queue.utilisation * 100, 'f', 1) << " %, "
                << QString::number(q.queue.pWait * 100, 'f', 1) << " % of requests wait, mean wait "
                << ms(q.queue.meanWaitMs) << ", p99 " << ms(q.queue.p99WaitMs) << "  "
                << capacity::levelName(q.level).toUpper() << "\n";
        }
    }
}

} // namespace

int planCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Check a capacity plan: every application's pool, the poolers in front, PostgreSQL's limit.\n\n"
        "FILE is the plan as JSON (see README \"Capacity planner\"), e.g.\n"
        "  {\"postgres\": {\"max_connections\": 100},\n"
        "   \"poolers\": [{\"name\": \"pgbouncer\", \"pool_mode\": \"transaction\", \"default_pool_size\": "
        "20}],\n"
        "   \"apps\": [{\"name\": \"web\", \"instances\": 3, \"processes\": 2, \"pool_size\": 5,\n"
        "             \"max_overflow\": 10, \"via\": \"pgbouncer\", \"database\": \"app\", \"user\": "
        "\"app\",\n"
        "             \"traffic\": {\"arrival_rate_per_s\": 200, \"mean_hold_ms\": 20}}]}\n"
        "Absent keys take PostgreSQL's and PgBouncer's own defaults.\n\n"
        "Exit codes: 0 the plan fits, 1 bad command line or plan file, 3 it does not fit or a queue is "
        "critical."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("FILE"), QStringLiteral("The plan (JSON); - reads stdin."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON on stdout."));
    parser.addOption(json);
    if (const auto exit = parseCommandLine(parser, QStringLiteral("plan"), args, ExitUsage))
        return *exit;
    const QStringList files = parser.positionalArguments();
    if (files.size() != 1)
        return usageError(QStringLiteral("plan"),
                          QStringLiteral("exactly one plan FILE is required (see --help)"), ExitUsage);
    QFile f;
    const bool opened = files.first() == QLatin1String("-")
                            ? f.open(stdin, QIODevice::ReadOnly)
                            : (f.setFileName(files.first()), f.open(QIODevice::ReadOnly));
    if (!opened)
        return usageError(QStringLiteral("plan"),
                          QStringLiteral("cannot read %1: %2").arg(files.first(), f.errorString()),
                          ExitUsage);
    plan::ParseError error;
    const auto p = plan::parsePlan(f.readAll(), &error);
    if (!p)
        return usageError(QStringLiteral("plan"), files.first() + QStringLiteral(": ") + error.text(),
                          ExitUsage);
    const capacity::Result r = capacity::evaluate(*p);
    QTextStream out(stdout);
    if (parser.isSet(json))
        out << QJsonDocument(capacity::toJson(r)).toJson(QJsonDocument::Indented);
    else
        printHuman(out, r);
    out.flush();
    const bool critical = std::any_of(r.queues.cbegin(), r.queues.cend(), [](const capacity::QueueResult &q) {
        return q.level == capacity::Level::Critical;
    });
    return r.fits && !critical ? ExitOk : ExitNo;
}

} // namespace poolscope::cli
