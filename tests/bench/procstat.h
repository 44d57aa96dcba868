#pragma once

#include <QDir>
#include <QFile>
#include <QHash>
#include <QString>
#include <QStringList>
#include <QtGlobal>
#include <unistd.h>

// CPU time of a process and of each of its threads, read from /proc: what `top` and `pidstat -t` show, for
// benchmarks that measure what a user pays rather than one function.
namespace poolscope::bench {

struct TaskCpu
{
    QString comm;     // thread name (15 characters at most)
    qint64 ticks = 0; // utime + stime, in clock ticks (sysconf(_SC_CLK_TCK), 10 ms here)
    qint64 runNs = 0; // time on a CPU from schedstat, in ns (the same, without the tick granularity)
};

/// /proc/PID/stat (or /proc/PID/task/TID/stat when `dir` names a task): comm, utime + stime; and the first
/// field of schedstat. A process's stat counts the CPU of threads that have exited too.
inline bool readTask(const QString &dir, TaskCpu *out)
{
    QFile stat(dir + QStringLiteral("/stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const qsizetype open = line.indexOf('(');
    const qsizetype close = line.lastIndexOf(')'); // the name may hold spaces and parentheses
    if (open < 0 || close < open)
        return false;
    out->comm = QString::fromUtf8(line.mid(open + 1, close - open - 1));
    // After the name: state (field 3) ... utime (14), stime (15).
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    if (fields.size() < 13)
        return false;
    out->ticks = fields[11].toLongLong() + fields[12].toLongLong();
    QFile sched(dir + QStringLiteral("/schedstat"));
    out->runNs = sched.open(QIODevice::ReadOnly) ? sched.readAll().split(' ').value(0).toLongLong() : 0;
    return true;
}

inline TaskCpu processCpu(qint64 pid)
{
    TaskCpu t;
    readTask(QStringLiteral("/proc/%1").arg(pid), &t);
    // A process's schedstat is its main thread's: sum the threads' instead.
    qint64 ns = 0;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        TaskCpu task;
        if (readTask(tasks.filePath(tid), &task))
            ns += task.runNs;
    }
    t.runNs = ns;
    return t;
}

/// Every thread of the process, by tid.
inline QHash<qint64, TaskCpu> threadsCpu(qint64 pid)
{
    QHash<qint64, TaskCpu> out;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const QString &tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        TaskCpu task;
        if (readTask(tasks.filePath(tid), &task))
            out.insert(tid.toLongLong(), task);
    }
    return out;
}

inline double ticksToMs(qint64 ticks)
{
    return double(ticks) * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg says them.
inline QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("unknown");
    const QList<QByteArray> parts = f.readAll().split(' ');
    return QStringList{QString::fromLatin1(parts.value(0)), QString::fromLatin1(parts.value(1)),
                       QString::fromLatin1(parts.value(2))}
        .join(QStringLiteral(", "));
}

} // namespace poolscope::bench
