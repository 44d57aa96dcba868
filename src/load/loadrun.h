#pragma once

#include "load/engine.h"
#include "load/metrics.h"
#include "load/scenario.h"

#include <QObject>
#include <QTimer>
#include <memory>

namespace poolscope::load {

/// One load run as the CLI and the GUI drive it: checks the target (loopback unless allowed), runs the
/// scenario's setup on one connection, then the Engine, publishing a LoadSample every second and a
/// LoadSummary at the end. Start and stop are written to the audit log (target described without secrets).
///
/// Threads: lives on one thread with an event loop (the GUI thread, the CLI's main thread), which never waits
/// on the network. The check and the setup (DNS, the setup connection, the user's setup SQL) run as a
/// TaskPool task (README, "Threads") that nobody waits for: stop() and the destructor cancel its statement
/// and interrupt it, and drop its result. Every setup statement is bounded (Options::setupTimeoutMs). The
/// engine's threads are waited for only once they have finished, or with Engine::kStopBoundMs in the
/// destructor.
class LoadRun : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString conninfo;  // may hold a password (memory only, never logged)
        Scenario scenario; // overrides already applied
        Limits limits;
        bool allowRemote = false;
        int threads = 0;
        int sampleIntervalMs = 1000;
        // Each setup statement: statement_timeout on a direct PostgreSQL connection, and a deadline of our
        // own (then a cancel) whatever the server, so a setup that waits on a lock cannot hold the run
        // forever.
        int setupTimeoutMs = 60000;
        // The scenario's requirements (Scenario::needs) are checked first: unmet, the run fails with
        // Failure::Requirements unless `force`, when it runs anyway and warnings() says what will not happen
        // (and what could not be checked, which never refuses).
        bool force = false;
        // PgBouncer consoles to read pool_mode from (the one on the target's host and port is used).
        QStringList poolerConsoles;
    };

    enum class Failure
    {
        BadConnInfo,
        BadScenario,
        RemoteNotAllowed, // a target off this machine without allowRemote: ask, then start again
        Connect,          // the setup connection failed
        Setup,            // a setup statement failed
        Requirements,     // the target cannot reproduce what the scenario models (the message says why)
    };
    Q_ENUM(Failure)

    explicit LoadRun(Options options, QObject *parent = nullptr);
    ~LoadRun() override; // cancels the setup, stops the engine (bounded): see Threads above

    void start();
    /// Ends the run early: returns at once; finished() follows within about a second (a setup statement in
    /// flight is cancelled).
    void stop();

    bool isRunning() const { return m_state == State::Checking || m_state == State::Running; }
    QString target() const { return m_target; } // user@host:port/db
    const Scenario &scenario() const { return m_options.scenario; }
    double elapsedS() const;
    const LoadSummary &summary() const { return m_summary; }
    /// Once started: requirements not met (with Options::force) or not checked, one sentence each.
    const QStringList &warnings() const { return m_warnings; }

Q_SIGNALS:
    /// The engine runs; `serverKind` is "postgres" or "pgbouncer".
    void started(const QString &target, const QString &serverKind);
    void sampleReady(const poolscope::load::LoadSample &sample);
    void finished(const poolscope::load::LoadSummary &summary);
    void failed(poolscope::load::LoadRun::Failure failure, const QString &message);

private:
    enum class State
    {
        Idle,
        Checking,
        Running,
        Done,
    };
    struct Preflight
    {
        bool ok = false;
        bool interrupted = false; // stop() or the destructor cut it short
        Failure failure = Failure::Connect;
        QString message;
        QString serverKind;
        QStringList unmet; // requirements not met (run anyway: force)
    };
    /// The setup connection, shared by the run (which may cancel it) and the preflight task (which uses it).
    struct SetupConnection;
    static Preflight preflight(const Options &options, SetupConnection &setup);
    void onPreflight(const Preflight &result);
    void onTick();
    void finish();

    Options m_options;
    State m_state = State::Idle;
    QString m_target;
    std::shared_ptr<SetupConnection> m_setup; // while the preflight runs
    std::unique_ptr<Engine> m_engine;
    QTimer m_sampleTimer;
    QTimer m_finishTimer;
    double m_lastElapsed = 0;
    bool m_stopRequested = false;
    LoadSummary m_summary;
    QStringList m_warnings;
};

} // namespace poolscope::load
