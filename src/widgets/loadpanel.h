#pragma once

#include "load/loadrun.h"

#include <QList>
#include <QStringList>
#include <QTimer>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>

namespace Ui {
class LoadPanel;
}

namespace poolscope {
class SeriesSet;
}

namespace poolscope::widgets {

class TimeChart;

/// The Load tab: pick a target and a scenario (presets, saved ones, or the JSON as edited here), start and
/// stop a run, and watch it live: TPS, latency p50/p95/p99/max, app-pool checkout wait, connections open and
/// errors per second by class, with a progress bar and the time left. The summary of the last run stays on
/// the Summary tab.
///
/// A target that is not on this machine is run only after the user confirmed it. Connection strings (which
/// may hold a password) stay in memory: they are neither saved nor logged.
///
/// Threads: GUI thread only. The run's engine threads never touch the panel; LoadRun delivers samples here.
class LoadPanel : public QWidget
{
    Q_OBJECT
public:
    explicit LoadPanel(QWidget *parent = nullptr);
    ~LoadPanel() override; // stops a run still going (its connections closed) before it returns

    /// Connection strings offered in the target box (the demo's app role, directly and through PgBouncer).
    void setTargets(const QStringList &conninfos);
    void setTarget(const QString &conninfo);
    QString target() const;
    /// Selects a preset or saved scenario by name and loads its JSON into the editor.
    bool selectScenario(const QString &name);
    void setClients(int clients);
    void setDurationS(int seconds);
    void setRate(double rate);
    /// The editor's text (what Start runs).
    QString scenarioText() const;
    void setScenarioText(const QString &json);
    /// Saves the editor's scenario under `name` among the saved scenarios; false with the reason in the
    /// status.
    bool saveScenarioAs(const QString &name);

    /// What the Start button does: validates, asks about a remote target, starts.
    void start();
    /// Loads `json` as if it had been picked from the list (the spin boxes take its values; `durationS` > 0
    /// overrides its duration) and starts it against `target`, as Start does (the incident drills).
    void startScenario(const QString &json, const QString &target, int durationS = 0);
    void stop();
    bool isRunning() const;
    /// How a remote target is confirmed: a message box by default; tests answer themselves.
    void setRemoteConfirmation(std::function<bool(const QString &message)> ask);
    /// How running where the scenario cannot reproduce (its requirements not met: what will not happen in
    /// `message`) is confirmed: a message box, No by default; tests answer themselves.
    void setRequirementsConfirmation(std::function<bool(const QString &message)> ask);
    /// PgBouncer consoles the requirement check may read pool_mode from (the window's pooler targets).
    void setPoolerConsoles(std::function<QStringList()> consoles);

    QList<TimeChart *> charts() const;
    const SeriesSet *series() const { return m_series.get(); }
    QString statusText() const;
    /// The last finished run's summary, if any.
    const std::optional<load::LoadSummary> &lastSummary() const { return m_lastSummary; }

Q_SIGNALS:
    /// A run started against `target` (user@host:port/db) at `startS` (seconds since the epoch): the window
    /// marks it on the targets' own charts.
    void runStarted(const QString &label, double startS);
    void runFinished(double endS);
    void sampleShown(const poolscope::load::LoadSample &sample);

private:
    void fillScenarioCombo(const QString &select = {});
    void onScenarioChosen(int index);
    void validateEditor();
    void startWith(bool allowRemote, bool force = false);
    void onStarted(const QString &target, const QString &serverKind);
    void onSample(const load::LoadSample &sample);
    void onFinished(const load::LoadSummary &summary);
    void onFailed(load::LoadRun::Failure failure, const QString &message);
    void setStatus(const QString &text, bool error = false);
    void updateButtons();
    void resetCharts();

    std::unique_ptr<Ui::LoadPanel> m_ui;
    std::unique_ptr<SeriesSet> m_series;
    std::unique_ptr<load::LoadRun> m_run;
    std::function<bool(const QString &)> m_confirmRemote;
    std::function<bool(const QString &)> m_confirmRequirements;
    std::function<QStringList()> m_poolerConsoles;
    bool m_allowRemote = false; // the run being started was confirmed remote
    std::optional<load::LoadSummary> m_lastSummary;
    std::optional<load::Scenario> m_parsed;     // the editor's scenario when it is valid
    std::optional<load::Scenario> m_spinSource; // the last valid one: spin boxes follow what changed in it
    QString m_loadedText;                       // the editor's text as loaded (Revert)
    QString m_validationError;
    QTimer m_validateTimer;
    QList<int> m_errorClassesCharted;
    QString m_runLabel;
    bool m_starting = false;
};

} // namespace poolscope::widgets
