#pragma once

#include "postgressample.h"

#include <QHash>
#include <QList>

/// Lock-wait relations of one session within one sample, computed from Session::blockedBy (pg_blocking_pids()
/// of sessions waiting on a heavyweight lock). Pure functions over a PostgresSample: the sessions page's
/// detail pane draws them, tests feed captured rows.
namespace poolscope::blocking {

/// Sessions `pid` waits for directly (its blockedBy); empty when it waits for nobody or is not in the sample.
QList<qint64> blockersOf(const PostgresSample &sample, qint64 pid);

/// Blocker pid -> the sessions waiting directly for its locks, each list by pid, without duplicates or
/// self-edges. Built once per sample for the walks below.
using WaiterMap = QHash<qint64, QList<qint64>>;
WaiterMap waitersByBlocker(const PostgresSample &sample);

/// Sessions waiting directly for `pid`'s locks, by pid.
QList<qint64> waitersOf(const PostgresSample &sample, qint64 pid);

/// The root blockers `pid` ends up waiting for, following blockedBy transitively: blockers that do not wait
/// on a lock themselves (a blocker outside the sample's sessions counts as a root, as in
/// analysis::rootBlockers()). Empty when `pid` waits for nobody. Sorted by pid.
QList<qint64> rootsOf(const PostgresSample &sample, qint64 pid);

/// True when following blockedBy from `pid` comes back to a session already on the path: a deadlock the
/// server's deadlock detector has not broken yet (deadlock_timeout, 1 s by default).
bool inCycle(const PostgresSample &sample, qint64 pid);

/// One line of the "whom it blocks" tree.
struct WaiterNode
{
    qint64 pid = 0;
    int depth = 1; // 1: waits for `pid` directly; 2: waits for one of those; ...
};

/// Everyone waiting behind `pid`, depth-first (each waiter followed by its own waiters, one level deeper),
/// waiters of one session by pid. A session appears once, at its first position (cycles end there).
QList<WaiterNode> waiterTree(const PostgresSample &sample, qint64 pid);
QList<WaiterNode> waiterTree(const WaiterMap &waiters, qint64 pid);

} // namespace poolscope::blocking
