#include "selectionguard.h"

#include <QCoreApplication>

namespace poolscope::widgets {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("SelectionGuard", text);
}

QString ageText(qint64 ms)
{
    const qint64 s = ms / 1000;
    return s < 120 ? tr("%1\u00a0s").arg(s) : tr("%1\u00a0min").arg(s / 60);
}

} // namespace

void SelectionGuard::selected(const QList<qint64> &pids, const std::optional<PostgresSample> &sample,
                              qint64 nowMs)
{
    for (qint64 pid : pids) {
        Key key;
        key.selectedMs = nowMs;
        if (const Session *s = sample ? sample->session(pid) : nullptr) {
            key.backendStart = s->backendStart;
            key.state = s->state;
            key.stateChange = s->stateChange;
        }
        m_keys.insert(pid, key);
    }
}

void SelectionGuard::deselected(const QList<qint64> &pids)
{
    for (qint64 pid : pids)
        m_keys.remove(pid);
}

std::optional<QString> SelectionGuard::staleReason(const QList<qint64> &pids,
                                                   const std::optional<PostgresSample> &current,
                                                   qint64 nowMs) const
{
    for (qint64 pid : pids) {
        const auto it = m_keys.constFind(pid);
        if (it == m_keys.cend())
            return tr("pid %1 was not selected from the table").arg(pid);
        if (nowMs - it->selectedMs > m_maxAgeMs)
            return tr("the selection was made %1 ago").arg(ageText(nowMs - it->selectedMs));
        const Session *s = current ? current->session(pid) : nullptr;
        if (!s)
            return tr("pid %1 has ended since it was selected").arg(pid);
        if (s->backendStart != it->backendStart)
            return tr("pid %1 is another session now (the backend was replaced)").arg(pid);
        // A session selected idle in transaction has moved on when it left that transaction (committed, or
        // began another one): ending it now would hit something the user did not see. A busy session changes
        // state with every query, which is what it was selected for.
        const bool wasIdleInTransaction =
            it->state && (sessionStateFromText(it->state) == SessionState::IdleInTransaction ||
                          sessionStateFromText(it->state) == SessionState::IdleInTransactionAborted);
        if (wasIdleInTransaction && (s->state != it->state || s->stateChange != it->stateChange))
            return tr("pid %1 has changed since it was selected (now %2)")
                .arg(pid)
                .arg(s->state.value_or(tr("unknown")));
    }
    return std::nullopt;
}

} // namespace poolscope::widgets
