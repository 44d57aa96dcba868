// What the user pays for sampling (label `bench`): the whole process's CPU per sample with the real
// MainWindow open on the target's page (default charts), read from /proc (utime + stime of the process, and
// each thread's schedstat run time), over BENCH_SECONDS (default 15) after a warm-up:
//  - 1,000 idle sessions (real connections, max_connections raised) at 10 Hz, on the Charts tab and on the
//    Sessions tab;
//  - 10,000 sessions at 10 Hz: 1,000 real and 9,000 synthetic rows. The sandbox cannot host 10,000 backends
//    (~2 MB each on a shared 24 GB machine), so for this row only the monitoring role reads a view named
//    pg_stat_activity (search_path bench_synth, pg_catalog) that appends 9,000 stored idle rows to the real
//    ones: the client sees 10,000 rows through libpq exactly as from a server that big; the server's cost of
//    this row is not a real server's;
//  - 20 targets x 1,000 sessions at 1 Hz, the fleet overview shown (what the window shows first with more
//    than one target);
//  - the server's cost per poll: CPU of the sampler's backend(s) (/proc/PID/schedstat of the PostgreSQL
//    process), and the same for pg_activity's refresh when pg_activity and tmux are installed (run in a
//    detached tmux session at its fastest refresh, 0.5 s).
// Figures are printed (BENCH lines), with the load average; goals are reported, not enforced.
// Run: ctest --preset bench -R bench_process_cpu, or build/release/tests/bench/bench_process_cpu.
#include "benchsupport.h"
#include "core/recorder.h"
#include "core/timeseries.h"
#include "procstat.h"
#include "support/enginetest.h"
#include "support/testsupport.h"
#include "widgets/mainwindow.h"
#include "widgets/qcp.h"
#include "widgets/targetpage.h"

#include <QApplication>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>
#include <QThread>
#include <cstdio>
#include <unistd.h>

using namespace poolscope;

namespace {

constexpr int kRealSessions = 1000;

// Figures go to stdout whatever the logging setup (quietLogging() routes Qt's messages to warnings only).
template <typename... Args> void say(const char *format, Args... args)
{
    std::printf(format, args...);
    std::printf("\n");
    std::fflush(stdout);
}

int benchSeconds()
{
    const int s = qEnvironmentVariableIntValue("BENCH_SECONDS");
    return s > 0 ? s : 15;
}

// The event loop for `ms`, woken only by the application's own events (test::spin polls every 5 ms, which
// would add its own wake-ups to the GUI thread's figures).
void idle(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

int samplesOf(const widgets::MainWindow &window)
{
    int n = 0;
    for (int i = 0; i < window.targetCount(); ++i) {
        const TimeSeries *ts = window.seriesFor(i)->find(series::sessionsTotal());
        n += ts ? ts->size() : 0;
    }
    return n;
}

std::optional<double> lastTotal(const widgets::MainWindow &window, int index)
{
    const SeriesSet *set = window.seriesFor(index);
    const TimeSeries *ts = set ? set->find(series::sessionsTotal()) : nullptr;
    return ts ? ts->lastValue() : std::nullopt;
}

// The CPU of the process (and of its threads, by kind) and of some server backends over one window.
struct Figures
{
    double seconds = 0;
    int samples = 0;
    double processTicksMs = 0; // utime + stime
    double processMs = 0;      // schedstat, all threads
    double guiMs = 0;          // the main thread
    double samplerMs = 0;      // "target ..." threads (one per target)
    double otherMs = 0;
    QStringList otherThreads;
    double backendMs = 0; // the backends', schedstat
    double backendTicksMs = 0;
    int replots = 0; // of every chart in the window
};

// With BENCH_EVENTS set: the events the GUI thread handled, by type and receiver class, printed at the end
// (what wakes the thread). It adds its own cost to every event: leave it unset for the figures.
class EventCounter : public QObject
{
public:
    EventCounter()
    {
        if (qEnvironmentVariableIsSet("BENCH_EVENTS"))
            qApp->installEventFilter(this);
    }
    ~EventCounter() override
    {
        qApp->removeEventFilter(this);
        QList<std::pair<int, QString>> sorted;
        for (auto it = m_counts.cbegin(); it != m_counts.cend(); ++it)
            sorted.append({it.value(), it.key()});
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        for (qsizetype i = 0; i < std::min<qsizetype>(15, sorted.size()); ++i)
            say("BENCH events: %d %s", sorted[i].first, qPrintable(sorted[i].second));
    }
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (QThread::currentThread() == qApp->thread())
            ++m_counts[QStringLiteral("%1 %2%3")
                           .arg(int(event->type()))
                           .arg(watched->metaObject()->className(),
                                (watched->parent()
                                     ? QStringLiteral(" in ") + watched->parent()->metaObject()->className()
                                     : QString()) +
                                    (qobject_cast<QTimer *>(watched)
                                         ? QStringLiteral(" every %1 ms")
                                               .arg(qobject_cast<QTimer *>(watched)->interval())
                                         : QString()))];
        return false;
    }

private:
    QHash<QString, int> m_counts;
};

// Counts the replots of every chart in `window` from now on.
class ReplotCounter
{
public:
    explicit ReplotCounter(const QWidget &window)
    {
        for (QCustomPlot *plot : window.findChildren<QCustomPlot *>())
            m_connections.append(QObject::connect(plot, &QCustomPlot::afterReplot, [this] { ++m_count; }));
    }
    ~ReplotCounter()
    {
        for (const QMetaObject::Connection &c : m_connections)
            QObject::disconnect(c);
    }
    int count() const { return m_count; }

private:
    QList<QMetaObject::Connection> m_connections;
    int m_count = 0;
};

class Window
{
public:
    explicit Window(QList<qint64> backends) : m_backends(std::move(backends)) {}
    void start()
    {
        m_clock.start();
        m_process = bench::processCpu(getpid());
        m_threads = bench::threadsCpu(getpid());
        m_backendStart = backendCpu();
    }
    Figures stop(int samples) const
    {
        Figures f;
        f.seconds = double(m_clock.elapsed()) / 1000.0;
        f.samples = samples;
        const bench::TaskCpu process = bench::processCpu(getpid());
        f.processTicksMs = bench::ticksToMs(process.ticks - m_process.ticks);
        const auto threads = bench::threadsCpu(getpid());
        for (auto it = threads.cbegin(); it != threads.cend(); ++it) {
            const qint64 before = m_threads.contains(it.key()) ? m_threads.value(it.key()).runNs : 0;
            const double ms = double(it.value().runNs - before) / 1e6;
            if (it.key() == getpid())
                f.guiMs += ms;
            else if (it.value().comm.startsWith(QLatin1String("target ")))
                f.samplerMs += ms;
            else {
                f.otherMs += ms;
                if (ms >= 1)
                    f.otherThreads.append(QStringLiteral("%1 %2 ms").arg(it.value().comm).arg(ms, 0, 'f', 0));
            }
        }
        f.processMs = f.guiMs + f.samplerMs + f.otherMs;
        const bench::TaskCpu backend = backendCpu();
        f.backendMs = double(backend.runNs - m_backendStart.runNs) / 1e6;
        f.backendTicksMs = bench::ticksToMs(backend.ticks - m_backendStart.ticks);
        return f;
    }

private:
    bench::TaskCpu backendCpu() const
    {
        bench::TaskCpu sum;
        for (qint64 pid : m_backends) {
            bench::TaskCpu t;
            if (bench::readTask(QStringLiteral("/proc/%1").arg(pid), &t)) {
                sum.ticks += t.ticks;
                sum.runNs += t.runNs;
            }
        }
        return sum;
    }

    QList<qint64> m_backends;
    QElapsedTimer m_clock;
    bench::TaskCpu m_process;
    QHash<qint64, bench::TaskCpu> m_threads;
    bench::TaskCpu m_backendStart;
};

void report(const char *what, const Figures &f, double goalMs)
{
    const double n = std::max(1, f.samples);
    say("BENCH %s: %d samples in %.1f s (%.1f/s); process CPU per sample %.2f ms (utime+stime %.2f ms) = GUI "
        "thread %.2f + sampler thread(s) %.2f + other threads %.2f; server backend CPU per poll %.2f ms "
        "(utime+stime %.2f); load average %s; %s",
        what, f.samples, f.seconds, f.samples / std::max(0.001, f.seconds), f.processMs / n,
        f.processTicksMs / n, f.guiMs / n, f.samplerMs / n, f.otherMs / n, f.backendMs / n,
        f.backendTicksMs / n, qPrintable(bench::loadAverage()), bench::buildType());
    say("BENCH %s: %.1f chart replots per second", what, f.replots / std::max(0.001, f.seconds));
    if (!f.otherThreads.isEmpty())
        say("BENCH %s: other threads: %s", what, qPrintable(f.otherThreads.join(QStringLiteral(", "))));
    if (goalMs > 0)
        say("BENCH %s: goal %.0f ms per sample: %s", what, goalMs,
            f.processMs / n <= goalMs ? "met" : "NOT met");
}

QList<qint64> pidsOf(PGconn *admin, const QByteArray &where)
{
    QList<qint64> out;
    DbError e;
    db::PgResult r = db::exec(admin, "SELECT pid FROM pg_catalog.pg_stat_activity WHERE " + where, &e);
    for (int i = 0; r && i < PQntuples(r.get()); ++i)
        out.append(QByteArray(PQgetvalue(r.get(), i, 0)).toLongLong());
    return out;
}

} // namespace

class BenchProcessCpu : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        sandbox::SandboxOptions options;
        // 1,000 sessions stay under 80 % of the usable connections: a quiet server (at 97 % the
        // server-connection-ceiling finding opens and the window shows an incident instead).
        options.maxConnections = kRealSessions * 14 / 10;
        QString error;
        m_sandbox = test::startSandbox(&error, options);
        QVERIFY2(m_sandbox, qPrintable(error));
        DbError e;
        m_admin = db::connect(db::parseConnInfo(m_sandbox->uris().postgres), {}, &e);
        QVERIFY2(m_admin, qPrintable(e.message));
        QElapsedTimer opening;
        opening.start();
        // Applications and users vary as in a real fleet: 12 applications, 1 user, idle.
        for (int app = 0; app < 12; ++app) {
            QVERIFY2(m_idle.open(m_sandbox->uris().app,
                                 kRealSessions / 12 + (app < kRealSessions % 12 ? 1 : 0),
                                 "bench-app-" + QByteArray::number(app), {}, &error),
                     qPrintable(error));
        }
        say("BENCH setup: %d idle sessions opened in %lld ms", m_idle.size(), opening.elapsed());
    }

    void oneTarget_data()
    {
        QTest::addColumn<int>("synthetic");
        QTest::addColumn<bool>("sessionsTab");
        QTest::addColumn<double>("goalMs");
        QTest::addRow("1,000 sessions, 10 Hz, Charts tab") << 0 << false << 1.0;
        QTest::addRow("1,000 sessions, 10 Hz, Sessions tab") << 0 << true << 0.0;
        QTest::addRow("10,000 sessions (9,000 synthetic rows), 10 Hz, Charts tab") << 9000 << false << 10.0;
    }
    void oneTarget()
    {
        QFETCH(int, synthetic);
        QFETCH(bool, sessionsTab);
        QFETCH(double, goalMs);
        if (synthetic > 0)
            QVERIFY(addSyntheticRows(synthetic));
        const int expected = kRealSessions + synthetic;
        {
            widgets::MainWindow window;
            window.addTarget(m_sandbox->uris().monitor, 100);
            window.resize(1280, 800);
            window.show();
            window.selectTarget(0);
            QVERIFY(test::waitUntil([&] { return lastTotal(window, 0).value_or(0) >= expected; }, 30000));
            if (sessionsTab)
                QVERIFY(window.pageFor(0)->showSessionsTab(true));
            test::spin(3000); // warm-up: caches, the first replots
            QVERIFY(lastTotal(window, 0).value_or(0) >= expected);
            Window w(pidsOf(m_admin.get(), "usename = 'monitor' AND application_name = 'poolscope'"));
            const int before = samplesOf(window);
            const ReplotCounter replots(window);
            const EventCounter events;
            w.start();
            idle(benchSeconds() * 1000);
            Figures f = w.stop(samplesOf(window) - before);
            f.replots = replots.count();
            report(QTest::currentDataTag(), f, goalMs);
            QVERIFY(f.samples > 0);
        }
        if (synthetic > 0)
            removeSyntheticRows();
    }

    void twentyTargets()
    {
        constexpr int kTargets = 20;
        widgets::MainWindow window;
        for (int i = 0; i < kTargets; ++i)
            window.addTarget(m_sandbox->uris().monitor, 1000);
        window.resize(1280, 800);
        window.show();
        window.showFleet();
        QVERIFY(test::waitUntil(
            [&] {
                for (int i = 0; i < kTargets; ++i) {
                    if (lastTotal(window, i).value_or(0) < kRealSessions)
                        return false;
                }
                return true;
            },
            60000));
        test::spin(3000);
        Window w(pidsOf(m_admin.get(), "usename = 'monitor' AND application_name = 'poolscope'"));
        const int before = samplesOf(window);
        const ReplotCounter replots(window);
        w.start();
        idle(std::max(20, benchSeconds()) * 1000);
        Figures f = w.stop(samplesOf(window) - before);
        f.replots = replots.count();
        report("20 targets x 1,000 sessions, 1 Hz, fleet overview", f, 1.0);
        QVERIFY(f.samples > 0);
    }

    // pg_activity's refresh on the same server, for the server's side: its backend's CPU per refresh.
    void pgActivity()
    {
        const QString pga = QStandardPaths::findExecutable(QStringLiteral("pg_activity"));
        const QString tmux = QStandardPaths::findExecutable(QStringLiteral("tmux"));
        if (pga.isEmpty() || tmux.isEmpty())
            QSKIP("pg_activity or tmux not installed (apt-get install pg-activity tmux)");
        const QString session = QStringLiteral("bench-pga-%1").arg(getpid());
        const QString command = QStringLiteral("%1 --refresh 0.5 '%2'").arg(pga, m_sandbox->uris().monitor);
        QVERIFY(QProcess::execute(tmux,
                                  {QStringLiteral("new-session"), QStringLiteral("-d"), QStringLiteral("-s"),
                                   session, QStringLiteral("-x"), QStringLiteral("200"), QStringLiteral("-y"),
                                   QStringLiteral("50"), command}) == 0);
        QList<qint64> backends;
        QVERIFY(test::waitUntil(
            [&] {
                backends = pidsOf(m_admin.get(), "application_name = 'pg_activity'");
                return !backends.isEmpty();
            },
            15000));
        test::spin(3000);
        Window w(backends);
        w.start();
        idle(benchSeconds() * 1000);
        Figures f = w.stop(0);
        QProcess::execute(tmux, {QStringLiteral("kill-session"), QStringLiteral("-t"), session});
        const double refreshes = f.seconds / 0.5;
        say("BENCH pg_activity --refresh 0.5, 1,000 idle sessions: ~%.0f refreshes in %.1f s; server backend "
            "CPU "
            "per refresh %.2f ms (utime+stime %.2f); load average %s",
            refreshes, f.seconds, f.backendMs / refreshes, f.backendTicksMs / refreshes,
            qPrintable(bench::loadAverage()));
    }

    void cleanupTestCase()
    {
        m_idle.closeAll();
        m_admin.reset();
        m_sandbox.reset();
    }

private:
    bool run(const QByteArray &sql)
    {
        DbError e;
        if (db::exec(m_admin.get(), sql, &e))
            return true;
        qWarning("%s: %s", sql.constData(), qPrintable(e.message));
        return false;
    }

    // For new connections of the monitoring role only: pg_stat_activity is the real one plus `rows` stored
    // idle sessions (pids above Linux's pid_max, 12 applications, 4 users, 40 client addresses).
    bool addSyntheticRows(int rows)
    {
        const QByteArray n = QByteArray::number(rows);
        DbError e;
        // The view lives in database app, where the sampler connects.
        const QList<QByteArray> sql = {
            "CREATE SCHEMA bench_synth",
            "CREATE TABLE bench_synth.rows AS SELECT * FROM pg_catalog.pg_stat_activity WHERE false",
            "INSERT INTO bench_synth.rows (datid, datname, pid, usesysid, usename, application_name, "
            "client_addr, "
            "client_port, backend_start, query_start, state_change, wait_event_type, wait_event, state, "
            "query, "
            "backend_type) SELECT d.oid, 'app', 5000000 + i, r.oid, 'app', 'synthetic-' || (i % 12), "
            "('10.1.0.' || (i % 40))::inet, 30000 + i % 30000, now() - interval '1 hour', now() - interval "
            "'30 "
            "minutes', now() - interval '30 minutes', 'Client', 'ClientRead', 'idle', 'SELECT 1', 'client "
            "backend' "
            "FROM generate_series(1, " +
                n + ") AS i, pg_database d, pg_roles r WHERE d.datname = 'app' AND r.rolname = 'app'",
            "CREATE VIEW bench_synth.pg_stat_activity AS SELECT * FROM pg_catalog.pg_stat_activity UNION ALL "
            "SELECT * FROM bench_synth.rows",
            "GRANT USAGE ON SCHEMA bench_synth TO monitor",
            "GRANT SELECT ON ALL TABLES IN SCHEMA bench_synth TO monitor",
        };
        // The schema is created by the superuser in database app.
        auto super = db::connect(
            db::parseConnInfo(m_sandbox->uris().postgres + QStringLiteral("&dbname=app")), {}, &e);
        if (!super) {
            qWarning("%s", qPrintable(e.message));
            return false;
        }
        for (const QByteArray &q : sql) {
            if (!db::exec(super.get(), q, &e)) {
                qWarning("%s: %s", q.constData(), qPrintable(e.message));
                return false;
            }
        }
        return run("ALTER ROLE monitor SET search_path = bench_synth, pg_catalog, public");
    }

    void removeSyntheticRows()
    {
        run("ALTER ROLE monitor RESET search_path");
        DbError e;
        auto super = db::connect(
            db::parseConnInfo(m_sandbox->uris().postgres + QStringLiteral("&dbname=app")), {}, &e);
        if (super)
            db::exec(super.get(), "DROP SCHEMA bench_synth CASCADE", &e);
    }

    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    db::PgConn m_admin;
    test::HeldSessions m_idle;
};

QTEST_MAIN(BenchProcessCpu)
#include "bench_process_cpu.moc"
