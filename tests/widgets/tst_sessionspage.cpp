// The sessions page fed with samples of a real PostgreSQL 15 sandbox (sessions held idle in transaction, a
// row lock wait) and with captured rows: what the user sees in the table, the filters, the detail pane's
// blocking tree, the transaction charts, and the actions (signals only) with read-only mode.
#include "core/postgresparsers.h"
#include "core/sessionanalysis.h"
#include "db/sampler.h"
#include "models/sessionsfiltermodel.h"
#include "models/sessionsmodel.h"
#include "support/fixture.h"
#include "support/sandboxtestcase.h"
#include "widgets/sessionspage.h"
#include "widgets/transactioncharts.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace poolscope;
using models::SessionsModel;
using widgets::SessionsPage;
using widgets::TransactionCharts;

namespace {

// Samples until `done` holds for the sample (5 s at most); the last sample either way.
template <typename Predicate> TargetSnapshot sampleUntil(db::Sampler &sampler, Predicate done)
{
    QElapsedTimer timer;
    timer.start();
    TargetSnapshot s;
    do {
        s = sampler.sample();
        if (s.ok && s.postgres && done(*s.postgres))
            return s;
        QTest::qWait(100);
    } while (timer.elapsed() < 5000);
    return s;
}

int countState(const PostgresSample &pg, const QString &app, SessionState state)
{
    int n = 0;
    for (const Session &s : pg.sessions)
        n += s.applicationName == app && s.stateClass() == state ? 1 : 0;
    return n;
}

QStringList shownColumn(const SessionsPage &page, int column)
{
    QStringList out;
    const QAbstractItemModel *m = page.tableView()->model();
    for (int r = 0; r < m->rowCount(); ++r)
        out.append(m->index(r, column).data().toString());
    return out;
}

// The value of one application's bar of one state in the applications chart, as drawn.
double drawnAppBar(const TransactionCharts &charts, const QString &app, SessionState state)
{
    QCustomPlot *plot = charts.applicationsPlot();
    auto ticker = plot->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    double key = -1;
    for (auto it = ticker->ticks().cbegin(); it != ticker->ticks().cend(); ++it) {
        if (it.value() == app)
            key = it.key();
    }
    if (key < 0)
        return -1;
    // The stacked bars in state order: plottable i is AllSessionStates[i].
    auto *bars = qobject_cast<QCPBars *>(plot->plottable(int(state)));
    const auto it = bars->data()->findBegin(key, false);
    return it != bars->data()->constEnd() && it->key == key ? it->value : 0; // no bar: none in that state
}

TargetSnapshot capturedSnapshot(qint64 atMs)
{
    PostgresSample pg;
    parsers::parsePgServer(test::fixture("postgres/pg_server_17.txt"), pg);
    pg.sessions =
        parsers::parsePgActivity(test::fixture("postgres/pg_activity_16.txt"), &pg.poolscopeSessions);
    analysis::summarizeSessions(pg);
    TargetSnapshot s;
    s.kind = TargetKind::Postgres;
    s.ok = true;
    s.serverVersion = "16.4";
    s.sampledAtMs = atMs;
    s.postgres = pg;
    return s;
}

} // namespace

class TestSessionsPage : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_config;

public:
    TestSessionsPage()
    {
        // Settings (the hidden columns) go to a scratch dir, never the user's; before any QSettings is made.
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
    }

private Q_SLOTS:
    // 3 sessions of one application idle in transaction: that application's idle-in-transaction bar, the
    // histogram, the application filter and the table show exactly them.
    void idleInTransactionShowsInTheChartsAndFilters()
    {
        QString error;
        test::HeldSessions leak;
        QVERIFY2(leak.open(m_sandbox->uris().app, 3, "tst-leak", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        test::HeldSessions calm;
        QVERIFY2(calm.open(m_sandbox->uris().app, 2, "tst-calm", {"SELECT 1"}, &error), qPrintable(error));

        db::Sampler sampler(m_sandbox->uris().monitor);
        const TargetSnapshot snapshot = sampleUntil(sampler, [](const PostgresSample &pg) {
            return countState(pg, "tst-leak", SessionState::IdleInTransaction) == 3 &&
                   countState(pg, "tst-calm", SessionState::Idle) == 2;
        });
        QVERIFY2(snapshot.ok, qPrintable(snapshot.error.message));
        const PostgresSample &pg = *snapshot.postgres;
        QCOMPARE(countState(pg, "tst-leak", SessionState::IdleInTransaction), 3);

        SessionsPage page;
        page.resize(1400, 900);
        page.updateSample(snapshot);
        page.transactionCharts()->refreshNow();

        // The table lists every client session the sampler saw (not PoolScope's own).
        QCOMPARE(page.tableView()->model()->rowCount(), int(pg.sessions.size()));
        QVERIFY(!shownColumn(page, SessionsModel::Application).contains("poolscope"));
        QVERIFY2(page.countLabel()->text().startsWith(QString("%1 sessions").arg(pg.sessions.size())),
                 qPrintable(page.countLabel()->text()));

        // The application combo offers tst-leak with its 3 sessions; choosing it filters the table.
        QComboBox *apps = page.groupCombo(GroupDimension::Application);
        const int leakItem = apps->findText("tst-leak (3)");
        QVERIFY2(leakItem > 0, qPrintable(apps->itemText(1)));
        apps->setCurrentIndex(leakItem);
        QCOMPARE(page.tableView()->model()->rowCount(), 3);
        QCOMPARE(shownColumn(page, SessionsModel::State), QStringList(3, QString("idle in transaction")));
        QVERIFY2(page.countLabel()->text().startsWith(QString("3 of %1 sessions").arg(pg.sessions.size())),
                 qPrintable(page.countLabel()->text()));

        // The state buttons show only what is chosen: "idle" alone leaves nothing of tst-leak, "idle in
        // transaction" alone all of it; clicking the chosen one again shows every state.
        page.stateButton(SessionState::Idle)->click();
        QCOMPARE(page.tableView()->model()->rowCount(), 0);
        QVERIFY(page.stateButton(SessionState::Idle)->isChecked());
        page.stateButton(SessionState::IdleInTransaction)->click();
        QCOMPARE(page.tableView()->model()->rowCount(), 3);
        QVERIFY(!page.stateButton(SessionState::Idle)->isChecked());
        QVERIFY(page.stateButton(SessionState::IdleInTransaction)->isChecked());
        page.stateButton(SessionState::IdleInTransaction)->click();
        QCOMPARE(page.tableView()->model()->rowCount(), 3);
        QVERIFY(page.onlyStates().none());
        // Ctrl+click adds a state to those shown, and takes it away again.
        page.stateButton(SessionState::Idle)->click();
        QCOMPARE(page.tableView()->model()->rowCount(), 0);
        QTest::mouseClick(page.stateButton(SessionState::IdleInTransaction), Qt::LeftButton,
                          Qt::ControlModifier);
        QCOMPARE(page.tableView()->model()->rowCount(), 3);
        QVERIFY(page.stateButton(SessionState::Idle)->isChecked());
        QVERIFY(page.stateButton(SessionState::IdleInTransaction)->isChecked());
        QTest::mouseClick(page.stateButton(SessionState::Idle), Qt::LeftButton, Qt::ControlModifier);
        QVERIFY(!page.stateButton(SessionState::Idle)->isChecked());
        QCOMPARE(page.onlyStates().count(), size_t(1));
        page.clearFilters();
        QVERIFY(page.onlyStates().none());

        // Text filter: the idle tst-calm sessions by name, with the application filter cleared.
        apps->setCurrentIndex(0);
        QTest::keyClicks(page.filterEdit(), "tst-calm");
        QCOMPARE(page.tableView()->model()->rowCount(), 2);
        page.filterEdit()->clear();

        // Minimum state age: nobody has been in the sandbox's states for an hour.
        page.minimumAgeSpin()->setValue(3600);
        QCOMPARE(page.tableView()->model()->rowCount(), 0);
        page.minimumAgeSpin()->setValue(0);
        QCOMPARE(page.tableView()->model()->rowCount(), int(pg.sessions.size()));

        // Charts: tst-leak's idle-in-transaction bar is 3 and it has nothing else; tst-calm's idle bar is 2.
        const TransactionCharts &charts = *page.transactionCharts();
        QCOMPARE(drawnAppBar(charts, "tst-leak", SessionState::IdleInTransaction), 3.0);
        QCOMPARE(drawnAppBar(charts, "tst-leak", SessionState::Idle), 0.0);
        QCOMPARE(drawnAppBar(charts, "tst-calm", SessionState::Idle), 2.0);
        QCOMPARE(drawnAppBar(charts, "tst-calm", SessionState::IdleInTransaction), 0.0);
        // The histogram counts every idle-in-transaction session of the sample, the three just opened among
        // them, in the first buckets (seconds old).
        const int idleInTransaction = pg.counts[SessionState::IdleInTransaction];
        QVERIFY(idleInTransaction >= 3);
        const TransactionCharts::Histogram &h = charts.currentHistogram();
        QCOMPARE(h.total(), idleInTransaction + pg.counts[SessionState::IdleInTransactionAborted]);
        QVERIFY(h.idle[0] + h.idle[1] + h.idle[2] >= 3);
        double drawn = 0; // the idle-in-transaction bars, as drawn
        auto *idleBars = qobject_cast<QCPBars *>(charts.histogramPlot()->plottable(0));
        for (auto it = idleBars->data()->constBegin(); it != idleBars->data()->constEnd(); ++it)
            drawn += it->value;
        QCOMPARE(drawn, double(idleInTransaction));
        QCOMPARE(charts.history().size(), 1);
        QVERIFY(charts.history().last().xactAge > 0); // tst-leak's transactions are open
    }

    // A holds a row lock idle in transaction, B waits for it: B's detail names A as its blocker and root
    // blocker; A's detail says it is the root and B waits behind it.
    void lockWaitBlockingTree()
    {
        QString error;
        test::HeldSessions setup;
        QVERIFY2(setup.open(m_sandbox->uris().app, 1, "tst-setup",
                            {"CREATE TABLE IF NOT EXISTS page_lock (id int PRIMARY KEY, v int NOT NULL)",
                             "INSERT INTO page_lock VALUES (1, 0) ON CONFLICT DO NOTHING"},
                            &error),
                 qPrintable(error));
        test::HeldSessions a;
        QVERIFY2(a.open(m_sandbox->uris().app, 1, "tst-holder",
                        {"BEGIN", "UPDATE page_lock SET v = v + 1 WHERE id = 1"}, &error),
                 qPrintable(error));
        test::HeldSessions b;
        QVERIFY2(b.open(m_sandbox->uris().app, 1, "tst-waiter", {}, &error), qPrintable(error));
        QVERIFY(PQsendQuery(b.at(0), "UPDATE page_lock SET v = v + 1 WHERE id = 1"));
        const qint64 pidA = PQbackendPID(a.at(0));
        const qint64 pidB = PQbackendPID(b.at(0));

        db::Sampler sampler(m_sandbox->uris().monitor);
        const TargetSnapshot snapshot =
            sampleUntil(sampler, [](const PostgresSample &pg) { return pg.lockWaiting >= 1; });
        QVERIFY(snapshot.ok && snapshot.postgres->lockWaiting == 1);

        SessionsPage page;
        page.resize(1400, 900);
        page.updateSample(snapshot);

        QVERIFY(page.selectPid(pidB));
        const QString waiter = page.detailText();
        QVERIFY2(waiter.contains(QString("Blocked by: %1 (tst-holder, idle in transaction").arg(pidA)),
                 qPrintable(waiter));
        QVERIFY2(waiter.contains(QString("Root blocker: %1 (tst-holder").arg(pidA)), qPrintable(waiter));
        QVERIFY2(waiter.contains("Lock: transactionid") || waiter.contains("Lock: tuple"),
                 qPrintable(waiter));
        QVERIFY2(waiter.contains("UPDATE page_lock SET v = v + 1 WHERE id = 1"), qPrintable(waiter));
        QVERIFY2(waiter.contains("Link a PgBouncer target to see which client holds this backend."),
                 qPrintable(waiter));
        // The table's blocked-by cell says the same.
        const QAbstractItemModel *m = page.tableView()->model();
        const QModelIndex current = page.tableView()->currentIndex();
        QCOMPARE(m->index(current.row(), SessionsModel::BlockedBy).data().toString(), QString::number(pidA));

        QVERIFY(page.selectPid(pidA));
        const QString holder = page.detailText();
        QVERIFY2(holder.contains("Root blocker: this session"), qPrintable(holder));
        QVERIFY2(holder.contains("Blocks: 1 session waits for it"), qPrintable(holder));
        QVERIFY2(holder.contains(QString("└ %1 (tst-waiter, active").arg(pidB)), qPrintable(holder));
        QVERIFY2(holder.contains("Holds the horizon back by"), qPrintable(holder)); // A wrote: its xid
        QCOMPARE(page.selectedPids(), QList<qint64>{pidA});

        // Release: B goes through; A's detail no longer shows a tree.
        DbError e;
        QVERIFY(db::exec(a.at(0), "ROLLBACK", &e));
        while (PGresult *r = PQgetResult(b.at(0)))
            PQclear(r);
        page.updateSample(sampleUntil(sampler, [](const PostgresSample &pg) { return pg.lockWaiting == 0; }));
        QVERIFY2(page.detailText().contains("Not waiting for a lock, and no session waits for this one."),
                 qPrintable(page.detailText()));
        QCOMPARE(page.selectedPids(), QList<qint64>{pidA}); // still selected after the merge
    }

    // Live samples while sessions come and go: the selection and the current row stay on the same session,
    // and the model is never reset.
    void selectionSurvivesLiveSamples()
    {
        QString error;
        test::HeldSessions keep, keepChosen;
        QVERIFY2(keep.open(m_sandbox->uris().app, 1, "tst-keep", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY2(keepChosen.open(m_sandbox->uris().app, 1, "tst-keep", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const qint64 chosen = PQbackendPID(keepChosen.at(0));
        db::Sampler sampler(m_sandbox->uris().monitor);
        SessionsPage page;
        page.resize(1400, 900);
        page.updateSample(sampleUntil(sampler, [](const PostgresSample &pg) {
            return countState(pg, "tst-keep", SessionState::IdleInTransaction) == 2;
        }));
        QVERIFY(page.selectPid(chosen));
        QSignalSpy resets(page.sessionsModel(), &QAbstractItemModel::modelReset);

        for (int round = 0; round < 3; ++round) {
            test::HeldSessions churn;
            QVERIFY2(churn.open(m_sandbox->uris().app, 2 + round, "tst-churn", {"SELECT 1"}, &error),
                     qPrintable(error));
            page.updateSample(sampleUntil(sampler, [round](const PostgresSample &pg) {
                return countState(pg, "tst-churn", SessionState::Idle) == 2 + round;
            }));
            QCOMPARE(page.selectedPids(), QList<qint64>{chosen});
            churn.closeAll();
            page.updateSample(sampleUntil(sampler, [](const PostgresSample &pg) {
                return countState(pg, "tst-churn", SessionState::Idle) == 0;
            }));
            QCOMPARE(page.selectedPids(), QList<qint64>{chosen});
            QCOMPARE(page.tableView()->currentIndex().data(SessionsModel::PidRole).toLongLong(), chosen);
        }
        QCOMPARE(resets.size(), 0);
        QVERIFY2(page.detailText().startsWith(QString("pid %1 idle in transaction").arg(chosen)),
                 qPrintable(page.detailText().left(80)));

        // The chosen session ends: the detail pane says so instead of switching to a neighbour.
        keepChosen.closeAll();
        const TargetSnapshot gone = sampleUntil(sampler, [](const PostgresSample &pg) {
            return countState(pg, "tst-keep", SessionState::IdleInTransaction) == 1;
        });
        page.updateSample(gone);
        QVERIFY2(page.detailText().contains("This session has ended"), qPrintable(page.detailText()));
        QVERIFY2(page.detailText().startsWith(QString("pid %1").arg(chosen)),
                 qPrintable(page.detailText().left(80)));
        QVERIFY(page.selectedPids().isEmpty());
    }

    // Cancel only where it does something, terminate on the selection, keys, and read-only mode.
    void actionsAndReadOnly()
    {
        SessionsPage page;
        page.resize(1400, 900);
        page.show();
        QApplication::setActiveWindow(&page);
        QVERIFY(QTest::qWaitForWindowActive(&page));
        page.updateSample(capturedSnapshot(QDateTime::currentMSecsSinceEpoch()));
        QSignalSpy cancels(&page, &SessionsPage::cancelRequested);
        QSignalSpy terminates(&page, &SessionsPage::terminateRequested);
        QSignalSpy bulk(&page, &SessionsPage::bulkTerminateRequested);

        // Nothing selected: only the bulk action.
        QVERIFY(!page.cancelAction()->isEnabled());
        QVERIFY(!page.terminateAction()->isEnabled());
        QVERIFY(page.bulkTerminateAction()->isEnabled());

        // Two active sessions: cancel and terminate.
        QVERIFY(page.selectPid(504));
        const QModelIndex other = page.tableView()->model()->index(
            [&] {
                for (int r = 0; r < page.tableView()->model()->rowCount(); ++r) {
                    if (page.tableView()->model()->index(r, 0).data(SessionsModel::PidRole).toLongLong() ==
                        505)
                        return r;
                }
                return -1;
            }(),
            0);
        page.tableView()->selectionModel()->select(other,
                                                   QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(page.selectedPids().size(), 2);
        QVERIFY(page.cancelAction()->isEnabled());
        QVERIFY(page.terminateAction()->isEnabled());
        page.tableView()->setFocus();
        QTest::keyClick(page.tableView(), Qt::Key_Period, Qt::ControlModifier);
        QCOMPARE(cancels.size(), 1);
        QList<qint64> pids = cancels.at(0).at(0).value<QList<qint64>>();
        std::sort(pids.begin(), pids.end());
        QCOMPARE(pids, (QList<qint64>{504, 505}));
        QTest::keyClick(page.tableView(), Qt::Key_Delete);
        QCOMPARE(terminates.size(), 1);
        QCOMPARE(terminates.at(0).at(0).value<QList<qint64>>().size(), 2);

        // Add the idle-in-transaction 503: cancel would do nothing for it, so it is not offered.
        QVERIFY(page.selectPid(503));
        QVERIFY(!page.cancelAction()->isEnabled());
        QVERIFY(page.terminateAction()->isEnabled());
        QTest::keyClick(page.tableView(), Qt::Key_Period, Qt::ControlModifier);
        QCOMPARE(cancels.size(), 1);
        page.terminateAction()->trigger();
        QCOMPARE(terminates.size(), 2);
        QCOMPARE(terminates.at(1).at(0).value<QList<qint64>>(), QList<qint64>{503});
        page.bulkTerminateAction()->trigger();
        QCOMPARE(bulk.size(), 1);

        // Delete typed into the filter box edits the text; it terminates nothing.
        page.filterEdit()->setFocus();
        QTest::keyClicks(page.filterEdit(), "abc");
        QTest::keyClick(page.filterEdit(), Qt::Key_Home);
        QTest::keyClick(page.filterEdit(), Qt::Key_Delete);
        QCOMPARE(page.filterEdit()->text(), QString("bc"));
        QCOMPARE(terminates.size(), 2);
        page.filterEdit()->clear();

        // Read-only: every action disabled, visibly, with the reason.
        page.setActionsEnabled(false, "started with --read-only");
        QVERIFY(page.readOnlyLabel()->isVisible());
        QVERIFY(page.readOnlyLabel()->text().contains("Read-only"));
        for (QAction *action : {page.cancelAction(), page.terminateAction(), page.bulkTerminateAction()}) {
            QVERIFY(!action->isEnabled());
            QCOMPARE(action->toolTip(), QString("started with --read-only"));
        }
        QVERIFY(page.selectPid(504));
        page.tableView()->setFocus();
        QTest::keyClick(page.tableView(), Qt::Key_Delete);
        QTest::keyClick(page.tableView(), Qt::Key_Period, Qt::ControlModifier);
        page.terminateAction()->trigger();
        QCOMPARE(terminates.size(), 2);
        QCOMPARE(cancels.size(), 1);
        // Samples keep the read-only state.
        page.updateSample(capturedSnapshot(QDateTime::currentMSecsSinceEpoch() + 1000));
        QVERIFY(!page.terminateAction()->isEnabled());

        page.setActionsEnabled(true);
        QVERIFY(!page.readOnlyLabel()->isVisible());
        QVERIFY(page.terminateAction()->isEnabled());
    }

    // A finding's "go to the evidence": exactly its sessions selected, even those a filter hid.
    void selectPidsSelectsExactlyThoseAndClearsHidingFilters()
    {
        SessionsPage page;
        page.resize(1400, 900);
        page.show();
        page.updateSample(capturedSnapshot(QDateTime::currentMSecsSinceEpoch()));
        page.stateButton(SessionState::Active)->click(); // only active: hides 503 (idle in transaction)
        QCOMPARE(page.selectPids({505}), 1);
        QVERIFY(page.stateButton(SessionState::Active)->isChecked()); // nothing hidden: kept
        QCOMPARE(page.selectPids({503, 504}), 2);
        QVERIFY(!page.stateButton(SessionState::Active)->isChecked());
        QVERIFY(page.onlyStates().none());
        QList<qint64> selected = page.selectedPids();
        std::sort(selected.begin(), selected.end());
        QCOMPARE(selected, (QList<qint64>{503, 504}));
        QVERIFY(page.detailText().startsWith("pid 503") || page.detailText().startsWith("pid 504"));
        QCOMPARE(page.selectPids({999999}), 0); // gone: the selection is left alone
        QCOMPARE(page.selectedPids().size(), 2);
    }

    // The captured sample's detail pane, tree included (two waiters behind one idle-in-transaction holder).
    void capturedDetailAndCtrlF()
    {
        SessionsPage page;
        page.resize(1400, 900);
        page.show();
        QApplication::setActiveWindow(&page);
        QVERIFY(QTest::qWaitForWindowActive(&page));
        page.updateSample(capturedSnapshot(QDateTime::currentMSecsSinceEpoch()));
        QVERIFY(page.selectPid(503));
        const QString detail = page.detailText();
        QVERIFY2(detail.contains("Blocks: 2 sessions wait behind it, 2 directly"), qPrintable(detail));
        QVERIFY2(detail.contains("└ 504 (worker, active 10 s)"), qPrintable(detail));
        QVERIFY2(detail.contains("└ 505 (worker, active 8.0 s)"), qPrintable(detail));
        QVERIFY2(detail.contains("Transaction\t1 min 20 s ago") || detail.contains("1 min 20 s ago"),
                 qPrintable(detail));
        QVERIFY2(detail.contains("The oldest on the server"), qPrintable(detail));

        // Ctrl+F is the window's (tst_windowfit, from anywhere): it lands here, the old text selected.
        QTest::keyClicks(page.filterEdit(), "old");
        page.tableView()->setFocus();
        page.focusFilter();
        QVERIFY(page.filterEdit()->hasFocus());
        QCOMPARE(page.filterEdit()->selectedText(), QString("old"));
        page.filterEdit()->clear();
    }

    // Columns chosen on one page are there on the next (the settings file).
    void columnChoicePersists()
    {
        {
            SessionsPage page;
            QVERIFY(!page.isColumnShown(SessionsModel::BackendType)); // hidden by default
            QVERIFY(!page.isColumnShown(SessionsModel::QueryAge));
            QVERIFY(page.isColumnShown(SessionsModel::HorizonAge));
            page.setColumnShown(SessionsModel::HorizonAge, false);
            page.setColumnShown(SessionsModel::BackendType, true);
        }
        SessionsPage next;
        QVERIFY(!next.isColumnShown(SessionsModel::HorizonAge));
        QVERIFY(next.isColumnShown(SessionsModel::BackendType));
        QVERIFY(next.isColumnShown(SessionsModel::Query));
        next.setColumnShown(SessionsModel::HorizonAge, true);
        next.setColumnShown(SessionsModel::BackendType, false);
        SessionsPage third;
        QVERIFY(third.isColumnShown(SessionsModel::HorizonAge));

        // The last column cannot go: the header (and its menu) would vanish with it.
        for (int c = 0; c < SessionsModel::ColumnCount; ++c)
            third.setColumnShown(c, false);
        int shown = 0;
        for (int c = 0; c < SessionsModel::ColumnCount; ++c)
            shown += third.isColumnShown(c) ? 1 : 0;
        QCOMPARE(shown, 1);
        for (int c = 0; c < SessionsModel::ColumnCount; ++c)
            third.setColumnShown(c, c != SessionsModel::BackendType && c != SessionsModel::QueryAge);
    }

    // A failed sample keeps the last sessions, says they are stale, and breaks the ages line.
    void failedSampleKeepsTheTable()
    {
        SessionsPage page;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        page.updateSample(capturedSnapshot(now));
        TargetSnapshot failed;
        failed.kind = TargetKind::Postgres;
        failed.sampledAtMs = now + 1000;
        failed.error.kind = ErrorKind::Connect;
        failed.error.message = "connection refused";
        page.updateSample(failed);
        QCOMPARE(page.tableView()->model()->rowCount(), 8);
        QVERIFY2(page.countLabel()->text().contains("last sample failed"),
                 qPrintable(page.countLabel()->text()));
        QCOMPARE(page.transactionCharts()->history().size(), 2);
        QVERIFY(std::isnan(page.transactionCharts()->history().last().xactAge));
        page.updateSample(capturedSnapshot(now + 2000));
        QVERIFY(!page.countLabel()->text().contains("last sample failed"));
    }

    // Many samples in a burst are drawn once or twice (the first one's changes with it, the rest when due),
    // not once each.
    void replotsAreCoalesced()
    {
        SessionsPage page;
        page.resize(1400, 900);
        page.show();
        QTest::qWait(200); // layout and resize settle first
        const int before = page.transactionCharts()->rebuildCount();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (int i = 0; i < 50; ++i)
            page.updateSample(capturedSnapshot(now + i * 10));
        QVERIFY(page.transactionCharts()->rebuildCount() <= before + 1);
        QTest::qWait(1500);
        const int after = page.transactionCharts()->rebuildCount();
        QVERIFY2(after > before && after <= before + 2, qPrintable(QString::number(after - before)));
        QTest::qWait(1200);
        QCOMPARE(page.transactionCharts()->rebuildCount(), after); // nothing new, nothing drawn
        QCOMPARE(page.transactionCharts()->history().size(), 50);
    }

    // At 10 Hz with the same sessions, the histogram and the bars are not redrawn and the ages line once a
    // second; a session that goes away is on the histogram within a quarter of a second.
    void unchangedChartsAreNotReplotted()
    {
        SessionsPage page;
        page.resize(1400, 900);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        const TransactionCharts &charts = *page.transactionCharts();
        qint64 now = QDateTime::currentMSecsSinceEpoch();
        page.updateSample(capturedSnapshot(now));
        QTest::qWait(300);
        QSignalSpy histogram(charts.histogramPlot(), &QCustomPlot::afterReplot);
        QSignalSpy applications(charts.applicationsPlot(), &QCustomPlot::afterReplot);
        QSignalSpy ages(charts.agesPlot(), &QCustomPlot::afterReplot);
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 3000) {
            QTest::qWait(100);
            now += 100;
            page.updateSample(capturedSnapshot(now));
        }
        QCOMPARE(histogram.size(), 0);
        QCOMPARE(applications.size(), 0);
        QVERIFY2(ages.size() >= 2 && ages.size() <= 4, qPrintable(QString::number(ages.size())));

        TargetSnapshot fewer = capturedSnapshot(now + 100);
        PostgresSample &pg = *fewer.postgres;
        const auto leak = std::find_if(pg.sessions.cbegin(), pg.sessions.cend(), [](const Session &s) {
            return s.stateClass() == SessionState::IdleInTransaction;
        });
        QVERIFY(leak != pg.sessions.cend());
        pg.sessions.removeAt(leak - pg.sessions.cbegin());
        analysis::summarizeSessions(pg);
        clock.restart();
        page.updateSample(fewer);
        QTRY_VERIFY_WITH_TIMEOUT(histogram.size() >= 1, 1000);
        QVERIFY2(clock.elapsed() < 400, qPrintable(QString::number(clock.elapsed())));
    }

    // A realistic page against the sandbox, rendered offscreen. With POOLSCOPE_SCREENSHOT=<file.png> set it
    // is saved there to be looked at.
    void screenshot()
    {
        QString error;
        test::HeldSessions setup;
        QVERIFY2(setup.open(m_sandbox->uris().app, 1, "tst-setup",
                            {"CREATE TABLE IF NOT EXISTS page_lock (id int PRIMARY KEY, v int NOT NULL)",
                             "INSERT INTO page_lock VALUES (1, 0) ON CONFLICT DO NOTHING"},
                            &error),
                 qPrintable(error));
        test::HeldSessions web, leak, aborted, holder, waiter, busy;
        QVERIFY2(web.open(m_sandbox->uris().app, 6, "web", {"SELECT 1"}, &error), qPrintable(error));
        QVERIFY2(leak.open(m_sandbox->uris().app, 4, "billing-worker",
                           {"BEGIN", "SELECT count(*) FROM page_lock"}, &error),
                 qPrintable(error));
        QVERIFY2(aborted.open(m_sandbox->uris().app, 1, "billing-worker", {"BEGIN"}, &error),
                 qPrintable(error));
        DbError e;
        QVERIFY(!db::exec(aborted.at(0), "SELECT 1/0", &e)); // leaves the transaction aborted
        QVERIFY2(holder.open(m_sandbox->uris().app, 1, "reports",
                             {"BEGIN", "UPDATE page_lock SET v = v + 1 WHERE id = 1"}, &error),
                 qPrintable(error));
        QVERIFY2(waiter.open(m_sandbox->uris().app, 2, "web", {}, &error), qPrintable(error));
        for (int i = 0; i < waiter.size(); ++i)
            QVERIFY(PQsendQuery(waiter.at(i), "UPDATE page_lock SET v = v + 1 WHERE id = 1"));
        QVERIFY2(busy.open(m_sandbox->uris().app, 3, "etl", {}, &error), qPrintable(error));
        for (int i = 0; i < busy.size(); ++i)
            QVERIFY(PQsendQuery(busy.at(i), "SELECT pg_sleep(20) /* nightly rollup */"));

        SessionsPage page;
        page.resize(1500, 950);
        page.show();
        db::Sampler sampler(m_sandbox->uris().monitor);
        // A few seconds of samples, so the ages chart has a line.
        TargetSnapshot last;
        for (int i = 0; i < 16; ++i) {
            last = sampler.sample();
            QVERIFY2(last.ok, qPrintable(last.error.message));
            page.updateSample(last);
            QTest::qWait(250);
        }
        QCOMPARE(last.postgres->lockWaiting, 2);
        QVERIFY(page.selectPid(PQbackendPID(waiter.at(0))));
        page.transactionCharts()->refreshNow();
        QTest::qWait(50);

        const TransactionCharts &charts = *page.transactionCharts();
        QCOMPARE(drawnAppBar(charts, "billing-worker", SessionState::IdleInTransaction), 4.0);
        QCOMPARE(drawnAppBar(charts, "billing-worker", SessionState::IdleInTransactionAborted), 1.0);
        QCOMPARE(drawnAppBar(charts, "etl", SessionState::Active), 3.0);
        QVERIFY(charts.agesPlot()->graph(0)->dataCount() >= 16);
        int abortedCount = 0;
        for (int n : charts.currentHistogram().aborted)
            abortedCount += n;
        QCOMPARE(abortedCount, 1);

        const QImage image = page.grab().toImage();
        QVERIFY(!image.isNull());
        const QString path = qEnvironmentVariable("POOLSCOPE_SCREENSHOT");
        if (!path.isEmpty()) {
            QVERIFY(image.save(path));
            // And at the size a page gets next to the targets panel on a small screen.
            page.resize(1150, 760);
            QTest::qWait(100);
            page.transactionCharts()->refreshNow();
            QVERIFY(page.grab().toImage().save(QString(path).replace(".png", "-small.png")));
            // And on a dark palette (colours are resolved per palette).
            QPalette dark;
            dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
            dark.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
            dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
            dark.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
            dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
            dark.setColor(QPalette::Button, QColor(0x35, 0x35, 0x35));
            dark.setColor(QPalette::ButtonText, QColor(0xe0, 0xe0, 0xe0));
            dark.setColor(QPalette::Link, QColor(0x6c, 0xb4, 0xff));
            dark.setColor(QPalette::PlaceholderText, QColor(0x90, 0x90, 0x90));
            page.setPalette(dark);
            QTest::qWait(100);
            page.transactionCharts()->refreshNow();
            QVERIFY(page.grab().toImage().save(QString(path).replace(".png", "-dark.png")));
        }
        for (int i = 0; i < waiter.size(); ++i)
            PQrequestCancel(waiter.at(i));
        for (int i = 0; i < busy.size(); ++i)
            PQrequestCancel(busy.at(i));
    }
    void applicationBarsFitTheirLabels()
    {
        // Ten applications with 10, 9, ... 1 idle sessions.
        TargetSnapshot t;
        t.ok = true;
        t.kind = TargetKind::Postgres;
        t.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
        PostgresSample pg;
        pg.serverNow = double(t.sampledAtMs) / 1000.0;
        qint64 pid = 100;
        for (int app = 0; app < 10; ++app)
            for (int n = 0; n < 10 - app; ++n) {
                Session s;
                s.pid = pid++;
                s.state = QStringLiteral("idle");
                s.applicationName = QStringLiteral("service-%1").arg(app);
                s.stateChange = pg.serverNow - 5;
                pg.sessions.append(s);
            }
        analysis::summarizeSessions(pg);
        t.postgres = pg;
        TransactionCharts charts;
        QCustomPlot *plot = charts.applicationsPlot();
        auto labelsShown = [&](int height) {
            charts.resize(900, height);
            charts.show();
            charts.updateSample(t);
            charts.refreshNow();
            QTest::qWait(50);
            plot->replot(); // lays the chart out at its size: the bars that fit are chosen then
            QTest::qWait(50);
            auto ticker = plot->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
            // Each label has a line of text of its own: never drawn over its neighbour.
            const int line = QFontMetrics(plot->yAxis->tickLabelFont()).height();
            const int ticks = int(ticker->ticks().size());
            if (ticks > 1) {
                const double apart = std::abs(plot->yAxis->coordToPixel(1) - plot->yAxis->coordToPixel(2));
                if (apart < line) {
                    qWarning("%d labels %.1f px apart, a line is %d px", ticks, apart, line);
                    return -1;
                }
            }
            return ticks;
        };
        QCOMPARE(labelsShown(600), 10); // room for all ten
        const int few = labelsShown(200);
        QVERIFY2(few >= 1 && few < 10, qPrintable(QString::number(few)));
        // The most sessions first, and the title says how many.
        auto ticker = plot->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
        QCOMPARE(ticker->ticks().value(1), QStringLiteral("service-0"));
        bool titled = false;
        for (int i = 0; i < plot->plotLayout()->elementCount(); ++i)
            if (auto *title = qobject_cast<QCPTextElement *>(plot->plotLayout()->elementAt(i)))
                titled = titled ||
                         title->text() == QStringLiteral("Sessions by state, top %1 applications").arg(few);
        QVERIFY(titled);
    }
};

QTEST_MAIN(TestSessionsPage)
#include "tst_sessionspage.moc"
