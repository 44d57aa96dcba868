#pragma once

#include "load/engine.h"
#include "load/metrics.h"
#include "load/scenario.h"

#include <QObject>
#include <QTimer>
#include <memory>
#include <thread>

namespace poolscope::load {

/// One load run as the CLI and the GUI drive it: checks the target (loopback unless allowed), runs the
/// scenario's setup on one connection, then the Engine, publishing a LoadSample every second and a
/// LoadSummary at the end. Start and stop are written to the audit log (target described without secrets).
///
/// Threads: lives on one thread with an event loop (the GUI thread, the CLI's main thread). The blocking
/// parts (DNS, the setup connection, joining the engine's threads after they closed their connections) never
/// run on it for long: the check and setup run on a helper thread, and the engine is joined only once it has
/// finished.
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
    };

    enum class Failure
    {
        BadConnInfo,
        BadScenario,
        RemoteNotAllowed, // a target off this machine without allowRemote: ask, then start again
        Connect,          // the setup connection failed
        Setup,            // a setup statement failed
    };
    Q_ENUM(Failure)

    explicit LoadRun(Options options, QObject *parent = nullptr);
    ~LoadRun() override; // stops the run (every connection closed) before it returns

    void start();
    /// Ends the run early: returns at once; finished() follows within about a second.
    void stop();

    bool isRunning() const { return m_state == State::Checking || m_state == State::Running; }
    QString target() const { return m_target; } // user@host:port/db
    const Scenario &scenario() const { return m_options.scenario; }
    double elapsedS() const;
    const LoadSummary &summary() const { return m_summary; }

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
        Failure failure = Failure::Connect;
        QString message;
        QString serverKind;
    };
    static Preflight preflight(const Options &options);
    void onPreflight(const Preflight &result);
    void onTick();
    void finish();

    Options m_options;
    State m_state = State::Idle;
    QString m_target;
    std::thread m_checker;
    std::unique_ptr<Engine> m_engine;
    QTimer m_sampleTimer;
    QTimer m_finishTimer;
    double m_lastElapsed = 0;
    bool m_stopRequested = false;
    LoadSummary m_summary;
};

} // namespace poolscope::load
