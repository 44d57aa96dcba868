// ActivityCache: pg_stat_activity rows merged into the previous poll's sessions, whole rows for what
// changed and short rows (pid and horizon ages) for the rest; nothing copied when nothing changed.
#include "core/activitycache.h"
#include "core/postgresparsers.h"
#include "support/fixture.h"

#include <QTest>

using namespace poolscope;
using poolscope::test::fixture;

namespace {

const QStringList Columns = {QStringLiteral("pid"),
                             QStringLiteral("whole"),
                             QStringLiteral("datname"),
                             QStringLiteral("usename"),
                             QStringLiteral("application_name"),
                             QStringLiteral("backend_type"),
                             QStringLiteral("state"),
                             QStringLiteral("state_change"),
                             QStringLiteral("backend_xmin_age"),
                             QStringLiteral("backend_xid_age"),
                             QStringLiteral("poolscope"),
                             QStringLiteral("query")};

struct Row
{
    qint64 pid;
    bool whole = true;
    const char *state = "idle";
    double stateChange = 1'700'000'000;
    std::optional<qint64> xmin;
    const char *app = "web";
};

ResultTable table(const QList<Row> &rows)
{
    ResultTable t;
    t.columns = Columns;
    const Cell null;
    for (const Row &r : rows) {
        auto whole = [&](const QString &v) {
            return r.whole ? Cell(v) : null;
        };
        t.appendRow(QList<Cell>{
            QString::number(r.pid), QString::fromLatin1(r.whole ? "t" : "f"), whole(QStringLiteral("app")),
            whole(QStringLiteral("app")), whole(QString::fromLatin1(r.app)),
            whole(QStringLiteral("client backend")), whole(QString::fromLatin1(r.state)),
            whole(QString::number(r.stateChange, 'f', 6)), r.xmin ? Cell(QString::number(*r.xmin)) : null,
            null, whole(QString::fromLatin1(qstrcmp(r.app, "poolscope") == 0 ? "t" : "f")),
            whole(QStringLiteral("SELECT 1"))});
    }
    return t;
}

// As pg_activity.sql sends them: `rows`, the first (short) one carrying the short sessions' arrays (a null
// string: left out, as when their hash `key` is the one the sampler passed) and their hash.
ResultTable withArrays(const QList<Row> &rows, const QString &shortPids, const QString &aged,
                       const QString &xmin, const QString &xid, std::optional<qint64> key = std::nullopt)
{
    ResultTable t = table(rows);
    ResultTable out;
    out.columns = t.columns + QStringList{QStringLiteral("short_pids"), QStringLiteral("aged_pids"),
                                          QStringLiteral("aged_xmin_ages"), QStringLiteral("aged_xid_ages"),
                                          QStringLiteral("short_key")};
    for (int r = 0; r < t.rowCount(); ++r) {
        QList<Cell> cells;
        for (int c = 0; c < int(t.columns.size()); ++c) {
            const auto v = t.raw(r, c);
            cells.append(v ? Cell(QString::fromUtf8(v->data(), v->size())) : Cell());
        }
        const bool carrier = r == 0 && !rows[0].whole;
        for (const QString &a : {shortPids, aged, xmin, xid})
            cells.append(carrier && !a.isNull() ? Cell(a) : Cell());
        cells.append(carrier && key ? Cell(QString::number(*key)) : Cell());
        out.appendRow(cells);
    }
    return out;
}

QList<qint64> pids(const QList<Session> &sessions)
{
    QList<qint64> out;
    for (const Session &s : sessions)
        out.append(s.pid);
    return out;
}

} // namespace

class TestActivityCache : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wholeRowsAsParsed()
    {
        // Captured rows have no `whole` column: every row is whole, the sessions those parsePgActivity reads.
        const ResultTable captured = fixture(QStringLiteral("postgres/pg_activity_15.txt"));
        int own = 0;
        QList<Session> parsed = parsers::parsePgActivity(captured, &own);
        std::stable_sort(parsed.begin(), parsed.end(),
                         [](const Session &a, const Session &b) { return a.pid < b.pid; });
        ActivityCache cache;
        QVERIFY(cache.merge(captured));
        QCOMPARE(pids(cache.sessions()), pids(parsed));
        for (qsizetype i = 0; i < parsed.size(); ++i)
            QVERIFY(sameSession(cache.sessions().at(i), parsed.at(i)));
        QCOMPARE(cache.poolscopeSessions(), own);
        QVERIFY(cache.changed());
        // The same rows again: nothing changed, nothing copied.
        const Session *data = cache.sessions().constData();
        QVERIFY(cache.merge(captured));
        QVERIFY(!cache.changed());
        QCOMPARE(cache.sessions().constData(), data);
    }

    void shortRowsKeepTheCachedSession()
    {
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {20, true, "idle in transaction"}, {30}})));
        QCOMPARE(cache.wholeRows(), 3);
        const QList<Session> first = cache.sessions();
        // All short, nothing moved: the very same list.
        QVERIFY(cache.merge(table({{10, false}, {20, false}, {30, false}})));
        QVERIFY(!cache.changed());
        QCOMPARE(cache.wholeRows(), 0);
        QCOMPARE(cache.sessions().constData(), first.constData());
        // A horizon age moved on a short row: only that field changes, the rest is the cached session.
        QVERIFY(cache.merge(table({{10, false}, {20, false, "", 0, 42}, {30, false}})));
        QVERIFY(cache.changed());
        QCOMPARE(cache.sessions().at(1).backendXminAge, std::optional<qint64>(42));
        QCOMPARE(*cache.sessions().at(1).state, QStringLiteral("idle in transaction"));
        QCOMPARE(cache.sessions().at(1).applicationName, QStringLiteral("web"));
        QVERIFY(sameSession(cache.sessions().at(0), first.at(0)));
    }

    void sessionsStartChangeAndEnd()
    {
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {20}, {30}})));
        // 20 ended, 25 started, 30 went active (a whole row), 40 started.
        QVERIFY(cache.merge(table(
            {{10, false}, {25, true, "idle", 1'700'000'100}, {30, true, "active", 1'700'000'200}, {40}})));
        QVERIFY(cache.changed());
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 25, 30, 40}));
        QCOMPARE(*cache.sessions().at(2).state, QStringLiteral("active"));
        QCOMPARE(cache.sessions().at(2).stateChange, std::optional<double>(1'700'000'200));
        // Everything ended.
        QVERIFY(cache.merge(table({})));
        QVERIFY(cache.changed());
        QVERIFY(cache.sessions().isEmpty());
    }

    void wholeRowEqualToTheCachedOneChangesNothing()
    {
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {20}})));
        const Session *data = cache.sessions().constData();
        QVERIFY(cache.merge(table({{10}, {20, false}})));
        QVERIFY(!cache.changed());
        QCOMPARE(cache.sessions().constData(), data);
    }

    void ownConnectionsAreCountedNotListed()
    {
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {15, true, "active", 1'700'000'000, {}, "poolscope"}, {20}})));
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20}));
        QCOMPARE(cache.poolscopeSessions(), 1);
        // Short, it is still ours.
        QVERIFY(cache.merge(table({{10, false}, {15, false}, {20, false}})));
        QCOMPARE(cache.poolscopeSessions(), 1);
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20}));
        QVERIFY(cache.merge(table({{10, false}, {20, false}})));
        QCOMPARE(cache.poolscopeSessions(), 0);
    }

    void shortSessionsAsArrays()
    {
        // As pg_activity.sql sends them: whole rows, and the first short session's row carrying every short
        // pid, and the horizon ages of those that have one, as arrays.
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {20}, {30}, {40}})));
        const QList<Session> first = cache.sessions();
        // Nothing changed: the same list.
        QVERIFY(cache.merge(withArrays({{10, false}}, "{10,20,30,40}", "{}", "{}", "{}")));
        QVERIFY(!cache.changed());
        QCOMPARE(cache.wholeRows(), 0);
        QCOMPARE(cache.sessions().constData(), first.constData());
        // 20 took a snapshot, 30 went active (whole), 40 ended, 50 started.
        QVERIFY(cache.merge(
            withArrays({{10, false}, {30, true, "active"}, {50}}, "{10,20}", "{20}", "{7}", "{NULL}")));
        QVERIFY(cache.changed());
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20, 30, 50}));
        QCOMPARE(cache.sessions().at(1).backendXminAge, std::optional<qint64>(7));
        QCOMPARE(cache.sessions().at(1).backendXidAge, std::nullopt);
        QCOMPARE(*cache.sessions().at(2).state, QStringLiteral("active"));
        QVERIFY(sameSession(cache.sessions().at(0), first.at(0)));
        // A short pid the cache never saw whole, and a malformed array: ask for every row.
        QVERIFY(!cache.merge(withArrays({{10, false}}, "{10,15}", "{}", "{}", "{}")));
        QVERIFY(!cache.merge(withArrays({{10, false}}, "{10,x}", "{}", "{}", "{}")));
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20, 30, 50}));
    }

    void shortArraysLeftOutWhenTheirKeyMatches()
    {
        // The server leaves the arrays out when their hash is the one the sampler passed (the last merged).
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {20}, {30}})));
        QCOMPARE(cache.shortKey(), std::nullopt);
        QVERIFY(cache.merge(withArrays({{10, false}}, "{10,20,30}", "{20}", "{5}", "{NULL}", 77)));
        QCOMPARE(cache.shortKey(), std::optional<qint64>(77));
        const QList<Session> merged = cache.sessions();
        QCOMPARE(merged.at(1).backendXminAge, std::optional<qint64>(5));
        // The same key, no arrays: the same sessions, nothing copied; a whole row still changes its session.
        QVERIFY(cache.merge(withArrays({{10, false}}, {}, {}, {}, {}, 77)));
        QVERIFY(!cache.changed());
        QCOMPARE(cache.sessions().constData(), merged.constData());
        QVERIFY(cache.merge(withArrays({{10, false}, {40}}, {}, {}, {}, {}, 77)));
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20, 30, 40}));
        QCOMPARE(cache.sessions().at(1).backendXminAge, std::optional<qint64>(5));
        // 40 again as it was: nothing changed; then in another state; then gone (ended).
        const QList<Session> withForty = cache.sessions();
        QVERIFY(cache.merge(withArrays({{10, false}, {40}}, {}, {}, {}, {}, 77)));
        QVERIFY(!cache.changed());
        QCOMPARE(cache.sessions().constData(), withForty.constData());
        QVERIFY(cache.merge(withArrays({{10, false}, {40, true, "active"}}, {}, {}, {}, {}, 77)));
        QVERIFY(cache.changed());
        QCOMPARE(*cache.sessions().at(3).state, QStringLiteral("active"));
        QVERIFY(cache.merge(withArrays({{10, false}}, {}, {}, {}, {}, 77)));
        QVERIFY(cache.changed());
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20, 30}));
        // PoolScope's own connection (whole: it runs the query) comes and goes without being listed.
        QVERIFY(cache.merge(withArrays({{10, false}, {50, true, "active", 1'700'000'000, {}, "poolscope"}},
                                       {}, {}, {}, {}, 77)));
        QCOMPARE(cache.poolscopeSessions(), 1);
        QVERIFY(!cache.changed());
        QVERIFY(cache.merge(withArrays({{10, false}}, {}, {}, {}, {}, 77)));
        QCOMPARE(cache.poolscopeSessions(), 0);
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 20, 30}));
        // A key without arrays that is not the last one merged: ask for every row; the cache is unchanged.
        const QList<Session> before = cache.sessions();
        QVERIFY(!cache.merge(withArrays({{10, false}}, {}, {}, {}, {}, 78)));
        QCOMPARE(cache.sessions().constData(), before.constData());
        QCOMPARE(cache.shortKey(), std::optional<qint64>(77));
        // New arrays with a new key replace the old ones; a reset forgets the key.
        QVERIFY(cache.merge(withArrays({{10, false}}, "{10,30}", "{}", "{}", "{}", 79)));
        QCOMPARE(pids(cache.sessions()), (QList<qint64>{10, 30}));
        QCOMPARE(cache.shortKey(), std::optional<qint64>(79));
        cache.reset();
        QCOMPARE(cache.shortKey(), std::nullopt);
    }

    void unknownShortRowAsksForEveryRow()
    {
        ActivityCache cache;
        QVERIFY(cache.merge(table({{10}, {20}})));
        const QList<Session> before = cache.sessions();
        // A short row for a session never seen whole (the cache was reset, or rows raced a reconnect).
        QVERIFY(!cache.merge(table({{10, false}, {15, false}, {20, false}})));
        QCOMPARE(cache.sessions().constData(), before.constData());
        // Out of pid order.
        QVERIFY(!cache.merge(table({{20, false}, {10, false}})));
        cache.reset();
        QVERIFY(cache.isEmpty());
        QVERIFY(!cache.merge(table({{10, false}})));
    }
};

QTEST_GUILESS_MAIN(TestActivityCache)
#include "tst_activitycache.moc"
