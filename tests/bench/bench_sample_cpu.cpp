// Client CPU per sample at 1,000 and 10,000 sessions: read the libpq result (toTable) and parse the
// pg_stat_activity rows (parsers::parsePgActivity),
// summarise them (countStates and the groups, analysis::summarizeSessions), and append to the target's
// history (recordSnapshot). Rows are shaped like tests/data/postgres/pg_activity_15.txt. Goal: <= 1 ms at
// 1,000. That is every row whole, as the sampler reads them on a connection's first poll and every 30 s;
// perSampleShortRows measures the polls in between on an idle server (short rows merged by ActivityCache,
// the summary kept). bench_process_cpu measures the whole process.
#include "benchsupport.h"
#include "core/activitycache.h"
#include "core/postgresparsers.h"
#include "core/recorder.h"
#include "core/resulttable.h"
#include "core/sessionanalysis.h"
#include "core/timeseries.h"
#include "db/pg.h"

#include <QElapsedTimer>
#include <QtTest>

using namespace poolscope;

namespace {

constexpr double T0 = 1'700'000'040;

ResultTable activityRows(int sessions)
{
    ResultTable table;
    table.columns = QStringList{QStringLiteral("pid"),
                                QStringLiteral("leader_pid"),
                                QStringLiteral("datname"),
                                QStringLiteral("usename"),
                                QStringLiteral("application_name"),
                                QStringLiteral("client_addr"),
                                QStringLiteral("client_port"),
                                QStringLiteral("backend_type"),
                                QStringLiteral("state"),
                                QStringLiteral("wait_event_type"),
                                QStringLiteral("wait_event"),
                                QStringLiteral("backend_start"),
                                QStringLiteral("xact_start"),
                                QStringLiteral("query_start"),
                                QStringLiteral("state_change"),
                                QStringLiteral("backend_xmin_age"),
                                QStringLiteral("blocked_by"),
                                QStringLiteral("poolscope"),
                                QStringLiteral("query_id"),
                                QStringLiteral("query")};
    const QStringList states = {QStringLiteral("active"),
                                QStringLiteral("idle"),
                                QStringLiteral("idle"),
                                QStringLiteral("idle"),
                                QStringLiteral("idle in transaction"),
                                QStringLiteral("idle in transaction (aborted)")};
    const Cell null;
    for (int i = 0; i < sessions; ++i) {
        const QString state = states[i % states.size()];
        const bool inXact = state != QLatin1String("idle");
        const bool waiting = state == QLatin1String("active") && i % 5 == 0;
        table.appendRow(
            QList<Cell>{QString::number(10000 + i),
                        null,
                        QStringLiteral("app%1").arg(i % 3),
                        QStringLiteral("user%1").arg(i % 4),
                        QStringLiteral("web-%1").arg(i % 12),
                        QStringLiteral("10.0.%1.%2").arg(i % 4).arg(i % 200),
                        QString::number(40000 + i),
                        QStringLiteral("client backend"),
                        state,
                        waiting ? Cell(QStringLiteral("Lock")) : Cell(QStringLiteral("Client")),
                        waiting ? Cell(QStringLiteral("transactionid")) : Cell(QStringLiteral("ClientRead")),
                        QStringLiteral("1700000000.000000"),
                        inXact ? Cell(QStringLiteral("1700000090.000000")) : null,
                        QStringLiteral("1700000095.000000"),
                        QStringLiteral("1700000095.500000"),
                        inXact ? Cell(QString::number(i % 1000)) : null,
                        waiting ? Cell(QStringLiteral("{%1}").arg(10001 + i)) : null,
                        QStringLiteral("f"),
                        QString::number(qint64(i % 50) * 7919),
                        QStringLiteral("SELECT * FROM orders WHERE id = $1")});
    }
    return table;
}

// The same rows as a libpq result, as the sampler receives them.
std::unique_ptr<PGresult, void (*)(PGresult *)> asPgResult(const ResultTable &table)
{
    std::unique_ptr<PGresult, void (*)(PGresult *)> res(PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK),
                                                        PQclear);
    std::vector<QByteArray> names;
    names.reserve(size_t(table.columns.size())); // data() pointers must stay valid
    std::vector<PGresAttDesc> attrs(size_t(table.columns.size()));
    for (qsizetype c = 0; c < table.columns.size(); ++c) {
        names.push_back(table.columns[c].toUtf8());
        attrs[size_t(c)] = PGresAttDesc{names.back().data(), 0, 0, 0, 25 /* text */, -1, -1};
    }
    if (!PQsetResultAttrs(res.get(), int(attrs.size()), attrs.data()))
        qFatal("PQsetResultAttrs failed");
    for (int r = 0; r < table.rowCount(); ++r) {
        for (int c = 0; c < int(table.columns.size()); ++c) {
            const auto v = table.raw(r, c);
            // NULL is a length of -1
            if (!PQsetvalue(res.get(), r, c, v ? const_cast<char *>(v->data()) : nullptr,
                            v ? int(v->size()) : -1))
                qFatal("PQsetvalue failed");
        }
    }
    return res;
}

} // namespace

class BenchSampleCpu : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void perSample_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addColumn<int>("samples");
        QTest::addColumn<double>("goalUs"); // 0: report only
        QTest::addRow("1,000 sessions") << 1000 << 300 << 1000.0;
        QTest::addRow("10,000 sessions") << 10000 << 40 << 0.0;
    }
    void perSample()
    {
        QFETCH(int, sessions);
        QFETCH(int, samples);
        QFETCH(double, goalUs);
        qInfo("%s", bench::buildType());
        const auto result = asPgResult(activityRows(sessions));
        SeriesSet set;
        qint64 parseNs = 0, summarizeNs = 0, recordNs = 0;
        qint64 t =
            0; // thread CPU time: this is "client CPU per sample", and wall time lies on a busy machine
        for (int i = 0; i < samples; ++i) {
            TargetSnapshot snap;
            snap.ok = true;
            snap.sampledAtMs = qint64((T0 + i) * 1000);
            PostgresSample pg;
            pg.maxConnections = 12000;
            t = bench::threadCpuNs();
            pg.sessions = parsers::parsePgActivity(db::toTable(result.get()), &pg.poolscopeSessions);
            parseNs += bench::threadCpuNs() - t;
            t = bench::threadCpuNs();
            analysis::summarizeSessions(pg); // countStates + lock waiters + groups
            summarizeNs += bench::threadCpuNs() - t;
            snap.postgres = std::move(pg);
            t = bench::threadCpuNs();
            recordSnapshot(set, snap);
            recordNs += bench::threadCpuNs() - t;
        }
        QCOMPARE(set.find(series::sessionsTotal())->lastValue(), std::optional<double>(sessions));
        const double parseUs = double(parseNs) / samples / 1000;
        const double summarizeUs = double(summarizeNs) / samples / 1000;
        const double recordUs = double(recordNs) / samples / 1000;
        const double totalUs = parseUs + summarizeUs + recordUs;
        qInfo("%6d sessions: %8.1f µs CPU per sample = parse %.1f + summarize %.1f + record %.1f (%d series, "
              "%d "
              "samples)",
              sessions, totalUs, parseUs, summarizeUs, recordUs, set.size(), samples);
        if (goalUs > 0 && totalUs > goalUs)
            qWarning("above the %.0f µs goal", goalUs);
    }

    // Between whole reads: every session idle since before the cutoff comes as a short row (pid, whole =
    // false, the horizon ages); the cache keeps the sessions, the sampler the summary.
    void perSampleShortRows_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addColumn<int>("samples");
        QTest::addRow("1,000 sessions") << 1000 << 1000;
        QTest::addRow("10,000 sessions") << 10000 << 200;
    }
    void perSampleShortRows()
    {
        QFETCH(int, sessions);
        QFETCH(int, samples);
        qInfo("%s", bench::buildType());
        const ResultTable whole = activityRows(sessions);
        ResultTable wholeRows;
        wholeRows.columns = whole.columns + QStringList{QStringLiteral("whole")};
        ResultTable shortRows;
        shortRows.columns = wholeRows.columns;
        const Cell null;
        for (int r = 0; r < whole.rowCount(); ++r) {
            QList<Cell> cells;
            QList<Cell> brief;
            for (int c = 0; c < int(whole.columns.size()); ++c) {
                const auto v = whole.raw(r, c);
                cells.append(v ? Cell(QString::fromUtf8(v->data(), v->size())) : null);
                const bool kept = whole.columns[c] == QLatin1String("pid") ||
                                  whole.columns[c].startsWith(QLatin1String("backend_x"));
                brief.append(kept ? cells.last() : null);
            }
            cells.append(QStringLiteral("t"));
            brief.append(QStringLiteral("f"));
            wholeRows.appendRow(cells);
            shortRows.appendRow(brief);
        }
        const auto wholeResult = asPgResult(wholeRows);
        const auto shortResult = asPgResult(shortRows);
        ActivityCache cache;
        QVERIFY(cache.merge(db::toTable(wholeResult.get())));
        qint64 mergeNs = 0;
        for (int i = 0; i < samples; ++i) {
            const qint64 t = bench::threadCpuNs();
            QVERIFY(cache.merge(db::toTable(shortResult.get())));
            PostgresSample pg;
            pg.sessions = cache.sessions();
            mergeNs += bench::threadCpuNs() - t;
        }
        QVERIFY(!cache.changed());
        QCOMPARE(int(cache.sessions().size()), sessions);
        qInfo("%6d sessions, short rows: %8.1f µs CPU per sample (toTable + merge, nothing changed; %d "
              "samples)",
              sessions, double(mergeNs) / samples / 1000, samples);
    }
};

QTEST_GUILESS_MAIN(BenchSampleCpu)
#include "bench_sample_cpu.moc"
