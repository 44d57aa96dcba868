// Cost of one SHOW CLIENTS / SHOW SERVERS round on a busy PgBouncer: parsing 10,000 client rows and 10,000
// server rows (1.24 shape), joining them into the chain, and the snapshot JSON of a PostgreSQL target with
// 2,000 sessions linked through it. Thread CPU time, so other processes on the machine do not inflate it.
// Prints figures; the goal is reported, not enforced (timed pass/fail tests flake on a shared machine).
#include "benchsupport.h"
#include "core/bouncerparsers.h"
#include "core/poolerchain.h"
#include "core/snapshotjson.h"

#include <QtTest>

using namespace poolscope;

namespace {

constexpr int Rows = 10'000;
constexpr int Rounds = 10;
constexpr double GoalMs = 100; // a connections round every 5 s: well under 2 % of one core

const QStringList Columns{"type",
                          "user",
                          "database",
                          "replication",
                          "state",
                          "addr",
                          "port",
                          "local_addr",
                          "local_port",
                          "connect_time",
                          "request_time",
                          "wait",
                          "wait_us",
                          "close_needed",
                          "ptr",
                          "link",
                          "remote_pid",
                          "tls",
                          "application_name",
                          "prepared_statements",
                          "id"};

QString ptr(char kind, int i)
{
    return QStringLiteral("0x55d0%1%2").arg(QLatin1Char(kind)).arg(i, 8, 16, QLatin1Char('0'));
}

// Client i holds server i for the first fifth; the rest are active between transactions or waiting.
ResultTable connections(bool servers)
{
    ResultTable t;
    t.columns = Columns;
    t.reserve(Rows, qsizetype(Rows) * 200);
    for (int i = 0; i < Rows; ++i) {
        const bool linked = i % 5 == 0;
        const QString state =
            servers ? (linked ? "active" : "idle") : (linked || i % 3 ? "active" : "waiting");
        t.appendRow({Cell(servers ? "S" : "C"),
                     Cell(QStringLiteral("app%1").arg(i % 7)),
                     Cell("app"),
                     Cell("none"),
                     Cell(state),
                     Cell(servers ? QStringLiteral("10.1.0.1")
                                  : QStringLiteral("10.0.%1.%2").arg(i / 250).arg(i % 250)),
                     Cell(QString::number(servers ? 5432 : 40000 + i)),
                     Cell("10.0.0.1"),
                     Cell(QString::number(6432)),
                     Cell("2026-11-23 03:15:24 UTC"),
                     Cell("2026-11-23 03:20:01 UTC"),
                     Cell("0"),
                     Cell("0"),
                     Cell("0"),
                     Cell(ptr(servers ? 's' : 'c', i)),
                     Cell(linked ? ptr(servers ? 'c' : 's', i) : QString()),
                     Cell(servers ? QString::number(100000 + i) : QStringLiteral("0")),
                     Cell(""),
                     Cell(QStringLiteral("service-%1").arg(i % 23)),
                     Cell("0"),
                     Cell(QString::number(i + 1))});
    }
    return t;
}

double ms(qint64 ns)
{
    return double(ns) / 1e6;
}

} // namespace

class BenchPooler : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void connectionsRound()
    {
        const ResultTable clientRows = connections(false);
        const ResultTable serverRows = connections(true);
        TargetSnapshot pg;
        pg.kind = TargetKind::Postgres;
        pg.postgres = PostgresSample{};
        for (int i = 0; i < 2000; ++i) {
            Session s;
            s.pid = 100000 + i * 5;
            s.state = QStringLiteral("idle in transaction");
            pg.postgres->sessions.append(s);
        }
        std::vector<double> parse, join, json;
        int linked = 0;
        for (int round = 0; round < Rounds; ++round) {
            qint64 t0 = bench::threadCpuNs();
            const auto clients = parsers::parseShowConnections(clientRows);
            const auto servers = parsers::parseShowConnections(serverRows);
            qint64 t1 = bench::threadCpuNs();
            const PoolerChain chain = joinBouncerChain(clients, servers);
            qint64 t2 = bench::threadCpuNs();
            const QJsonObject o = toJson(pg, &chain);
            qint64 t3 = bench::threadCpuNs();
            parse.push_back(ms(t1 - t0));
            join.push_back(ms(t2 - t1));
            json.push_back(ms(t3 - t2));
            QCOMPARE(clients.size(), Rows);
            QCOMPARE(chain.byBackendPid.size(), Rows);
            linked = 0;
            for (const ChainLink &l : chain.byBackendPid)
                linked += l.hasClient ? 1 : 0;
            QVERIFY(o.contains(QStringLiteral("sessions")));
        }
        QCOMPARE(linked, Rows / 5);
        const auto p = bench::stats(parse), j = bench::stats(join), s = bench::stats(json);
        qInfo("parse %d clients + %d servers: mean %.1f ms, max %.1f ms (CPU)", Rows, Rows, p.mean, p.max);
        qInfo("join into the chain: mean %.1f ms, max %.1f ms", j.mean, j.max);
        qInfo("snapshot JSON of 2,000 linked sessions: mean %.1f ms, max %.1f ms", s.mean, s.max);
        qInfo("goal: a whole round under %.0f ms: %s (%.1f ms)", GoalMs,
              p.mean + j.mean < GoalMs ? "met" : "NOT met", p.mean + j.mean);
    }
};

QTEST_GUILESS_MAIN(BenchPooler)
#include "bench_pooler.moc"
