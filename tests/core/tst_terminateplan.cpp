// The termination predicate and its guards (pure): who a plan hits, who it protects and why, the result
// names and the JSON of `poolscope terminate --json`.
#include "core/terminateplan.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace poolscope;
using namespace poolscope::terminate;

namespace {

constexpr double kNow = 1700000000.0;
const QString kTarget = "monitor@127.0.0.1:5432/app";

struct RowSpec
{
    QString state = "idle in transaction";
    double age = 45;
    QString app = "web";
    QString user = "app";
    QString db = "app";
    QString client = "10.1.2.3";
    QString backendType = "client backend";
    bool superuser = false;
    bool poolscope = false;
    QString target = kTarget;
};

Candidate makeRow(const RowSpec &s, qint64 pid = 4242)
{
    Candidate c;
    c.pid = pid;
    if (!s.state.isEmpty())
        c.state = s.state;
    c.stateChange = kNow - s.age;
    c.backendStart = kNow - s.age - 100;
    c.applicationName = s.app;
    c.usename = s.user;
    c.datname = s.db;
    c.clientAddr = s.client;
    c.backendType = s.backendType;
    c.superuser = s.superuser;
    c.poolscope = s.poolscope;
    c.target = s.target;
    return c;
}

// "hit", "no match", or "excluded: <noun>" for the single row's fate under the predicate.
QString fate(const Candidate &row, const Predicate &p)
{
    CandidateSet set;
    set.target = kTarget;
    set.serverNow = kNow;
    set.rows = {row};
    const Plan plan = makePlan(set, p);
    if (plan.hits.size() == 1)
        return "hit";
    if (plan.excluded.size() == 1)
        return "excluded: " + exclusionNoun(*plan.excluded.first().excluded);
    return "no match";
}

} // namespace

Q_DECLARE_METATYPE(RowSpec)

class TestTerminatePlan : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void predicateAndGuards_data()
    {
        QTest::addColumn<RowSpec>("row");
        QTest::addColumn<QStringList>("states");
        QTest::addColumn<double>("olderThan");
        QTest::addColumn<QStringList>("filters"); // application, user, database, client
        QTest::addColumn<bool>("allowSuperuser");
        QTest::addColumn<QString>("expected");

        const QStringList def = Predicate::defaultStates();
        const QStringList none = {"", "", "", ""};
        RowSpec r;
        QTest::addRow("idle in transaction, 45 s > 30 s") << r << def << 30.0 << none << false << "hit";
        QTest::addRow("idle in transaction, 45 s, threshold 45 s (strictly older)")
            << r << def << 45.0 << none << false << "no match";
        QTest::addRow("idle in transaction, 29 s < 30 s")
            << RowSpec{.age = 29} << def << 30.0 << none << false << "no match";
        QTest::addRow("aborted, 45 s")
            << RowSpec{.state = "idle in transaction (aborted)"} << def << 30.0 << none << false << "hit";
        QTest::addRow("aborted, only plain idle in transaction asked")
            << RowSpec{.state = "idle in transaction (aborted)"} << QStringList{"idle in transaction"} << 30.0
            << none << false << "no match";
        QTest::addRow("idle, 45 s") << RowSpec{.state = "idle"} << def << 30.0 << none << false << "no match";
        QTest::addRow("active, default states")
            << RowSpec{.state = "active"} << def << 30.0 << none << false << "no match";
        QTest::addRow("active, active asked")
            << RowSpec{.state = "active"} << QStringList{"active"} << 30.0 << none << false << "hit";
        QTest::addRow("state hidden by privileges")
            << RowSpec{.state = "", .backendType = ""} << def << 0.0 << none << false << "no match";

        QTest::addRow("application exact")
            << r << def << 30.0 << QStringList{"web", "", "", ""} << false << "hit";
        QTest::addRow("application other")
            << r << def << 30.0 << QStringList{"batch", "", "", ""} << false << "no match";
        QTest::addRow("application glob") << RowSpec{.app = "web-7f9c"} << def << 30.0
                                          << QStringList{"web-*", "", "", ""} << false << "hit";
        QTest::addRow("application glob, no partial match")
            << RowSpec{.app = "my-web-1"} << def << 30.0 << QStringList{"web-*", "", "", ""} << false
            << "no match";
        QTest::addRow("application dot is literal")
            << RowSpec{.app = "webXapp"} << def << 30.0 << QStringList{"web.app", "", "", ""} << false
            << "no match";
        QTest::addRow("user") << r << def << 30.0 << QStringList{"", "app", "", ""} << false << "hit";
        QTest::addRow("user other") << r << def << 30.0 << QStringList{"", "report", "", ""} << false
                                    << "no match";
        QTest::addRow("database") << r << def << 30.0 << QStringList{"", "", "app", ""} << false << "hit";
        QTest::addRow("database other")
            << r << def << 30.0 << QStringList{"", "", "postgres", ""} << false << "no match";
        QTest::addRow("client exact")
            << r << def << 30.0 << QStringList{"", "", "", "10.1.2.3"} << false << "hit";
        QTest::addRow("client CIDR") << r << def << 30.0 << QStringList{"", "", "", "10.0.0.0/8"} << false
                                     << "hit";
        QTest::addRow("client CIDR outside")
            << r << def << 30.0 << QStringList{"", "", "", "10.2.0.0/16"} << false << "no match";
        QTest::addRow("client local, TCP session")
            << r << def << 30.0 << QStringList{"", "", "", "local"} << false << "no match";
        QTest::addRow("client local, Unix socket")
            << RowSpec{.client = ""} << def << 30.0 << QStringList{"", "", "", "local"} << false << "hit";
        QTest::addRow("client IPv6 range") << RowSpec{.client = "2001:db8::17"} << def << 30.0
                                           << QStringList{"", "", "", "2001:db8::/32"} << false << "hit";
        QTest::addRow("client IPv4-mapped IPv6") << RowSpec{.client = "::ffff:10.1.2.3"} << def << 30.0
                                                 << QStringList{"", "", "", "10.1.2.0/24"} << false << "hit";
        QTest::addRow("all filters at once")
            << r << def << 30.0 << QStringList{"web", "app", "app", "10.1.2.3"} << false << "hit";

        QTest::addRow("PoolScope's own connection")
            << RowSpec{.app = "poolscope", .poolscope = true} << def << 30.0 << none << false
            << "excluded: PoolScope connection";
        QTest::addRow("PoolScope's own, even with superuser allowed")
            << RowSpec{.superuser = true, .poolscope = true} << def << 30.0 << none << true
            << "excluded: PoolScope connection";
        QTest::addRow("autovacuum worker (active)")
            << RowSpec{.state = "active", .app = "", .user = "", .backendType = "autovacuum worker"}
            << QStringList{"active"} << 0.0 << none << false << "excluded: non-client backend";
        QTest::addRow("walsender") << RowSpec{.state = "active", .backendType = "walsender"}
                                   << QStringList{"active"} << 0.0 << none << false
                                   << "excluded: non-client backend";
        QTest::addRow("background worker") << RowSpec{.backendType = "pg_cron scheduler"} << def << 0.0
                                           << none << false << "excluded: non-client backend";
        QTest::addRow("superuser-owned, not allowed")
            << RowSpec{.user = "postgres", .superuser = true} << def << 30.0 << none << false
            << "excluded: superuser session";
        QTest::addRow("superuser-owned, allowed")
            << RowSpec{.user = "postgres", .superuser = true} << def << 30.0 << none << true << "hit";
        QTest::addRow("row of another target")
            << RowSpec{.target = "monitor@10.9.9.9:5432/app"} << def << 30.0 << none << true
            << "excluded: session of another target";
        QTest::addRow("superuser filtered out by user: not listed")
            << RowSpec{.user = "postgres", .superuser = true} << def << 30.0 << QStringList{"", "app", "", ""}
            << false << "no match";
    }
    void predicateAndGuards()
    {
        QFETCH(RowSpec, row);
        QFETCH(QStringList, states);
        QFETCH(double, olderThan);
        QFETCH(QStringList, filters);
        QFETCH(bool, allowSuperuser);
        QFETCH(QString, expected);
        Predicate p;
        p.states = states;
        p.olderThanS = olderThan;
        p.application = filters[0];
        p.user = filters[1];
        p.database = filters[2];
        p.client = filters[3];
        p.allowSuperuser = allowSuperuser;
        QCOMPARE(fate(makeRow(row), p), expected);
    }

    void invalidClientPattern_data()
    {
        QTest::addColumn<QString>("client");
        QTest::addColumn<bool>("valid");
        QTest::addRow("address") << "10.0.0.1" << true;
        QTest::addRow("CIDR") << "10.0.0.0/8" << true;
        QTest::addRow("IPv6 CIDR") << "fd00::/8" << true;
        QTest::addRow("local") << "local" << true;
        QTest::addRow("host name") << "app-server-1" << false;
        QTest::addRow("prefix too long") << "10.0.0.0/33" << false;
        QTest::addRow("prefix not a number") << "10.0.0.0/x" << false;
    }
    void invalidClientPattern()
    {
        QFETCH(QString, client);
        QFETCH(bool, valid);
        Predicate p;
        p.client = client;
        QString error;
        QCOMPARE(p.isValid(&error), valid);
        QCOMPARE(error.isEmpty(), valid);
        if (!valid) {
            // An invalid pattern never matches, so a bad filter cannot widen the plan.
            QVERIFY(!p.matches(makeRow({}), kNow));
        }
    }

    void planIsOldestFirstAndSummarisesExclusions()
    {
        CandidateSet set;
        set.target = kTarget;
        set.serverNow = kNow;
        set.rows = {makeRow({.age = 40}, 101),
                    makeRow({.age = 90}, 102),
                    makeRow({.age = 10}, 103), // too young
                    makeRow({.user = "postgres", .superuser = true}, 104),
                    makeRow({.age = 70, .user = "dba", .superuser = true}, 105),
                    makeRow({.app = "poolscope", .poolscope = true}, 106),
                    makeRow({.state = "idle"}, 107)};
        Predicate p;
        p.olderThanS = 30;
        const Plan plan = makePlan(set, p);
        QCOMPARE(plan.target, kTarget);
        QCOMPARE(plan.hits.size(), 2);
        QCOMPARE(plan.hits[0].row.pid, 102);
        QCOMPARE(plan.hits[1].row.pid, 101);
        QCOMPARE(plan.hits[0].stateAgeS, 90.0);
        QCOMPARE(plan.excluded.size(), 3);
        QCOMPARE(plan.excluded[0].row.pid, 105); // 70 s before 45 s
        QCOMPARE(plan.excludedCount(Exclusion::Superuser), 2);
        QCOMPARE(plan.excludedCount(Exclusion::OwnConnection), 1);
        QCOMPARE(plan.excludedSummary(),
                 QString("2 superuser sessions skipped, 1 PoolScope connection skipped"));

        // A dry run: the hits as "would terminate", then the superuser sessions as refused, with the reason.
        const Report dry = dryRunReport(plan);
        QVERIFY(dry.dryRun);
        QCOMPARE(dry.results.size(), 4);
        QCOMPARE(dry.results[0].outcome, Outcome::WouldTerminate);
        QCOMPARE(dry.results[2].outcome, Outcome::PermissionDenied);
        QVERIFY2(dry.results[2].reason.contains("superuser-owned session (dba)"),
                 qPrintable(dry.results[2].reason));
        QCOMPARE(dry.summary(), QString("2 would terminate, 2 permission denied"));
        QVERIFY(dry.hasProblems());
    }

    void describePredicate()
    {
        Predicate p;
        p.olderThanS = 30;
        p.application = "web";
        p.client = "10.0.0.0/8";
        QCOMPARE(p.describe(),
                 QString("idle in transaction or idle in transaction (aborted) for more than 30 s, "
                         "application web, client 10.0.0.0/8"));
    }

    void parseCandidatesFromCapturedRows()
    {
        // Captured from PostgreSQL 15 (the sandbox) with psql -A: terminate_candidates.sql.
        QFile f(QStringLiteral(POOLSCOPE_TEST_DATA "/postgres/terminate_candidates_15.txt"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QString error;
        const ResultTable table = ResultTable::fromText(QString::fromUtf8(f.readAll()), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const CandidateSet set = parseCandidates(table, kTarget, 150000);
        QCOMPARE(set.rows.size(), table.rowCount());
        QVERIFY(set.serverNow > 1.7e9);
        int clients = 0, own = 0, supers = 0, idleInTx = 0;
        for (const Candidate &c : set.rows) {
            QCOMPARE(c.target, kTarget);
            QVERIFY(c.pid > 0);
            clients += c.backendType == "client backend";
            own += c.poolscope;
            supers += c.superuser;
            idleInTx += c.state == QString("idle in transaction");
            if (c.backendType == "client backend") {
                QVERIFY(c.backendStart.has_value());
                QVERIFY(c.stateChange.has_value());
            }
        }
        QVERIFY(clients >= 1);
        QCOMPARE(own, 1); // psql ran it as application poolscope
        QVERIFY(supers >= 1);
        QCOMPARE(idleInTx, 3);
        // Non-client backends are in the read (checkpointer, walwriter...) but never hit.
        QVERIFY(clients < set.rows.size());
        Predicate p;
        p.states = {"idle in transaction", "active", "idle"};
        p.olderThanS = 0;
        p.allowSuperuser = true;
        const Plan plan = makePlan(set, p);
        for (const PlanEntry &e : plan.hits) {
            QCOMPARE(e.row.backendType, QString("client backend"));
            QVERIFY(!e.row.poolscope);
        }
        QVERIFY(plan.excludedCount(Exclusion::OwnConnection) == 1);
    }

    void jsonShape()
    {
        Report report;
        report.target = kTarget;
        report.dryRun = false;
        report.connected = true;
        PidResult r;
        r.row = makeRow({}, 777);
        r.stateAgeS = 45.12345;
        r.outcome = Outcome::Terminated;
        report.results = {r};
        const QJsonObject o = toJson(report);
        QCOMPARE(o.keys(), (QStringList{"candidates", "dry_run", "target"}));
        QCOMPARE(o["target"].toString(), kTarget);
        QCOMPARE(o["dry_run"].toBool(), false);
        const QJsonObject c = o["candidates"].toArray().at(0).toObject();
        QCOMPARE(c.keys(), (QStringList{"application_name", "pid", "reason", "result", "state", "state_age_s",
                                        "usename"}));
        QCOMPARE(c["pid"].toInteger(), 777);
        QCOMPARE(c["usename"].toString(), QString("app"));
        QCOMPARE(c["application_name"].toString(), QString("web"));
        QCOMPARE(c["state"].toString(), QString("idle in transaction"));
        QCOMPARE(c["state_age_s"].toDouble(), 45.123);
        QCOMPARE(c["result"].toString(), QString("terminated"));
        QCOMPARE(c["reason"].toString(), QString());

        const QJsonObject audit = auditFields(report);
        QCOMPARE(audit["result"].toString(), QString("1 terminated"));
        QCOMPARE(audit["pids"].toArray().at(0).toObject()["datname"].toString(), QString("app"));
    }

    void outcomeNames_data()
    {
        QTest::addColumn<int>("outcome");
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("problem");
        QTest::addRow("would terminate") << int(Outcome::WouldTerminate) << "would terminate" << false;
        QTest::addRow("terminated") << int(Outcome::Terminated) << "terminated" << false;
        QTest::addRow("already gone") << int(Outcome::AlreadyGone) << "already gone" << false;
        QTest::addRow("permission denied") << int(Outcome::PermissionDenied) << "permission denied" << true;
        QTest::addRow("failed") << int(Outcome::Failed) << "failed" << true;
        QTest::addRow("cancelled") << int(Outcome::Cancelled) << "cancelled" << false;
        QTest::addRow("skipped") << int(Outcome::Skipped) << "skipped" << false;
    }
    void outcomeNames()
    {
        QFETCH(int, outcome);
        QFETCH(QString, name);
        QFETCH(bool, problem);
        QCOMPARE(outcomeName(Outcome(outcome)), name);
        QCOMPARE(isProblem(Outcome(outcome)), problem);
    }

    void reportSummary()
    {
        Report r;
        r.target = kTarget;
        QCOMPARE(r.summary(), QString("failed: "));
        r.error.message = "connection refused";
        QCOMPARE(r.summary(), QString("failed: connection refused"));
        QVERIFY(r.hasProblems());
        r.connected = true;
        QCOMPARE(r.summary(), QString("nothing to do"));
        QVERIFY(!r.hasProblems());
        r.refused = "refused: read-only";
        QCOMPARE(r.summary(), QString("refused: read-only"));
        QVERIFY(r.hasProblems());
    }

    void stateNames_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("state");
        QTest::addRow("cli idle-in-transaction") << "idle-in-transaction"
                                                 << "idle in transaction";
        QTest::addRow("cli aborted") << "idle-in-transaction-aborted"
                                     << "idle in transaction (aborted)";
        QTest::addRow("server text") << "idle in transaction (aborted)"
                                     << "idle in transaction (aborted)";
        QTest::addRow("active, any case") << "Active"
                                          << "active";
        QTest::addRow("unknown") << "sleeping"
                                 << "";
    }
    void stateNames()
    {
        QFETCH(QString, name);
        QFETCH(QString, state);
        QCOMPARE(stateFromName(name).value_or(QString()), state);
    }

    void cancelOnlyForActive()
    {
        QVERIFY(canCancel(QString("active")));
        QVERIFY(!canCancel(QString("idle in transaction")));
        QVERIFY(!canCancel(QString("idle")));
        QVERIFY(!canCancel(std::nullopt));
    }
};

QTEST_GUILESS_MAIN(TestTerminatePlan)
#include "tst_terminateplan.moc"
