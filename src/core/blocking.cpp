#include "blocking.h"

#include <QHash>
#include <QSet>
#include <algorithm>

namespace poolscope::blocking {

QList<qint64> blockersOf(const PostgresSample &sample, qint64 pid)
{
    const Session *s = sample.session(pid);
    return s ? s->blockedBy : QList<qint64>{};
}

WaiterMap waitersByBlocker(const PostgresSample &sample)
{
    WaiterMap waiters;
    for (const Session &s : sample.sessions) {
        for (qint64 blocker : s.blockedBy) {
            if (s.pid != blocker)
                waiters[blocker].append(s.pid);
        }
    }
    // pg_blocking_pids() may name a blocker twice (parallel workers): sort, then drop repeats.
    for (QList<qint64> &list : waiters) {
        std::sort(list.begin(), list.end());
        list.erase(std::unique(list.begin(), list.end()), list.end());
    }
    return waiters;
}

QList<qint64> waitersOf(const PostgresSample &sample, qint64 pid)
{
    return waitersByBlocker(sample).value(pid);
}

QList<qint64> rootsOf(const PostgresSample &sample, qint64 pid)
{
    // Breadth-first up the "waits for" edges; `seen` ends cycles.
    QList<qint64> roots;
    QSet<qint64> seen{pid};
    QList<qint64> queue = blockersOf(sample, pid);
    for (qsizetype i = 0; i < queue.size(); ++i) {
        const qint64 blocker = queue.at(i);
        if (seen.contains(blocker))
            continue;
        seen.insert(blocker);
        const Session *s = sample.session(blocker);
        // Same rule as analysis::rootBlockers(): a blocker that does not wait on a lock is a root. A waiter
        // whose own blockers already went away (empty blockedBy) is one too: nothing above it is known.
        if (!s || !s->waitingOnLock() || s->blockedBy.isEmpty()) {
            if (!roots.contains(blocker))
                roots.append(blocker);
            continue;
        }
        queue.append(s->blockedBy);
    }
    std::sort(roots.begin(), roots.end());
    return roots;
}

bool inCycle(const PostgresSample &sample, qint64 pid)
{
    // Is `pid` reachable from its own blockers?
    QSet<qint64> seen;
    QList<qint64> queue = blockersOf(sample, pid);
    for (qsizetype i = 0; i < queue.size(); ++i) {
        const qint64 blocker = queue.at(i);
        if (blocker == pid)
            return true;
        if (seen.contains(blocker))
            continue;
        seen.insert(blocker);
        queue.append(blockersOf(sample, blocker));
    }
    return false;
}

QList<WaiterNode> waiterTree(const PostgresSample &sample, qint64 pid)
{
    return waiterTree(waitersByBlocker(sample), pid);
}

QList<WaiterNode> waiterTree(const WaiterMap &waiters, qint64 pid)
{
    QList<WaiterNode> tree;
    QSet<qint64> seen{pid};
    // Iterative depth-first: a stack of (pid, depth), children pushed in reverse so the lowest pid comes
    // first.
    QList<WaiterNode> stack;
    const QList<qint64> first = waiters.value(pid);
    for (auto it = first.crbegin(); it != first.crend(); ++it)
        stack.append({*it, 1});
    while (!stack.isEmpty()) {
        const WaiterNode node = stack.takeLast();
        if (seen.contains(node.pid))
            continue;
        seen.insert(node.pid);
        tree.append(node);
        const QList<qint64> children = waiters.value(node.pid);
        for (auto it = children.crbegin(); it != children.crend(); ++it) {
            if (!seen.contains(*it))
                stack.append({*it, node.depth + 1});
        }
    }
    return tree;
}

} // namespace poolscope::blocking
