// Cost of sampling a real PgBouncer 1.18 console with 1,000 clients connected: PoolScope's thread CPU and
// PgBouncer's CPU per sample, with and without the SHOW CLIENTS / SHOW SERVERS round (taken every 5 s by
// default). Prints figures; nothing is enforced (timed pass/fail tests flake on a shared machine).
#include "benchsupport.h"
#include "db/sampler.h"
#include "support/testsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QtTest>
#include <unistd.h>

using namespace poolscope;

namespace {

constexpr int Clients = 1000;
constexpr int Samples = 20;

// utime + stime of a process, in ms.
double processCpuMs(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    // Fields after the command: state is [0], utime [11], stime [12] (man 5 proc: 14 and 15).
    return double(fields[11].toLongLong() + fields[12].toLongLong()) * 1000.0 /
           double(::sysconf(_SC_CLK_TCK));
}

} // namespace

class BenchBouncerSample : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sampleWithThousandClients()
    {
        sandbox::SandboxOptions options;
        options.maxClientConn = Clients + 100;
        options.defaultPoolSize = 20;
        QString error;
        auto sandbox = test::startSandbox(&error, options);
        QVERIFY2(sandbox, qPrintable(error));
        test::HeldSessions clients;
        QElapsedTimer opening;
        opening.start();
        QVERIFY2(clients.open(sandbox->uris().pgbouncerApp, Clients, "bench-client", {"SELECT 1"}, &error),
                 qPrintable(error));
        qInfo("opened %d clients through PgBouncer in %.1f s", Clients, double(opening.elapsed()) / 1000.0);

        db::Sampler sampler(sandbox->uris().pgbouncerConsole);
        const TargetSnapshot first = sampler.sample();
        QVERIFY2(first.ok, qPrintable(first.error.message));
        QVERIFY(first.bouncer->clients);
        QVERIFY2(first.bouncer->clients->size() >= Clients,
                 qPrintable(QString::number(first.bouncer->clients->size())));

        for (const bool withConnections : {false, true}) {
            std::vector<double> cpu, wall;
            const double bouncerBefore = processCpuMs(sandbox->bouncerPid());
            for (int i = 0; i < Samples; ++i) {
                if (withConnections)
                    sampler.requestConnections();
                const qint64 c0 = bench::threadCpuNs();
                QElapsedTimer t;
                t.start();
                const TargetSnapshot s = sampler.sample();
                wall.push_back(double(t.nsecsElapsed()) / 1e6);
                cpu.push_back(double(bench::threadCpuNs() - c0) / 1e6);
                QVERIFY2(s.ok, qPrintable(s.error.message));
                QCOMPARE(s.bouncer->connectionsFresh, withConnections);
            }
            const double bouncerMs = (processCpuMs(sandbox->bouncerPid()) - bouncerBefore) / Samples;
            const bench::Stats c = bench::stats(cpu);
            const bench::Stats w = bench::stats(wall);
            qInfo("%s: PoolScope CPU %.2f ms mean (max %.2f), wall %.2f ms mean (max %.2f), PgBouncer CPU "
                  "%.2f ms per sample",
                  withConnections ? "pools + CLIENTS/SERVERS round" : "pools only (between rounds)", c.mean,
                  c.max, w.mean, w.max, bouncerMs);
        }
    }
};

QTEST_GUILESS_MAIN(BenchBouncerSample)
#include "bench_bouncer_sample.moc"
