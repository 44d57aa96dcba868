#include "sandbox.h"

#include "sandbox/pgbouncerdaemon.h"
#include "sandbox/pgpooldaemon.h"
#include "sandbox/postgresdaemon.h"
#include "sandbox/postgresexporterdaemon.h"
#include "sandbox/prometheusdaemon.h"
#include "sandbox/sandboxcontext.h"

#include <QCoreApplication>
#include <QThread>

#include <algorithm>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <vector>

namespace poolscope::sandbox {

struct Sandbox::Private
{
    explicit Private(SandboxOptions options) : ctx(std::move(options)) {}

    SandboxContext ctx;
    std::vector<std::unique_ptr<SandboxDaemon>> daemons; // in start order
    bool started = false;
    QThread *thread = nullptr;

    SandboxDaemon *daemon(SandboxServer which) const
    {
        for (const auto &d : daemons) {
            if (d->kind() == which)
                return d.get();
        }
        return nullptr;
    }
    qint64 pid(SandboxServer which) const
    {
        const SandboxDaemon *d = daemon(which);
        return d && d->process() ? d->process()->pid() : 0;
    }
    void teardown();
};

void Sandbox::Private::teardown()
{
    if (!ctx.files.isActive() && daemons.empty())
        return;
    if (thread && thread != QThread::currentThread())
        ctx.log->warn("Sandbox stopped on another thread than it was started on");
    for (auto it = daemons.rbegin(); it != daemons.rend(); ++it)
        (*it)->stop();
    daemons.clear();
    const QString dir = ctx.files.dir();
    ctx.files.remove();
    if (started)
        ctx.log->info("sandbox in {} stopped", dir.toStdString());
    ctx.clear();
    started = false;
    thread = nullptr;
}

Sandbox::Sandbox(SandboxOptions options) : d(std::make_unique<Private>(std::move(options))) {}

Sandbox::~Sandbox()
{
    stop();
}

bool Sandbox::start(QString *error)
{
    SandboxContext &ctx = d->ctx;
    auto fail = [&](const QString &message) {
        // Info, not error: every caller shows the returned message itself; this keeps it in the log file
        // without printing it twice on a terminal.
        ctx.log->info("sandbox failed to start: {}", message.toStdString());
        d->teardown();
        if (error)
            *error = message;
        return false;
    };
    if (ctx.files.isActive()) {
        if (error)
            *error = QStringLiteral("the sandbox is already started");
        return false;
    }

    const QString initdb = findPostgresBinary(QStringLiteral("initdb"));
    const QString postgres = findPostgresBinary(QStringLiteral("postgres"));
    if (initdb.isEmpty() || postgres.isEmpty())
        return fail(QStringLiteral("PostgreSQL server binaries (initdb, postgres) not found; install the "
                                   "postgresql package"));
    d->daemons.push_back(std::make_unique<PostgresDaemon>(ctx, initdb, postgres));
    if (ctx.options.withPgBouncer) {
        const QString pgbouncer = findPgBouncer();
        if (pgbouncer.isEmpty())
            return fail(
                QStringLiteral("pgbouncer not found in PATH or /usr/sbin; install the pgbouncer package"));
        d->daemons.push_back(std::make_unique<PgBouncerDaemon>(ctx, pgbouncer));
    }
    if (ctx.options.withPgpool) {
        const QString pgpool = findPgpool();
        if (pgpool.isEmpty())
            return fail(QStringLiteral("pgpool not found in PATH or /usr/sbin; install the pgpool2 package"));
        d->daemons.push_back(std::make_unique<PgpoolDaemon>(ctx, pgpool));
    }
    if (ctx.options.withPostgresExporter) {
        const QString exporter = PostgresExporterDaemon::findBinary();
        if (exporter.isEmpty())
            return fail(
                QStringLiteral("postgres_exporter not found; install the prometheus-postgres-exporter "
                               "package"));
        d->daemons.push_back(std::make_unique<PostgresExporterDaemon>(ctx, exporter));
    }
    if (ctx.options.withPrometheus) {
        const QString prometheus = PrometheusDaemon::findBinary();
        if (prometheus.isEmpty())
            return fail(QStringLiteral("prometheus not found; install the prometheus package"));
        d->daemons.push_back(std::make_unique<PrometheusDaemon>(ctx, prometheus));
    }

    d->thread = QThread::currentThread();
    ctx.user = ServerUser::resolve();
    if (::geteuid() == 0 && !ctx.user.switchUser)
        return fail(QStringLiteral("running as root, but neither a \"postgres\" nor a \"nobody\" user exists "
                                   "to run the servers"));
    ctx.choosePasswords();

    QString err;
    if (!ctx.files.prepare(ctx.options.dir, ctx.user, &err))
        return fail(err);
    for (const auto &daemon : d->daemons) {
        if (!daemon->start(&err))
            return fail(err);
    }

    d->started = true;
    ctx.log->info(
        "sandbox ready in {}: postgres 127.0.0.1:{}{}{}{}", ctx.files.dir().toStdString(), ctx.pgPort,
        ctx.bouncerPort > 0 ? ", pgbouncer 127.0.0.1:" + std::to_string(ctx.bouncerPort) : std::string(),
        ctx.pgpoolPort > 0 ? ", pgpool 127.0.0.1:" + std::to_string(ctx.pgpoolPort) : std::string(),
        ctx.user.switchUser ? " (servers run as " + ctx.user.name.toStdString() + ")" : std::string());
    return true;
}

void Sandbox::stop()
{
    d->teardown();
}

bool Sandbox::isRunning() const
{
    return d->started && std::all_of(d->daemons.begin(), d->daemons.end(), [](const auto &daemon) {
               return daemon->process() && daemon->process()->isRunning();
           });
}

QString Sandbox::dir() const
{
    return d->ctx.files.dir();
}

int Sandbox::postgresPort() const
{
    return d->ctx.pgPort;
}

int Sandbox::bouncerPort() const
{
    return d->ctx.bouncerPort;
}

int Sandbox::pgpoolPort() const
{
    return d->ctx.pgpoolPort;
}

int Sandbox::postgresExporterPort() const
{
    return d->ctx.postgresExporterPort;
}

int Sandbox::prometheusPort() const
{
    return d->ctx.prometheusPort;
}

const SandboxUris &Sandbox::uris() const
{
    return d->ctx.uris;
}

QJsonObject Sandbox::toJson() const
{
    const SandboxContext &ctx = d->ctx;
    QJsonObject uris{
        {QStringLiteral("postgres"), ctx.uris.postgres},
        {QStringLiteral("app"), ctx.uris.app},
        {QStringLiteral("monitor"), ctx.uris.monitor},
    };
    if (ctx.bouncerPort > 0) {
        uris.insert(QStringLiteral("pgbouncer_app"), ctx.uris.pgbouncerApp);
        if (!ctx.uris.pgbouncerSessionApp.isEmpty())
            uris.insert(QStringLiteral("pgbouncer_session_app"), ctx.uris.pgbouncerSessionApp);
        uris.insert(QStringLiteral("pgbouncer_console"), ctx.uris.pgbouncerConsole);
        uris.insert(QStringLiteral("pgbouncer_monitor"), ctx.uris.pgbouncerMonitor);
    }
    if (ctx.pgpoolPort > 0) {
        uris.insert(QStringLiteral("pgpool_app"), ctx.uris.pgpoolApp);
        uris.insert(QStringLiteral("pgpool_monitor"), ctx.uris.pgpoolMonitor);
    }
    QJsonObject json{
        {QStringLiteral("dir"), ctx.files.dir()},
        {QStringLiteral("postgres_port"), ctx.pgPort},
        {QStringLiteral("pgbouncer_port"), ctx.bouncerPort},
        {QStringLiteral("pid"), QCoreApplication::applicationPid()},
        {QStringLiteral("uris"), uris},
    };
    if (ctx.pgpoolPort > 0)
        json.insert(QStringLiteral("pgpool_port"), ctx.pgpoolPort);
    if (ctx.postgresExporterPort > 0) {
        json.insert(QStringLiteral("postgres_exporter_port"), ctx.postgresExporterPort);
        uris.insert(QStringLiteral("postgres_exporter"), ctx.uris.postgresExporter);
    }
    if (ctx.prometheusPort > 0) {
        json.insert(QStringLiteral("prometheus_port"), ctx.prometheusPort);
        uris.insert(QStringLiteral("prometheus"), ctx.uris.prometheus);
    }
    json.insert(QStringLiteral("uris"), uris);
    return json;
}

QString Sandbox::findPostgresBinary(const QString &name)
{
    return PostgresDaemon::findBinary(name);
}

QString Sandbox::findPgBouncer()
{
    return PgBouncerDaemon::findBinary();
}

QString Sandbox::findPgpool()
{
    return PgpoolDaemon::findBinary();
}

qint64 Sandbox::postgresPid() const
{
    return d->pid(SandboxServer::Postgres);
}

qint64 Sandbox::bouncerPid() const
{
    return d->pid(SandboxServer::PgBouncer);
}

qint64 Sandbox::pgpoolPid() const
{
    return d->pid(SandboxServer::Pgpool);
}

ServerProcess *Sandbox::server(SandboxServer which) const
{
    const SandboxDaemon *daemon = d->started ? d->daemon(which) : nullptr;
    return daemon ? daemon->process() : nullptr;
}

} // namespace poolscope::sandbox
