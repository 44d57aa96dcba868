#pragma once
// Helpers for the sampling-engine tests and benchmarks: freeze a sandbox server with SIGSTOP (always thawed
// by the destructor), measure the GUI thread's responsiveness, and wait in a real event loop.

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QList>
#include <QTimer>
#include <algorithm>
#include <csignal>
#include <sys/types.h>

namespace poolscope::test {

/// Direct children of `parent`, from /proc/<pid>/stat (PostgreSQL's backends and auxiliary processes are all
/// children of the postmaster).
inline QList<pid_t> childrenOf(pid_t parent)
{
    QList<pid_t> out;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &name : entries) {
        bool ok = false;
        const pid_t pid = pid_t(name.toInt(&ok));
        if (!ok)
            continue;
        QFile f(QStringLiteral("/proc/") + name + QStringLiteral("/stat"));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QByteArray stat = f.readAll();
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
        const qsizetype close = stat.lastIndexOf(')');
        if (close < 0)
            continue;
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == parent)
            out.append(pid);
    }
    return out;
}

/// SIGSTOPs a server process and all its children (the postmaster first, so it forks no new backend
/// meanwhile); SIGCONTs them in thaw() or, whatever happens in the test, in the destructor. Only ever give it
/// the pid of a process the test's own sandbox started.
class ServerFreezer
{
public:
    explicit ServerFreezer(pid_t root)
    {
        if (root <= 0)
            return;
        ::kill(root, SIGSTOP);
        m_pids.append(root);
        // The postmaster may have been forking when it stopped: look again until nothing new shows up.
        for (int round = 0; round < 5; ++round) {
            bool found = false;
            for (pid_t child : childrenOf(root)) {
                if (m_pids.contains(child))
                    continue;
                ::kill(child, SIGSTOP);
                m_pids.append(child);
                found = true;
            }
            if (!found && round > 0)
                break;
        }
    }
    ~ServerFreezer() { thaw(); }
    ServerFreezer(const ServerFreezer &) = delete;
    ServerFreezer &operator=(const ServerFreezer &) = delete;

    void thaw()
    {
        // Children first: the postmaster, once running, must find its children running too.
        for (auto it = m_pids.crbegin(); it != m_pids.crend(); ++it)
            ::kill(*it, SIGCONT);
        m_pids.clear();
    }
    int size() const { return int(m_pids.size()); }

private:
    QList<pid_t> m_pids;
};

/// A timer on the GUI thread that measures its own lateness: how much later than its period each tick came.
/// Lateness is what a user feels as a frozen window.
class Heartbeat
{
public:
    explicit Heartbeat(int periodMs = 10) : m_periodUs(qint64(periodMs) * 1000)
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(periodMs);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] { tick(); });
    }
    void start()
    {
        m_latenessUs.clear();
        m_clock.start();
        m_lastUs = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }

    int ticks() const { return int(m_latenessUs.size()); }
    double maxLatenessMs() const
    {
        return m_latenessUs.isEmpty()
                   ? 0.0
                   : double(*std::max_element(m_latenessUs.cbegin(), m_latenessUs.cend())) / 1000.0;
    }
    double percentileMs(double p) const
    {
        if (m_latenessUs.isEmpty())
            return 0.0;
        QList<qint64> sorted = m_latenessUs;
        std::sort(sorted.begin(), sorted.end());
        const qsizetype i =
            std::min<qsizetype>(sorted.size() - 1, qsizetype(p / 100.0 * double(sorted.size())));
        return double(sorted[i]) / 1000.0;
    }

private:
    void tick()
    {
        const qint64 now = m_clock.nsecsElapsed() / 1000;
        m_latenessUs.append(std::max<qint64>(0, now - m_lastUs - m_periodUs));
        m_lastUs = now;
    }

    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_periodUs;
    qint64 m_lastUs = 0;
    QList<qint64> m_latenessUs;
};

/// Runs a real event loop (no sleeping between event batches, unlike QTest::qWait) until `done()` or the
/// timeout; returns done().
template <typename Done> bool waitUntil(Done done, int timeoutMs)
{
    if (done())
        return true;
    QElapsedTimer clock;
    clock.start();
    QEventLoop loop;
    QTimer check;
    check.setInterval(5);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done() || clock.elapsed() >= timeoutMs)
            loop.quit();
    });
    check.start();
    loop.exec();
    return done();
}

/// Runs the event loop for `ms`.
inline void spin(int ms)
{
    waitUntil([] { return false; }, ms);
}

} // namespace poolscope::test
