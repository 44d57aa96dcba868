#pragma once

#include "db/pg.h"
#include "sandbox/sandbox.h"

#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <memory>
#include <spdlog/common.h>
#include <vector>

namespace poolscope::test {

/// Logging for a test binary: stderr only (no log file), from `level` up (warnings by default, so the
/// output stays the test's own).
void quietLogging(spdlog::level::level_enum level = spdlog::level::warn);

/// Starts a sandbox for one test binary; QFAIL-friendly: returns nullptr and sets `error` on failure.
std::unique_ptr<sandbox::Sandbox> startSandbox(QString *error, const sandbox::SandboxOptions &options = {});

/// Client sessions a test holds open, e.g. idle in transaction. Closed on destruction.
class HeldSessions
{
public:
    /// Opens `count` connections to `conninfo` as application_name `appName` and runs each statement of
    /// `statements` on every one (e.g. {"BEGIN", "SELECT 1"} leaves them idle in transaction).
    bool open(const QString &conninfo, int count, const QByteArray &appName,
              const QList<QByteArray> &statements, QString *error);
    int size() const { return int(m_conns.size()); }
    PGconn *at(int i) const { return m_conns.at(size_t(i)).get(); }
    void closeAll() { m_conns.clear(); }

private:
    std::vector<db::PgConn> m_conns;
};

/// Runs `poolscope ARGS` (the binary under test, from $POOLSCOPE_BIN) and collects its output.
struct CliResult
{
    int exitCode = -1;
    bool crashed = false;
    QByteArray out;
    QByteArray err;
};
CliResult runPoolscope(const QStringList &args, int timeoutMs = 30000);

/// `poolscope ARGS` running beside the test (e.g. `diagnose` while a load runs): start(), then finish().
class PoolscopeProcess
{
public:
    PoolscopeProcess();
    ~PoolscopeProcess(); // kills a process still running
    bool start(const QStringList &args, QString *error);
    bool running() const;
    /// Waits for the end (killing it after timeoutMs) and collects its output.
    CliResult finish(int timeoutMs);

private:
    std::unique_ptr<QProcess> m_process;
};
/// The JSON object a `--json` command printed; an empty object (and a warning with both streams) when stdout
/// is not JSON.
QJsonObject jsonOf(const CliResult &r);

} // namespace poolscope::test
