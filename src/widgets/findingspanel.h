#pragma once

#include "core/finding.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QWidget>
#include <memory>
#include <optional>

class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QTableWidget;

namespace Ui {
class FindingsPanel;
}

namespace poolscope::models {
class FindingsModel;
}

namespace poolscope::widgets {

/// The Findings dock's content: the findings (open ones first, worst first; recently ended ones greyed
/// below) and, for the current one, its summary, the advice as a list, the evidence as a key/value table,
/// "Go to the evidence" and its one-click action. Requests only: evidenceRequested() and actionRequested()
/// go to whoever owns the targets (FindingsController), which confirms and runs them.
///
/// Keyboard: arrows move through the list, Enter goes to the evidence, Tab reaches the buttons. In
/// read-only mode the action button is disabled and says why. GUI thread only.
class FindingsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit FindingsPanel(QWidget *parent = nullptr);
    ~FindingsPanel() override;

    /// The engine's findings (worst first) as of `nowMs`; the selection stays on its finding.
    void setFindings(const QList<findings::Finding> &list, qint64 nowMs, double actionWatchS);
    /// Ages move on between samples.
    void setNow(qint64 nowMs);
    /// Off (read-only mode) disables the action with `reason` shown beside it.
    void setActionsEnabled(bool enabled, const QString &reason = {});
    /// While an action of `findingId` runs, its button waits; `note` (its outcome) is shown beside it.
    void setActionState(quint64 findingId, bool running, const QString &note = {});

    /// 0 when nothing is selected.
    quint64 currentFindingId() const;
    bool selectFinding(quint64 findingId);
    /// Keyboard focus to the list (the dock's shortcut).
    void focusList();

    const models::FindingsModel *model() const { return m_model; }
    QTableView *tableView() const;
    QPushButton *actionButton() const;
    QPushButton *evidenceButton() const;
    /// "Open the planner", shown for the findings about a capacity limit (findings::opensPlanner()).
    QPushButton *planButton() const;
    QTableWidget *evidenceTable() const;
    /// The current finding in one line: "CRITICAL rule on target: summary".
    QString summaryText() const;
    /// The summary and the advice as plain text, one item a line.
    QString adviceText() const;
    /// "2 open findings: 1 critical, 1 warning · 1 ended" above the list.
    QString headerText() const;

Q_SIGNALS:
    void evidenceRequested(quint64 findingId);
    void actionRequested(quint64 findingId);
    void planRequested(quint64 findingId);
    /// The user selected another finding.
    void currentFindingChanged(quint64 findingId);

private:
    const findings::Finding *current() const;
    void updateDetail(bool force = false);
    void updateActionButton();
    void updateHeader();
    void setAdvice(const QString &html);

    std::unique_ptr<Ui::FindingsPanel> m_ui;
    models::FindingsModel *m_model;
    QSortFilterProxyModel *m_proxy;
    std::optional<findings::Finding> m_shown; // what the detail pane shows
    bool m_actionsEnabled = true;
    QString m_actionsReason;
    quint64 m_runningId = 0;
    quint64 m_noteId = 0;
    QString m_note;
    QString m_summary;
    QString m_adviceHtml;         // what the advice pane was last given
    QElapsedTimer m_figuresShown; // since the detail pane was last filled
    QTimer m_figuresTimer;        // figures that moved meanwhile: shown when it fires
};

} // namespace poolscope::widgets
