#include "testsupport.h"

#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>

namespace poolscope::test {

std::unique_ptr<db::Sandbox> startSandbox(QString *error, const db::SandboxOptions &options)
{
    auto sandbox = std::make_unique<db::Sandbox>(options);
    if (!sandbox->start(error))
        return nullptr;
    return sandbox;
}

bool HeldSessions::open(const QString &conninfo, int count, const QByteArray &appName,
                        const QList<QByteArray> &statements, QString *error)
{
    const db::ConnSpec spec = db::parseConnInfo(conninfo);
    db::ConnectOptions options;
    options.applicationName = appName;
    for (int i = 0; i < count; ++i) {
        DbError e;
        db::PgConn conn = db::connect(spec, options, &e);
        if (!conn) {
            *error = e.message;
            return false;
        }
        for (const QByteArray &sql : statements) {
            if (!db::exec(conn.get(), sql, &e)) {
                *error = QString::fromUtf8(sql) + QStringLiteral(": ") + e.message;
                return false;
            }
        }
        m_conns.push_back(std::move(conn));
    }
    return true;
}

CliResult runPoolscope(const QStringList &args, int timeoutMs)
{
    CliResult r;
    const QString bin = QProcessEnvironment::systemEnvironment().value(QStringLiteral("POOLSCOPE_BIN"));
    QProcess p;
    p.start(bin, args);
    if (!p.waitForStarted(5000)) {
        r.err = "could not start " + bin.toUtf8();
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.crashed = p.exitStatus() == QProcess::CrashExit;
    r.exitCode = p.exitCode();
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QJsonObject jsonOf(const CliResult &r)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &pe);
    if (pe.error != QJsonParseError::NoError)
        qWarning("stdout is not JSON (%s): %s\nstderr: %s", qPrintable(pe.errorString()), r.out.constData(),
                 r.err.constData());
    return doc.object();
}

} // namespace poolscope::test
