#include "sandboxcontext.h"

#include "core/logging.h"
#include "sandbox/files.h"

#include <QRandomGenerator>
#include <QUrl>

namespace poolscope::sandbox {

namespace {

QByteArray randomPassword()
{
    quint32 words[3];
    QRandomGenerator::system()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof(words)).toHex(); // 24 hex chars
}

} // namespace

SandboxContext::SandboxContext(SandboxOptions o)
    : options(std::move(o)), log(logging::get("sandbox")), files(log)
{}

void SandboxContext::choosePasswords()
{
    pwPostgres = randomPassword();
    pwApp = randomPassword();
    pwMonitor = randomPassword();
    pwAdmin = randomPassword();
}

bool SandboxContext::writePgpass(QString *error) const
{
    QByteArray text;
    auto line = [&](int port, const char *user, const QByteArray &pw) {
        if (port > 0)
            text += "127.0.0.1:" + QByteArray::number(port) + ":*:" + user + ':' + pw + '\n';
    };
    line(pgPort, "postgres", pwPostgres);
    line(pgPort, "app", pwApp);
    line(pgPort, "monitor", pwMonitor);
    line(bouncerPort, "app", pwApp);
    line(bouncerPort, "monitor", pwMonitor);
    line(bouncerPort, kAdminUser, pwAdmin);
    line(bouncerPort, "postgres", pwPostgres);
    line(pgpoolPort, "app", pwApp);
    line(pgpoolPort, "monitor", pwMonitor);
    line(pgpoolPort, "postgres", pwPostgres);
    // Owned by the user running poolscope, who is the one connecting with libpq.
    return files::writePrivateFile(path("pgpass"), text, nullptr, error);
}

void SandboxContext::buildUris()
{
    const QString passfile = QString::fromLatin1(QUrl::toPercentEncoding(path("pgpass"), "/"));
    auto uri = [&](const QString &user, int port, const QString &db) {
        return QStringLiteral("postgresql://%1@127.0.0.1:%2/%3?passfile=%4")
            .arg(user, QString::number(port), db, passfile);
    };
    const QString app = QStringLiteral("app");
    const QString monitor = QStringLiteral("monitor");
    uris = {};
    uris.postgres = uri(QStringLiteral("postgres"), pgPort, QStringLiteral("postgres"));
    uris.app = uri(app, pgPort, app);
    uris.monitor = uri(monitor, pgPort, app);
    if (bouncerPort > 0) {
        const QString console = QStringLiteral("pgbouncer");
        uris.pgbouncerApp = uri(app, bouncerPort, app);
        if (options.sessionPoolSize > 0)
            uris.pgbouncerSessionApp = uri(app, bouncerPort, QStringLiteral("app_session"));
        uris.pgbouncerConsole = uri(QString::fromLatin1(kAdminUser), bouncerPort, console);
        uris.pgbouncerMonitor = uri(monitor, bouncerPort, console);
    }
    if (pgpoolPort > 0) {
        uris.pgpoolApp = uri(app, pgpoolPort, app);
        uris.pgpoolMonitor = uri(monitor, pgpoolPort, app);
    }
    if (postgresExporterPort > 0)
        uris.postgresExporter = QStringLiteral("http://127.0.0.1:%1").arg(postgresExporterPort);
    if (prometheusPort > 0)
        uris.prometheus = QStringLiteral("http://127.0.0.1:%1").arg(prometheusPort);
}

void SandboxContext::clear()
{
    pgPort = bouncerPort = pgpoolPort = postgresExporterPort = prometheusPort = 0;
    pwPostgres.clear();
    pwApp.clear();
    pwMonitor.clear();
    pwAdmin.clear();
    uris = {};
}

} // namespace poolscope::sandbox
