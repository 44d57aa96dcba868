#pragma once

#include "core/terminateplan.h"

#include <QDialog>
#include <QTimer>
#include <memory>
#include <optional>

namespace Ui {
class TerminateDialog;
}

namespace poolscope::db {
class Terminator;
}

namespace poolscope::widgets {

/// Bulk terminate by predicate, for one PostgreSQL target: "idle in transaction (or aborted) for more than
/// N s", optionally AND application / user / database / client. The preview table is live: it lists exactly
/// who would be hit (and the summary says who matched but is protected: superuser, PoolScope, non-client),
/// refreshed as the fields change and every few seconds, from a fresh candidate query run off the GUI thread
/// on the dialog's own connection. Terminate asks for a confirmation naming the count and the target, then
/// ends exactly the previewed sessions (each still guarded by pid, backend_start, state_change and state)
/// and shows the result per pid. Disabled, visibly, in read-only mode (the preview stays).
///
/// Keyboard: every field has a mnemonic; Alt+T terminates (after the confirmation, whose default is Cancel);
/// Enter in a field never terminates; Esc closes.
class TerminateDialog : public QDialog
{
    Q_OBJECT
public:
    /// `targetName` is what the user calls the target (shown and used in the confirmation); `conninfo` is
    /// only given to the dialog's own terminator connection.
    TerminateDialog(const QString &conninfo, const QString &targetName, QWidget *parent = nullptr);
    ~TerminateDialog() override;

    void setPredicate(const terminate::Predicate &predicate);
    terminate::Predicate predicate() const;
    bool escalate() const;

    /// The plan the preview table shows (nullopt before the first read or after an error).
    const std::optional<terminate::Plan> &plan() const { return m_plan; }
    /// The report of the last run (nullopt before one).
    const std::optional<terminate::Report> &lastReport() const { return m_report; }
    bool isBusy() const { return m_busy; }
    /// The confirmation text for the current plan: "Terminate 2 sessions on NAME (user@host:port/db)?".
    QString confirmationText() const;
    /// Milliseconds between automatic preview refreshes (default 2000; 0 = only on field changes).
    void setRefreshIntervalMs(int ms);

public Q_SLOTS:
    /// Reads the candidates again now.
    void refreshPreview();
    /// Asks for the confirmation, then terminates the previewed sessions.
    void terminateNow();

Q_SIGNALS:
    void previewUpdated();
    void finished(const poolscope::terminate::Report &report);

private:
    void onFieldsChanged();
    void startPreview();
    void showPlan();
    void showReport();
    void showError(const QString &message);
    void updateButtons();
    void setFieldsEnabled(bool enabled);
    void fillRow(int row, const terminate::Candidate &c, double age, const QString &result,
                 const QString &reason);

    std::unique_ptr<Ui::TerminateDialog> m_ui;
    QString m_targetName;
    std::shared_ptr<db::Terminator> m_terminator;
    QTimer m_debounce;
    QTimer m_refresh;
    bool m_busy = false;      // a preview or a run is in flight (one at a time on the terminator)
    bool m_pending = false;   // fields changed while busy: preview again when it returns
    bool m_done = false;      // a run finished: the table shows its results
    quint64 m_generation = 0; // field edits; a preview read under older fields is shown but re-read
    std::optional<terminate::Plan> m_plan;
    std::optional<terminate::Report> m_report;
};

} // namespace poolscope::widgets
