#pragma once

#include "core/postgressample.h"
#include "core/terminateplan.h"

#include <QObject>
#include <QPointer>
#include <functional>

class QWidget;

namespace poolscope::widgets {

/// The window's side of the Sessions tab's actions on one PostgreSQL target: confirms, runs the
/// db::Terminator off the GUI thread (its own connection, guarded per pid by backend_start, audited), and
/// shows what happened per pid. Cancel and terminate of selected rows ask first, naming the sessions and the
/// target (No is the default); bulk terminate opens the TerminateDialog with its live preview. In read-only
/// mode nothing is asked or run: the refusal is audited and said. GUI thread only.
class SessionActions : public QObject
{
    Q_OBJECT
public:
    /// `window` parents the dialogs. `conninfo` may carry a password (never shown); `target` is its
    /// description without secrets.
    SessionActions(QWidget *window, QString conninfo, QString target, QObject *parent = nullptr);

    /// `sample`: the sample the pids were picked from (their backend_start guards against pid reuse).
    void cancel(const QList<qint64> &pids, const std::optional<PostgresSample> &sample);
    void terminate(const QList<qint64> &pids, const std::optional<PostgresSample> &sample);
    void bulkTerminate();

    /// The question asked before cancel/terminate, for tests and the dialog.
    static QString confirmationText(const QString &action, const QString &target, const QList<qint64> &pids,
                                    const std::optional<PostgresSample> &sample);
    /// Replaces the yes/no question (tests); the default asks with a QMessageBox, No by default.
    void setConfirm(std::function<bool(const QString &text)> confirm) { m_confirm = std::move(confirm); }
    /// Replaces the report box (tests); the default shows a QMessageBox with one line per pid.
    void setShowReport(std::function<void(const terminate::Report &)> show) { m_show = std::move(show); }
    bool isBusy() const { return m_busy; }

Q_SIGNALS:
    void finished(const poolscope::terminate::Report &report);

private:
    void run(bool cancel, const QList<qint64> &pids, const std::optional<PostgresSample> &sample);
    void showReport(const terminate::Report &report);

    QPointer<QWidget> m_window;
    QString m_conninfo;
    QString m_target;
    std::function<bool(const QString &)> m_confirm;
    std::function<void(const terminate::Report &)> m_show;
    bool m_busy = false;
};

} // namespace poolscope::widgets
