#pragma once

#include "core/capacity.h"
#include "core/plan.h"

#include <QWidget>

class QCustomPlot;
class QLabel;
class QSlider;
class QSpinBox;
class QTableView;
class QTableWidget;
class QTimer;

namespace poolscope::models {
class PlanModel;
}

namespace poolscope::widgets {

/// The capacity planner (README "Capacity planner"): a plan's applications, poolers and PostgreSQL limits,
/// editable as tables and what-if sliders; a bar per layer against its limit (stacked by who contributes to
/// PostgreSQL's), the first limit to break, scale-out and each application's queueing for a connection.
/// Reads and writes the same JSON as `poolscope plan`. "Plan from what is connected" asks the window for a
/// plan of the live targets (planFromLiveRequested). GUI thread only.
class PlannerPage : public QWidget
{
    Q_OBJECT
public:
    explicit PlannerPage(QWidget *parent = nullptr);
    ~PlannerPage() override;

    /// Shows `plan` (replacing what was there); `origin` says where it came from ("from what is connected at
    /// 12:04", a file name).
    void setPlan(const plan::Plan &plan, const QString &origin);
    const plan::Plan &plan() const { return m_plan; }
    /// The evaluation shown now.
    const capacity::Result &result() const { return m_result; }
    QCustomPlot *chart() const { return m_chart; }
    /// Reads a plan file; false and *error (key and line) when it is not a valid plan (nothing changes).
    bool openFile(const QString &path, QString *error);
    /// Writes the plan; false and *error when the file cannot be written (the old file is left as it was).
    bool saveFile(const QString &path, QString *error) const;
    /// Selects application `row` for the what-if sliders.
    void selectApp(int row);
    /// The sliders of the selected application (tests drive them like a user).
    QSlider *instancesSlider() const { return m_appInstances; }
    QSlider *poolSizeSlider() const { return m_appPoolSize; }
    QSlider *rateSlider() const { return m_appRate; }
    QTableView *appTable() const { return m_appTable; }

Q_SIGNALS:
    void planFromLiveRequested();

private:
    void build();
    void planChanged();
    void evaluateNow();
    void updateVerdict();
    void updateChart();
    void updateQueues();
    void updateSliders();
    void openDialog();
    void saveDialog();

    plan::Plan m_plan;
    capacity::Result m_result;
    QString m_origin;
    bool m_updatingSliders = false;
    models::PlanModel *m_apps;
    models::PlanModel *m_poolers;
    QLabel *m_verdict = nullptr;
    QLabel *m_originLabel = nullptr;
    QSpinBox *m_maxConnections = nullptr;
    QSpinBox *m_superuserReserved = nullptr;
    QSpinBox *m_reserved = nullptr;
    QSpinBox *m_otherSessions = nullptr;
    QTableView *m_appTable = nullptr;
    QTableView *m_poolerTable = nullptr;
    QLabel *m_sliderTitle = nullptr;
    QSlider *m_appInstances = nullptr;
    QSlider *m_appPoolSize = nullptr;
    QSlider *m_appRate = nullptr;
    QLabel *m_appInstancesValue = nullptr;
    QLabel *m_appPoolSizeValue = nullptr;
    QLabel *m_appRateValue = nullptr;
    int m_selectedApp = -1;
    QCustomPlot *m_chart = nullptr;
    QTableWidget *m_queues = nullptr;
    QLabel *m_scaleOut = nullptr;
    QTimer *m_fullEvaluation = nullptr; // scale-out and queues after the sliders settle
};

} // namespace poolscope::widgets
