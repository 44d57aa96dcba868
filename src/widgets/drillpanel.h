#pragma once

#include "core/finding.h"
#include "sandbox/sandboxoptions.h"
#include "widgets/drills.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>
#include <optional>

class QLabel;
class QPushButton;

namespace poolscope::load {
struct LoadSample;
}

namespace poolscope::widgets {

class FindingsController;
class LoadPanel;

/// The Drill dock: one incident drill of the demo at a time (Drills menu). It says in plain words what the
/// drill reproduces and what to look for; Start runs the incident preset through the Load tab's run
/// machinery against the right sandbox URI and counts "waiting for the finding… (N s)" until the
/// window's findings name it ("named: <rule> after N s"), then tells the user to use the finding's action
/// (or why there is none) and shows the outcome: "recovered at …", "still present after 30 s". Where the
/// honest fix is in the application it says so, and "Run the fixed application" runs the fixed variant of
/// the scenario (resources/load/<preset>-fixed.json) to show the finding not coming back.
///
/// It acts on nothing itself: the user acts through the Findings dock, with its confirmation and audit.
/// GUI thread only.
class DrillPanel : public QWidget
{
    Q_OBJECT
public:
    enum class Phase
    {
        Idle,
        Starting,     // the load run is being set up
        Waiting,      // the incident runs; no finding yet
        Named,        // the finding is there: the user's turn
        Watching,     // its action was taken; the engine watches
        Outcome,      // recovered, still present, or resolved by itself
        RunEnded,     // the incident's run ended before it was named
        FixedRunning, // the fixed application runs
        FixedDone,    // ... and ended
    };
    Q_ENUM(Phase)

    /// Lifetime: `load` and `findings` outlive the panel.
    DrillPanel(LoadPanel *load, FindingsController *findings, QWidget *parent = nullptr);
    ~DrillPanel() override;

    /// The demo sandbox the drills run against.
    void setUris(const sandbox::SandboxUris &uris);
    /// Shows the drill of incident preset `preset` (stopping a run of the previous one); false when there is
    /// no such drill.
    bool setDrill(const QString &preset);
    const Drill *drill() const { return m_drill; }

    /// Runs the incident (Start).
    void start();
    /// Runs the fixed application (stops the incident's run first).
    void startFixed();
    /// Stops whatever run the drill started.
    void stop();

    Phase phase() const { return m_phase; }
    /// A run the drill started (the incident or the fixed application) is on.
    bool isRunning() const { return m_ownRun; }
    /// The finding that named the incident; 0 before.
    quint64 findingId() const { return m_findingId; }
    /// Seconds from the run's start to the finding; nullopt before.
    std::optional<double> namedAfterS() const { return m_namedAfterS; }
    /// The status line and the next-step text, as plain text (tests, the screenshot).
    QString statusText() const;
    QString nextStepText() const;
    /// A finding of the drill's rule came back during the fixed run.
    bool fixedRunNamedIt() const { return m_fixedNamed; }

    QPushButton *startButton() const { return m_start; }
    QPushButton *fixedButton() const { return m_fixed; }
    QPushButton *stopButton() const { return m_stop; }

Q_SIGNALS:
    void phaseChanged(poolscope::widgets::DrillPanel::Phase phase);
    /// A run of the drill (the incident or the fixed application) started or ended.
    void runningChanged(bool running);

private:
    void run(const QString &scenario, Drill::Through through, bool fixed);
    void onRunStarted();
    void onRunFinished();
    void onSample(const load::LoadSample &sample);
    void onFindings();
    void tick();
    void setPhase(Phase phase);
    void setOwnRun(bool own);
    void updateTexts();
    /// The worst finding of the drill's rule raised since `sinceMs` (open ones before ended ones).
    std::optional<findings::Finding> matching(qint64 sinceMs) const;

    LoadPanel *m_load;
    FindingsController *m_findings;
    std::optional<sandbox::SandboxUris> m_uris;
    const Drill *m_drill = nullptr;
    Phase m_phase = Phase::Idle;
    bool m_ownRun = false;       // the Load tab's current run is ours
    bool m_fixedRun = false;     // ... and it is the fixed application
    bool m_pendingFixed = false; // start the fixed run once the incident's run has stopped
    qint64 m_runStartMs = 0;
    QElapsedTimer m_elapsed;
    quint64 m_findingId = 0;
    std::optional<double> m_namedAfterS;
    bool m_fixedNamed = false;
    QString m_appLine;
    QTimer m_tick;

    QLabel *m_title;
    QLabel *m_about;
    QLabel *m_status;
    QLabel *m_next;
    QLabel *m_fix;
    QLabel *m_app;
    QPushButton *m_start;
    QPushButton *m_fixed;
    QPushButton *m_stop;
};

} // namespace poolscope::widgets
