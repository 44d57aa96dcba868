#include "testsupport.h"

#include "core/logging.h"

#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>

namespace poolscope::test {

void quietLogging(spdlog::level::level_enum level)
{
    logging::Options options;
    options.toFile = false;
    options.stderrLevel = level;
    logging::init(options);
}

std::unique_ptr<sandbox::Sandbox> startSandbox(QString *error, const sandbox::SandboxOptions &options)
{
    auto sandbox = std::make_unique<sandbox::Sandbox>(options);
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

PoolscopeProcess::PoolscopeProcess() : m_process(std::make_unique<QProcess>()) {}

PoolscopeProcess::~PoolscopeProcess()
{
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished();
    }
}

bool PoolscopeProcess::start(const QStringList &args, QString *error)
{
    const QString bin = QProcessEnvironment::systemEnvironment().value(QStringLiteral("POOLSCOPE_BIN"));
    m_process->start(bin, args);
    if (m_process->waitForStarted(5000))
        return true;
    *error = QStringLiteral("could not start ") + bin;
    return false;
}

bool PoolscopeProcess::running() const
{
    return m_process->state() != QProcess::NotRunning;
}

CliResult PoolscopeProcess::finish(int timeoutMs)
{
    CliResult r;
    // waitForFinished() is false for a process that already finished while the event loop ran.
    if (m_process->state() != QProcess::NotRunning && !m_process->waitForFinished(timeoutMs)) {
        m_process->kill();
        m_process->waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.crashed = m_process->exitStatus() == QProcess::CrashExit;
    r.exitCode = m_process->exitCode();
    r.out = m_process->readAllStandardOutput();
    r.err = m_process->readAllStandardError();
    return r;
}

CliResult runPoolscope(const QStringList &args, int timeoutMs)
{
    PoolscopeProcess p;
    QString error;
    if (!p.start(args, &error)) {
        CliResult r;
        r.err = error.toUtf8();
        return r;
    }
    return p.finish(timeoutMs);
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
