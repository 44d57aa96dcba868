#pragma once

#include "core/poolerchain.h"
#include "core/targetsnapshot.h"
#include "widgets/selectionguard.h"

#include <QList>
#include <QStringList>
#include <QWidget>
#include <array>
#include <bitset>
#include <functional>
#include <optional>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QSplitter;
class QTableView;
class QTextBrowser;
class QToolButton;

namespace poolscope::models {
class SessionsFilterModel;
class SessionsModel;
} // namespace poolscope::models

namespace poolscope::widgets {

class TransactionCharts;

/// The sessions of one PostgreSQL target: a filter bar (free text, states, application / user / database /
/// client, minimum state age), the live sessions table (merged each sample, so selection and scroll survive;
/// columns chosen from the header's context menu and remembered in the settings file), a detail pane for the
/// current session (full query, timings, wait event, the blocking tree and the pooler chain) and, below, the
/// transaction-state charts (TransactionCharts).
///
/// Behind another tab of a shown window, a sample is only kept (lastSample()); the table, the filters'
/// lists and the detail pane take it when the page is shown (or a selection is asked for), not at every
/// sample.
///
/// Actions are requests only: the page emits cancelRequested(), terminateRequested() and
/// bulkTerminateRequested(); whoever owns the target's connection carries them out (and audits them). Cancel
/// is offered only when every selected session is active (cancelling an idle session does nothing).
/// setActionsEnabled(false, reason) is read-only mode: every action disabled, the reason in their tooltips
/// and a visible "Read-only" label. Keys: Ctrl+F filter, Delete terminate (in the table), Ctrl+. cancel. GUI
/// thread only.
class SessionsPage : public QWidget
{
    Q_OBJECT
public:
    /// Text (HTML allowed) for the "Pooler chain" section of the detail pane, for the current session.
    using PoolerChainProvider = std::function<QString(const Session &session)>;

    explicit SessionsPage(QWidget *parent = nullptr);
    ~SessionsPage() override;

    void setActionsEnabled(bool enabled, const QString &reason = QString());
    bool actionsEnabled() const { return m_actionsAllowed; }
    /// Replaces the placeholder of the "Pooler chain" section; an empty function restores it.
    void setPoolerChainProvider(PoolerChainProvider provider);
    /// Who holds each backend through the linked pooler(s): fills the Pool and Pooler client columns (and
    /// lets the text filter match the client's application name). nullopt: no pooler linked, columns empty.
    void setPoolerChain(const std::optional<PoolerChain> &chain);

    /// Pids of the selected sessions, in table order.
    QList<qint64> selectedPids() const;
    /// Makes the session with this pid the current, only selected row; false when it is not shown.
    bool selectPid(qint64 pid);
    /// Makes exactly these sessions the selection (the first in table order current, its detail shown),
    /// clearing the filters when they hide any of them; returns how many were found.
    int selectPids(const QList<qint64> &pids);
    /// Shows every session: text, states, groups and minimum age back to "any" (the "Clear filters" button).
    void clearFilters();
    /// The filter box, its text selected (the window's Ctrl+F).
    void focusFilter();
    /// The state buttons: only these states shown (none chosen: every state); the buttons show the choice.
    void setOnlyStates(std::bitset<SessionStateCount> only);
    std::bitset<SessionStateCount> onlyStates() const { return m_onlyStates; }
    /// The detail pane as plain text.
    QString detailText() const;
    /// The last sample shown (nullopt before the first).
    const std::optional<PostgresSample> &lastSample() const { return m_sample; }

    models::SessionsModel *sessionsModel() const { return m_model; }
    models::SessionsFilterModel *filterModel() const { return m_filter; }
    QTableView *tableView() const { return m_table; }
    TransactionCharts *transactionCharts() const { return m_charts; }
    QLineEdit *filterEdit() const { return m_filterEdit; }
    QToolButton *stateButton(SessionState state) const { return m_stateButtons[size_t(state)]; }
    QComboBox *groupCombo(GroupDimension dimension) const { return m_groupCombos[size_t(dimension)]; }
    QSpinBox *minimumAgeSpin() const { return m_minAge; }
    QLabel *countLabel() const { return m_countLabel; }
    QLabel *readOnlyLabel() const { return m_readOnlyLabel; }
    QAction *cancelAction() const { return m_cancelAction; }
    QAction *terminateAction() const { return m_terminateAction; }
    QAction *bulkTerminateAction() const { return m_bulkAction; }
    /// Says why Delete (or Ctrl+.) did nothing on a stale selection; hidden otherwise.
    QLabel *staleSelectionLabel() const { return m_staleLabel; }
    /// What each selected session was when selected: Delete and Ctrl+. refuse a stale selection.
    SelectionGuard &selectionGuard() { return m_guard; }

    /// Shows or hides a table column (SessionsModel::Column) and remembers the choice in the settings file,
    /// as the header's context menu does. The last visible column cannot be hidden.
    void setColumnShown(int column, bool shown);
    bool isColumnShown(int column) const;

    /// Settings key of the hidden columns (SessionsModel::Column names).
    static QString hiddenColumnsKey();

public Q_SLOTS:
    void updateSample(const poolscope::TargetSnapshot &snapshot);
    /// Back to empty (the target changed or was removed).
    void clear();

Q_SIGNALS:
    void cancelRequested(const QList<qint64> &pids);
    void terminateRequested(const QList<qint64> &pids);
    void bulkTerminateRequested();

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    /// The kept sample into the table, the filters' lists, the count, the actions and the detail pane.
    void applySample();
    QWidget *createFilterBar();
    QWidget *createActionBar();
    void createTable();
    void refreshGroupCombos();
    void updateCountLabel();
    void updateActions();
    void updateDetail();
    void showDetailFor(const QModelIndex &proxyIndex);
    QString detailHtml(const Session &s) const;
    void updateStateButtonIcons();
    void showHeaderMenu(const QPoint &pos);
    void showTableMenu(const QPoint &pos);
    void loadColumns();
    void saveColumns() const;
    QString describePid(qint64 pid) const;
    /// The selected pids to act on; empty (the selection cleared, the reason shown) when it is stale.
    QList<qint64> pidsToActOn();
    /// Application and Pooler client as wide as their text, within a bound (elided in the middle past it).
    void fitTextColumns();

    models::SessionsModel *m_model = nullptr;
    models::SessionsFilterModel *m_filter = nullptr;
    QTableView *m_table = nullptr;
    QTextBrowser *m_detail = nullptr;
    TransactionCharts *m_charts = nullptr;
    QSplitter *m_vertical = nullptr;
    QSplitter *m_horizontal = nullptr;

    QLineEdit *m_filterEdit = nullptr;
    std::array<QToolButton *, SessionStateCount> m_stateButtons{};
    std::bitset<SessionStateCount> m_onlyStates; // none: every state shown
    std::array<QComboBox *, GroupDimensionCount> m_groupCombos{};
    std::array<QStringList, GroupDimensionCount> m_comboValues; // value of combo item i + 1
    QSpinBox *m_minAge = nullptr;
    QLabel *m_countLabel = nullptr;
    QLabel *m_readOnlyLabel = nullptr;
    QLabel *m_staleLabel = nullptr;
    SelectionGuard m_guard;
    QList<int> m_userSizedColumns; // resized by hand: left as set
    bool m_fitting = false;
    // The rows in view or their Application / Pooler client text changed since fitTextColumns() measured
    // them (measuring every sample was 60 % of the window's CPU with the tab shown).
    bool m_textColumnsDirty = true;

    QAction *m_cancelAction = nullptr;
    QAction *m_terminateAction = nullptr;
    QAction *m_bulkAction = nullptr;
    bool m_actionsAllowed = true;
    QString m_readOnlyReason;

    std::optional<PostgresSample> m_sample;
    bool m_stale = false;
    bool m_pending = false; // m_sample is newer than the table (kept while hidden)
    QString m_staleReason;
    // The session the detail pane shows: pid and backend_start, so a reused pid is not mistaken for it.
    // The model's own row removals move the current index to a neighbour; the detail pane keeps showing the
    // ended session (m_detailLast, marked as ended) instead of silently switching to another one.
    std::optional<std::pair<qint64, std::optional<double>>> m_detailKey;
    Session m_detailLast;
    QString m_detailHtml; // what the detail pane shows: set again only when it changed (a relayout)
    bool m_detailEnded = false;
    bool m_merging = false;
    PoolerChainProvider m_poolerChain;
};

} // namespace poolscope::widgets
