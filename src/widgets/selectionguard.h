#pragma once

#include "core/postgressample.h"

#include <QHash>
#include <QList>
#include <QString>
#include <optional>

namespace poolscope::widgets {

/// Remembers, for each selected session, what it was when it was selected (backend_start, state,
/// state_change) and when, so that an action on the selection (Delete: terminate) is refused when the
/// selection is stale: older than kMaxAgeMs, or a selected session ended, was replaced by another backend on
/// the same pid, or, selected idle in transaction, left that transaction (committed, or began another) since
/// the sample it was selected from. A busy session going from active to idle and back is still the one
/// selected. The user then
/// selects again from what the table shows now.
class SelectionGuard
{
public:
    static constexpr qint64 kMaxAgeMs = 60'000;

    /// `pids` were selected now, from `sample` (the one shown).
    void selected(const QList<qint64> &pids, const std::optional<PostgresSample> &sample, qint64 nowMs);
    void deselected(const QList<qint64> &pids);
    void clear() { m_keys.clear(); }

    /// Why acting on `pids` now would act on something the user did not see; nullopt when it is current.
    std::optional<QString> staleReason(const QList<qint64> &pids,
                                       const std::optional<PostgresSample> &current, qint64 nowMs) const;

    /// For tests: the age past which a selection is stale.
    void setMaxAgeMs(qint64 ms) { m_maxAgeMs = ms; }

private:
    struct Key
    {
        std::optional<double> backendStart;
        std::optional<QString> state;
        std::optional<double> stateChange;
        qint64 selectedMs = 0;
    };
    QHash<qint64, Key> m_keys;
    qint64 m_maxAgeMs = kMaxAgeMs;
};

} // namespace poolscope::widgets
