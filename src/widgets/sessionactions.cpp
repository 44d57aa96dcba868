#include "sessionactions.h"

#include "core/fleetsummary.h"
#include "core/logging.h"
#include "core/readonly.h"
#include "core/taskpool.h"
#include "db/terminator.h"
#include "widgets/nowrap.h"
#include "widgets/terminatedialog.h"

#include <QJsonArray>
#include <QMessageBox>

namespace poolscope::widgets {

SessionActions::SessionActions(QWidget *window, QString conninfo, QString target, QObject *parent)
    : QObject(parent), m_window(window), m_conninfo(std::move(conninfo)), m_target(std::move(target))
{
    m_confirm = [this](const QString &text) {
        QMessageBox box(QMessageBox::Warning, tr("Confirm"), keepValuesTogether(text),
                        QMessageBox::Yes | QMessageBox::No, m_window);
        box.setDefaultButton(QMessageBox::No);
        return box.exec() == QMessageBox::Yes;
    };
    m_show = [this](const terminate::Report &report) {
        QStringList lines;
        for (const terminate::PidResult &r : report.results) {
            QString line =
                QStringLiteral("pid %1 (%2, %3): %4")
                    .arg(r.row.pid)
                    .arg(r.row.applicationName.isEmpty() ? tr("no application") : r.row.applicationName,
                         r.row.usename, terminate::outcomeName(r.outcome));
            if (!r.reason.isEmpty())
                line += QStringLiteral(" — ") + r.reason;
            lines.append(line);
        }
        QMessageBox box(report.hasProblems() ? QMessageBox::Warning : QMessageBox::Information,
                        tr("%1 on %2").arg(report.action, report.target), report.summary(), QMessageBox::Ok,
                        m_window);
        box.setDetailedText(lines.join(QLatin1Char('\n')));
        box.exec();
    };
}

QString SessionActions::confirmationText(const QString &action, const QString &target,
                                         const QList<qint64> &pids,
                                         const std::optional<PostgresSample> &sample)
{
    QStringList rows;
    for (qint64 pid : pids) {
        const Session *s = (sample ? sample->session(pid) : nullptr);
        if (!s) {
            rows.append(QStringLiteral("pid %1").arg(pid));
            continue;
        }
        QString row =
            QStringLiteral("pid %1 · %2 · %3 · %4")
                .arg(pid)
                .arg(s->applicationName.isEmpty() ? QStringLiteral("(no application)") : s->applicationName,
                     s->usename, s->state.value_or(QStringLiteral("?")));
        if (s->stateChange)
            row += QStringLiteral(" for ") + ageText(sample->serverNow - *s->stateChange);
        rows.append(row);
    }
    const int shown = 12;
    QString list = rows.mid(0, shown).join(QLatin1Char('\n'));
    if (rows.size() > shown)
        list += QStringLiteral("\n… and %1 more").arg(rows.size() - shown);
    const QString what = action == QLatin1String("cancel")
                             ? QStringLiteral("Cancel the running query of %1 session(s)").arg(pids.size())
                             : QStringLiteral("Terminate %1 session(s)").arg(pids.size());
    QString text = what + QStringLiteral(" on %1?\n\n%2").arg(target, list);
    if (action != QLatin1String("cancel"))
        text += QStringLiteral("\n\nTheir clients lose the connection; open transactions roll back.");
    return text;
}

void SessionActions::cancel(const QList<qint64> &pids, const std::optional<PostgresSample> &sample)
{
    run(true, pids, sample);
}

void SessionActions::terminate(const QList<qint64> &pids, const std::optional<PostgresSample> &sample)
{
    run(false, pids, sample);
}

void SessionActions::run(bool cancel, const QList<qint64> &pids, const std::optional<PostgresSample> &sample)
{
    const QString action = cancel ? QStringLiteral("cancel") : QStringLiteral("terminate");
    if (pids.isEmpty() || m_busy)
        return;
    if (readonly::isReadOnly()) {
        QJsonObject fields;
        QJsonArray list;
        for (qint64 pid : pids)
            list.append(pid);
        fields.insert(QStringLiteral("pids"), list);
        readonly::recordRefusal(action, m_target, fields);
        QMessageBox::information(m_window, tr("Read-only mode"),
                                 tr("PoolScope is in read-only mode: nothing was %1.")
                                     .arg(cancel ? tr("cancelled") : tr("terminated")));
        return;
    }
    if (!m_confirm(confirmationText(action, m_target, pids, sample))) {
        logging::get("ui")->info("{} of {} session(s) on {} not confirmed", action.toStdString(), pids.size(),
                                 m_target.toStdString());
        return;
    }
    QList<db::PidRef> refs;
    for (qint64 pid : pids) {
        const Session *s = (sample ? sample->session(pid) : nullptr);
        refs.append(db::PidRef{pid, s ? s->backendStart : std::nullopt});
    }
    m_busy = true;
    TaskPool::run(
        this,
        [conninfo = m_conninfo, refs, cancel] {
            db::Terminator terminator(conninfo);
            return cancel ? terminator.cancelPids(refs) : terminator.terminatePids(refs);
        },
        [this](const terminate::Report &report) {
            m_busy = false;
            logging::get("ui")->info("{} on {}: {}", report.action.toStdString(), report.target.toStdString(),
                                     report.summary().toStdString());
            // Said before the report box, which waits for the user: what watches the outcome (a finding's
            // action) must know when the work was done, not when the box was closed.
            Q_EMIT finished(report);
            m_show(report);
        });
}

void SessionActions::bulkTerminate()
{
    TerminateDialog dialog(m_conninfo, m_target, m_window);
    connect(&dialog, &TerminateDialog::finished, this, &SessionActions::finished);
    dialog.exec();
}

} // namespace poolscope::widgets
