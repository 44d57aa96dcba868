#include "snapshotcommand.h"

#include "commandline.h"
#include "core/logging.h"
#include "core/poolerchain.h"
#include "core/snapshotjson.h"
#include "db/conninfo.h"
#include "db/sampler.h"
#include "metrics/prometheusclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <cstdio>

namespace poolscope::cli {

namespace {

QString ageText(const std::optional<double> &age)
{
    if (!age)
        return QStringLiteral("-");
    return QString::number(*age, 'f', 1) + QLatin1Char('s');
}

/// `oldestXactAge`: the figure to print instead of the session list's (a target read from Prometheus has no
/// session list, only its exporter's figure).
void printHuman(QTextStream &out, const TargetSnapshot &s,
                std::optional<std::optional<double>> oldestXactAge = {})
{
    out << s.target << "  [" << targetKindName(s.kind) << "]";
    if (!s.serverVersion.isEmpty())
        out << "  " << s.serverVersion;
    out << "\n";
    if (!s.ok) {
        out << "  error: " << s.error.message << "\n";
        return;
    }
    if (s.postgres) {
        const PostgresSample &pg = *s.postgres;
        out << "  sessions " << pg.counts.total();
        if (auto usable = pg.usableConnections())
            out << " of " << *usable << " usable (max_connections " << pg.maxConnections.value_or(0) << ")";
        out << "\n";
        for (SessionState st : AllSessionStates)
            out << "    " << qSetFieldWidth(32) << Qt::left << sessionStateName(st) << qSetFieldWidth(0)
                << pg.counts[st] << "\n";
        if (pg.counts.hidden > 0)
            out << "  " << pg.counts.hidden
                << " sessions hidden by privileges (grant pg_monitor to this role to see them)\n";
        out << "  oldest transaction " << ageText(oldestXactAge ? *oldestXactAge : pg.oldestXactAge())
            << "\n";
    }
    if (s.bouncer) {
        out << "  " << qSetFieldWidth(20) << Qt::left << "pool" << qSetFieldWidth(0)
            << "mode         size  cl_active cl_waiting sv_active sv_idle sv_used sv_login maxwait\n";
        auto n = [](const std::optional<qint64> &v) {
            return v ? QString::number(*v) : QStringLiteral("?");
        };
        for (const PoolStats &p : s.bouncer->pools) {
            out << "  " << qSetFieldWidth(20) << Qt::left << p.key() << qSetFieldWidth(13)
                << p.poolMode.value_or(QStringLiteral("?")) << qSetFieldWidth(6) << n(p.poolSize)
                << qSetFieldWidth(10) << n(p.clActive) << qSetFieldWidth(11) << n(p.clWaiting)
                << qSetFieldWidth(10) << n(p.svActive) << qSetFieldWidth(8) << n(p.svIdle)
                << qSetFieldWidth(8) << n(p.svUsed) << qSetFieldWidth(9) << n(p.svLogin) << qSetFieldWidth(0)
                << ageText(p.maxwaitSeconds) << "\n";
        }
    }
}

/// For each PostgreSQL target, the chain of a PgBouncer console of this run whose SHOW DATABASES points at
/// it (the first such console that took a CLIENTS/SERVERS round); chains[i] belongs to snapshots[i], empty
/// for every other target.
QList<PoolerChain> linkChains(const QList<TargetSnapshot> &snapshots, const QStringList &targets)
{
    QList<PoolerChain> chains(snapshots.size());
    for (int i = 0; i < snapshots.size(); ++i) {
        const TargetSnapshot &pg = snapshots.at(i);
        if (!pg.ok || !pg.postgres || pg.kind != TargetKind::Postgres)
            continue;
        const auto [host, port] = db::hostPort(targets.at(i));
        for (const TargetSnapshot &pooler : snapshots) {
            if (!pooler.ok || !pooler.bouncer || !pooler.bouncer->clients || !pooler.bouncer->servers)
                continue;
            if (!poolerPointsAt(*pooler.bouncer, host, port))
                continue;
            PoolerChain chain = joinBouncerChain(*pooler.bouncer->clients, *pooler.bouncer->servers);
            chain.pooler = pooler.target;
            chain.takenAtMs = pooler.bouncer->connectionsAtMs;
            if (!chain.isEmpty()) {
                chains[i] = std::move(chain);
                break;
            }
        }
    }
    return chains;
}

} // namespace

int snapshotCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Take one sample of each target and print it.\n\n"
        "TARGET is a libpq connection string: a URI (postgresql://user@host:port/db), a key=value string\n"
        "(\"host=... dbname=...\") or service=NAME. ~/.pgpass, service files and PG* variables apply.\n"
        "The kind is detected: a PgBouncer console (dbname=pgbouncer) reports a version ending in "
        "/bouncer.\n\n"
        "TARGET may also be a Prometheus, prometheus+http://HOST:PORT (or prometheus+https://, with\n"
        "user:password@ for basic auth or a bearer token in $POOLSCOPE_PROMETHEUS_TOKEN): every PostgreSQL\n"
        "and PgBouncer instance its series describe (PoolScope's own export, postgres_exporter,\n"
        "pgbouncer_exporter) is one entry, with \"source\":\"prometheus\". An instance whose exporter is\n"
        "down is a failed entry.\n\n"
        "Exit codes: 0 all targets sampled, 1 bad command line, 2 at least one target failed."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"), QStringLiteral("Connection string(s)."),
                                 QStringLiteral("TARGET..."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON on stdout."));
    const QCommandLineOption timeout(QStringLiteral("connect-timeout"),
                                     QStringLiteral("Seconds to wait for each connection (default 5)."),
                                     QStringLiteral("seconds"), QStringLiteral("5"));
    parser.addOption(json);
    parser.addOption(timeout);
    if (const auto exit = parseCommandLine(parser, QStringLiteral("snapshot"), args, ExitUsage))
        return *exit;
    const QStringList targets = parser.positionalArguments();
    if (targets.isEmpty()) {
        std::fputs("poolscope snapshot: at least one TARGET is required (see --help)\n", stderr);
        return ExitUsage;
    }
    bool ok = false;
    const int connectTimeout = parser.value(timeout).toInt(&ok);
    if (!ok || connectTimeout < 1) {
        std::fputs("poolscope snapshot: --connect-timeout needs a whole number of seconds >= 1\n", stderr);
        return ExitUsage;
    }

    // One target after the other, in the order given: a PgBouncer console listed right after the PostgreSQL
    // server behind it is sampled close in time, so its SHOW CLIENTS/SERVERS round (taken on the first
    // sample) matches the backends just listed.
    QList<TargetSnapshot> snapshots;
    QStringList sampledTargets;
    // Per command-line target, in order: the index of its snapshot, or (-1) the entries Prometheus gave.
    QList<int> order;
    QList<QList<metrics::DiscoveredTarget>> fromPrometheus;
    auto log = logging::get("cli");
    for (const QString &t : targets) {
        if (metrics::isPrometheusTarget(t)) {
            QString error;
            QList<metrics::DiscoveredTarget> found;
            const auto endpoint = metrics::parsePrometheusTarget(t, &error);
            metrics::FleetRead read;
            if (endpoint)
                read = metrics::readFleet(*endpoint, connectTimeout * 1000);
            if (endpoint && read.ok) {
                found = read.targets;
            } else {
                // Prometheus itself could not be read: one failed entry, named after it.
                metrics::DiscoveredTarget failed;
                failed.snapshot.target = endpoint ? endpoint->display : QStringLiteral("prometheus");
                failed.snapshot.error.kind = ErrorKind::Connect;
                failed.snapshot.error.message = endpoint ? read.error : error;
                failed.origin = QStringLiteral("prometheus");
                found.append(failed);
            }
            for (const metrics::DiscoveredTarget &d : found) {
                if (!d.snapshot.ok)
                    log->warn("{}: {}", d.snapshot.target.toStdString(),
                              d.snapshot.error.message.toStdString());
            }
            order.append(-1 - int(fromPrometheus.size()));
            fromPrometheus.append(found);
            continue;
        }
        db::Sampler::Options o;
        o.connectTimeoutS = connectTimeout;
        db::Sampler sampler(t, o);
        TargetSnapshot s = sampler.sample();
        if (!s.ok)
            log->warn("{}: {}", s.target.toStdString(), s.error.message.toStdString());
        order.append(int(snapshots.size()));
        snapshots.append(std::move(s));
        sampledTargets.append(t);
    }

    QTextStream out(stdout);
    if (parser.isSet(json)) {
        // Sessions of a PostgreSQL target held by a PgBouncer of this run gain "pool" and "client".
        const QJsonArray sampled = toJson(snapshots, linkChains(snapshots, sampledTargets))
                                       .value(QStringLiteral("targets"))
                                       .toArray();
        QJsonArray all;
        for (int slot : order) {
            if (slot >= 0) {
                all.append(sampled.at(slot));
                continue;
            }
            for (const metrics::DiscoveredTarget &d : fromPrometheus.at(-1 - slot))
                all.append(metrics::toJson(d));
        }
        out << QJsonDocument(QJsonObject{{QStringLiteral("targets"), all}}).toJson(QJsonDocument::Indented);
    } else {
        for (int slot : order) {
            if (slot >= 0) {
                printHuman(out, snapshots.at(slot));
                continue;
            }
            for (const metrics::DiscoveredTarget &d : fromPrometheus.at(-1 - slot)) {
                printHuman(out, d.snapshot, d.oldestXactAgeS);
                if (d.origin != QLatin1String("prometheus"))
                    out << "  (from Prometheus: " << d.origin << ", job " << d.job << ", instance "
                        << d.instance << ")\n";
            }
        }
    }
    out.flush();
    bool allOk =
        std::all_of(snapshots.cbegin(), snapshots.cend(), [](const TargetSnapshot &s) { return s.ok; });
    for (const auto &found : fromPrometheus) {
        for (const metrics::DiscoveredTarget &d : found)
            allOk = allOk && d.snapshot.ok;
    }
    return allOk ? ExitOk : ExitTargetFailed;
}

} // namespace poolscope::cli
