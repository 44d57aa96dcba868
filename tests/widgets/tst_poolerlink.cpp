// Linking a PgBouncer target to the PostgreSQL target behind it, on a real sandbox (PostgreSQL 15 +
// PgBouncer 1.18): two clients held idle in transaction through PgBouncer as linked-1 and linked-2; the
// PostgreSQL target's Sessions tab says, for each of their backends, which pool and which client hold it.
#include "core/recorder.h"
#include "core/targetconfig.h"
#include "models/sessionsfiltermodel.h"
#include "models/sessionsmodel.h"
#include "support/sandboxtestcase.h"
#include "widgets/mainwindow.h"
#include "widgets/postgrespage.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QLineEdit>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using models::SessionsModel;
using widgets::MainWindow;
using widgets::SessionsPage;

namespace {

constexpr int IntervalMs = 250;

struct ShownRow
{
    qint64 pid = 0;
    QString state;
    QString application;
    QString pool;
    QString poolerClient;
};

// The rows the Sessions tab shows (through its filter), as the user reads them.
QList<ShownRow> shownRows(const SessionsPage *page)
{
    QList<ShownRow> rows;
    if (!page)
        return rows;
    const QAbstractItemModel *m = page->tableView()->model();
    for (int r = 0; r < m->rowCount(); ++r) {
        ShownRow row;
        row.pid = m->index(r, SessionsModel::Pid).data(SessionsModel::PidRole).toLongLong();
        row.state = m->index(r, SessionsModel::State).data().toString();
        row.application = m->index(r, SessionsModel::Application).data().toString();
        row.pool = m->index(r, SessionsModel::Pool).data().toString();
        row.poolerClient = m->index(r, SessionsModel::PoolerClient).data().toString();
        rows.append(row);
    }
    return rows;
}

// Rows whose pooler client's application name is `app` (the client text is "addr:port app [id N]").
QList<ShownRow> heldBy(const SessionsPage *page, const QString &app)
{
    QList<ShownRow> out;
    for (const ShownRow &r : shownRows(page)) {
        if (r.poolerClient.split(QLatin1Char(' ')).contains(app))
            out.append(r);
    }
    return out;
}

QString describeRows(const SessionsPage *page)
{
    QStringList lines;
    for (const ShownRow &r : shownRows(page))
        lines.append(QStringLiteral("%1 %2 app=%3 pool=%4 client=%5")
                         .arg(r.pid)
                         .arg(r.state, r.application, r.pool, r.poolerClient));
    return lines.join(QStringLiteral("\n"));
}

} // namespace

class TestPoolerLink : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_config;
    test::HeldSessions m_held1;
    test::HeldSessions m_held2;

public:
    TestPoolerLink()
    {
        // Settings (saved targets, hidden columns) go to a scratch dir, never the user's.
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
    }

private Q_SLOTS:
    void init()
    {
        // Two clients through PgBouncer, each idle in a transaction: each holds one server connection, so
        // one PostgreSQL backend idle in transaction.
        QString error;
        const QString through = m_sandbox->uris().pgbouncerApp;
        if (m_held1.size() == 0)
            QVERIFY2(m_held1.open(through, 1, "linked-1", {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
        if (m_held2.size() == 0)
            QVERIFY2(m_held2.open(through, 1, "linked-2", {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
    }

    // Without a pooler linked, the columns are empty and the detail pane says how to link one; once the
    // PgBouncer console is added it links by itself (its SHOW DATABASES points at the server) and the held
    // backends show their pool and client.
    void automaticLinkShowsWhoHoldsEachBackend()
    {
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QCOMPARE(window.addTarget(m_sandbox->uris().monitor, IntervalMs), 0);
        QTRY_VERIFY_WITH_TIMEOUT(window.pageFor(0)->sessions() != nullptr, 15000);
        SessionsPage *sessions = window.pageFor(0)->sessions();
        QVERIFY(window.pageFor(0)->showSessionsTab(true)); // a hidden tab takes samples only when shown

        // Two idle-in-transaction backends of role app; no pooler yet: nothing in Pool / Pooler client.
        const auto heldBackends = [sessions] {
            QList<ShownRow> out;
            for (const ShownRow &r : shownRows(sessions)) {
                if (r.state == QLatin1String("idle in transaction"))
                    out.append(r);
            }
            return out;
        };
        QTRY_COMPARE_WITH_TIMEOUT(heldBackends().size(), 2, 10000);
        for (const ShownRow &r : heldBackends()) {
            QVERIFY(r.pool.isEmpty());
            QVERIFY(r.poolerClient.isEmpty());
        }
        QVERIFY(window.linkedPoolers(0).isEmpty());
        QVERIFY(window.pageFor(0)->linkText().isEmpty());
        QVERIFY(sessions->selectPid(heldBackends().first().pid));
        QVERIFY2(sessions->detailText().contains(QStringLiteral("No pooler is linked")),
                 qPrintable(sessions->detailText()));
        QVERIFY(sessions->detailText().contains(QStringLiteral("Pooler in front of")));

        QCOMPARE(window.addTarget(m_sandbox->uris().pgbouncerMonitor, IntervalMs), 1);
        QTRY_COMPARE_WITH_TIMEOUT(window.linkedPoolers(0), QList<int>{1}, 15000);
        QTRY_VERIFY(window.pageFor(0)->linkText().contains(QStringLiteral("Linked pooler")));
        QVERIFY2(window.pageFor(0)->linkText().contains(QStringLiteral("(automatic)")),
                 qPrintable(window.pageFor(0)->linkText()));
        QVERIFY(window.pageFor(1)->linkText().contains(QStringLiteral("In front of")));
        // The PostgreSQL TPS chart adds what the pooler passed to this server (SHOW STATS, exact).
        auto *postgres = qobject_cast<widgets::PostgresPage *>(window.pageFor(0)->content());
        QVERIFY(postgres);
        QVERIFY2(
            postgres->tpsChart()->seriesLabel(series::poolerTps()).startsWith(QStringLiteral("through ")),
            qPrintable(postgres->tpsChart()->seriesLabel(series::poolerTps())));
        QTRY_VERIFY_WITH_TIMEOUT(window.seriesFor(0)->find(series::poolerTps()) &&
                                     window.seriesFor(0)->find(series::poolerTps())->size() >= 2,
                                 10000);

        // Within a few CLIENTS/SERVERS rounds (every 5 s): each held backend, its pool and its client.
        QTRY_VERIFY2_WITH_TIMEOUT(heldBy(sessions, QStringLiteral("linked-1")).size() == 1 &&
                                      heldBy(sessions, QStringLiteral("linked-2")).size() == 1,
                                  qPrintable(describeRows(sessions)), 20000);
        QSet<qint64> pids;
        for (const QString &app : {QStringLiteral("linked-1"), QStringLiteral("linked-2")}) {
            const ShownRow r = heldBy(sessions, app).first();
            QCOMPARE(r.pool, QStringLiteral("app/app"));
            QCOMPARE(r.state, QStringLiteral("idle in transaction"));
            // PgBouncer's client address is the test's loopback connection: "127.0.0.1:<port> linked-1".
            QVERIFY2(r.poolerClient.startsWith(QStringLiteral("127.0.0.1:")), qPrintable(r.poolerClient));
            pids.insert(r.pid);
        }
        QCOMPARE(pids.size(), 2); // two different backends
        // Every backend with a pooler client in the table is a server connection of PgBouncer's app pool.
        for (const ShownRow &r : shownRows(sessions)) {
            if (!r.poolerClient.isEmpty())
                QCOMPARE(r.pool, QStringLiteral("app/app"));
        }

        // The detail pane of one of them: pool, client, application, states and how old the round is.
        const qint64 pid1 = heldBy(sessions, QStringLiteral("linked-1")).first().pid;
        QVERIFY(sessions->selectPid(pid1));
        const QString detail = sessions->detailText();
        for (const QString &expected :
             {QStringLiteral("Pool"), QStringLiteral("app/app"), QStringLiteral("linked-1"),
              QStringLiteral("127.0.0.1:"), QStringLiteral("Client state"), QStringLiteral("Server state"),
              QStringLiteral("ago"), QStringLiteral("refreshed every 5 s")})
            QVERIFY2(detail.contains(expected), qPrintable(expected + QStringLiteral(" not in:\n") + detail));
        QVERIFY(!detail.contains(QStringLiteral("linked-2")));

        // Typing the client's application name finds exactly the backend it holds.
        sessions->filterEdit()->setText(QStringLiteral("linked-1"));
        QList<ShownRow> filtered = shownRows(sessions);
        QCOMPARE(filtered.size(), 1);
        QCOMPARE(filtered.first().pid, pid1);
        QVERIFY(filtered.first().poolerClient.contains(QStringLiteral("linked-1")));
        sessions->filterEdit()->clear();

        // The pooler goes away: the link and the chain go with it, and its traffic leaves the TPS chart.
        window.removeTarget(1);
        QVERIFY(window.linkedPoolers(0).isEmpty());
        QVERIFY(postgres->tpsChart()->seriesLabel(series::poolerTps()).isEmpty());
        QVERIFY(window.pageFor(0)->linkText().isEmpty());
        QVERIFY2(heldBy(sessions, QStringLiteral("linked-1")).isEmpty(), qPrintable(describeRows(sessions)));
    }

    // A saved pooler target linked by hand: the link says "manual" and the chain shows as with the automatic
    // one.
    void manualLinkFromSavedTargets()
    {
        MainWindow window;
        window.resize(1400, 900);
        TargetConfig pg;
        pg.id = TargetConfig::newId();
        pg.name = QStringLiteral("sandbox-pg");
        pg.conninfo = m_sandbox->uris().monitor;
        pg.intervalMs = IntervalMs;
        TargetConfig bouncer;
        bouncer.id = TargetConfig::newId();
        bouncer.name = QStringLiteral("sandbox-bouncer");
        bouncer.conninfo = m_sandbox->uris().pgbouncerMonitor;
        bouncer.intervalMs = IntervalMs;
        bouncer.linkedTarget = pg.id;
        window.applyTargetConfigs({pg, bouncer}, {});
        QCOMPARE(window.targetCount(), 2);

        // Saved with the link.
        const QList<TargetConfig> saved = loadTargets(*openSettings());
        QCOMPARE(saved.size(), 2);
        QCOMPARE(saved[1].linkedTarget, pg.id);

        QTRY_COMPARE_WITH_TIMEOUT(window.linkedPoolers(0), QList<int>{1}, 15000);
        QTRY_VERIFY(window.pageFor(0)->linkText().contains(QStringLiteral("sandbox-bouncer")));
        QVERIFY2(window.pageFor(0)->linkText().contains(QStringLiteral("(manual)")),
                 qPrintable(window.pageFor(0)->linkText()));
        QTRY_VERIFY_WITH_TIMEOUT(window.pageFor(0)->sessions() != nullptr, 15000);
        SessionsPage *sessions = window.pageFor(0)->sessions();
        QTRY_VERIFY2_WITH_TIMEOUT(heldBy(sessions, QStringLiteral("linked-2")).size() == 1,
                                  qPrintable(describeRows(sessions)), 20000);
        QCOMPARE(heldBy(sessions, QStringLiteral("linked-2")).first().pool, QStringLiteral("app/app"));

        // Back to automatic: still linked (SHOW DATABASES points at the server), now "automatic".
        bouncer.linkedTarget.clear();
        window.applyTargetConfigs({pg, bouncer}, {});
        QTRY_COMPARE_WITH_TIMEOUT(window.linkedPoolers(0).size(), 1, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(window.pageFor(0)->linkText().contains(QStringLiteral("(automatic)")),
                                 15000);
    }
};

QTEST_MAIN(TestPoolerLink)
#include "tst_poolerlink.moc"
