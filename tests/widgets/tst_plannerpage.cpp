// The Planner page as a user drives it: open a plan, read the verdict and the bars, move a what-if slider
// past the limit, save and reopen, and a bad file that changes nothing.
#include "widgets/plannerpage.h"
#include "widgets/qcp.h"

#include <QLabel>
#include <QSlider>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace poolscope;

class TestPlannerPage : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    QString write(const QString &name, const QByteArray &json)
    {
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size())
            qFatal("cannot write %s", qPrintable(f.fileName()));
        return f.fileName();
    }

    static QString verdict(const widgets::PlannerPage &page)
    {
        return page.findChild<QLabel *>("plannerVerdict")->text();
    }

private Q_SLOTS:
    void openSlideSaveReopen()
    {
        widgets::PlannerPage page;
        page.resize(1200, 700);
        page.show();
        QString error;
        QVERIFY2(page.openFile(write("web.json", R"({"postgres": {"max_connections": 100},
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10,
           "traffic": {"arrival_rate_per_s": 200, "mean_hold_ms": 20}}]})"),
                               &error),
                 qPrintable(error));
        QVERIFY2(verdict(page).contains("The plan fits.") && verdict(page).contains("(7 left)"),
                 qPrintable(verdict(page)));
        // One bar (and its label) per limit: here PostgreSQL's.
        QCOMPARE(page.chart()->itemCount(), 3); // bar (one contributor), label, the 100 % line
        const auto *queues = page.findChild<QTableWidget *>();
        QCOMPARE(queues->rowCount(), 1);
        QCOMPARE(queues->item(0, 0)->text(), QString("web"));

        // What if web ran 4 instances? 120 connections against 97.
        page.instancesSlider()->setValue(4);
        QCOMPARE(page.plan().apps.first().instances, 4);
        QVERIFY2(verdict(page).contains("The plan does not fit.") &&
                     verdict(page).contains("First limit to break: <b>postgres.max_connections</b>: 120"),
                 qPrintable(verdict(page)));
        QTRY_VERIFY(!page.result().scaleOut.isEmpty()); // the full evaluation follows when the slider stops
        QCOMPARE(page.result().scaleOut.first().maxInstances.value_or(-1), 3);

        const QString saved = m_dir.filePath("saved.json");
        QVERIFY2(page.saveFile(saved, &error), qPrintable(error));
        widgets::PlannerPage again;
        QVERIFY2(again.openFile(saved, &error), qPrintable(error));
        QVERIFY(again.plan() == page.plan());
    }

    void badFileChangesNothing()
    {
        widgets::PlannerPage page;
        QString error;
        QVERIFY(page.openFile(write("ok.json", R"({"apps": [{"name": "web", "pool_size": 5}]})"), &error));
        const plan::Plan before = page.plan();
        QVERIFY(!page.openFile(write("bad.json", "{\"apps\": [{\"name\": \"web\",\n \"pool_size\": -5}]}"),
                               &error));
        QCOMPARE(error, QString("apps[0].pool_size (line 2): needs a whole number >= 1"));
        QVERIFY(page.plan() == before);
        QVERIFY(!page.openFile(m_dir.filePath("missing.json"), &error));
        QVERIFY(error.startsWith("cannot read"));
    }

    void sessionPoolBreaksFirst()
    {
        widgets::PlannerPage page;
        QString error;
        QVERIFY(
            page.openFile(write("session.json", R"({"poolers": [{"name": "pgbouncer", "pool_mode": "session",
  "pools": [{"database": "app", "user": "app", "pool_size": 5}]}],
 "apps": [{"name": "score-sync", "instances": 3, "pool_size": 5, "max_overflow": 10, "via": "pgbouncer",
           "database": "app", "user": "app"}]})"),
                          &error));
        QVERIFY2(verdict(page).contains("First limit to break: <b>pgbouncer.pool app/app</b>: 45"),
                 qPrintable(verdict(page)));
        // Shrinking the pool to 1 + 0 per instance: 3 clients, fits the pool of 5.
        page.poolSizeSlider()->setValue(1);
        QAbstractItemModel *apps = page.appTable()->model();
        QVERIFY(
            apps->setData(apps->index(0, 4), 0)); // max_overflow 0, as typed into the table // max_overflow 0
        QVERIFY2(verdict(page).contains("The plan fits."), qPrintable(verdict(page)));
    }

    void readmeScreenshot()
    {
        // POOLSCOPE_SCREENSHOT_DIR=DIR saves the page as the README shows it (a tool, not a check).
        const QString dir = qEnvironmentVariable("POOLSCOPE_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set POOLSCOPE_SCREENSHOT_DIR to refresh resources/screenshots/planner.png");
        widgets::PlannerPage page;
        QString error;
        QVERIFY2(
            page.openFile(write("fleet.json",
                                R"({"postgres": {"max_connections": 200, "superuser_reserved_connections": 3},
 "poolers": [{"name": "pgbouncer", "instances": 2, "pool_mode": "transaction", "default_pool_size": 40,
              "max_client_conn": 500, "pools": [{"database": "reports", "user": "app", "pool_size": 5, "pool_mode": "session"}]}],
 "apps": [{"name": "web", "instances": 6, "processes": 4, "pool_size": 5, "max_overflow": 10, "via": "pgbouncer",
           "database": "app", "user": "app", "traffic": {"arrival_rate_per_s": 900, "mean_hold_ms": 40}},
          {"name": "reports", "instances": 1, "processes": 2, "pool_size": 3, "via": "pgbouncer",
           "database": "reports", "user": "app", "traffic": {"arrival_rate_per_s": 2, "mean_hold_ms": 900}},
          {"name": "worker", "instances": 4, "pool_size": 10, "max_overflow": 5,
           "traffic": {"arrival_rate_per_s": 50, "mean_hold_ms": 200}}]})"),
                          &error),
            qPrintable(error));
        page.resize(1280, 800);
        page.show();
        QTest::qWait(50);
        QVERIFY(page.grab().save(dir + "/planner.png"));
    }

    void fitsTheWindow()
    {
        widgets::PlannerPage page;
        const QSize min = page.minimumSizeHint();
        QVERIFY2(min.width() <= 1000 && min.height() <= 650,
                 qPrintable(QString("%1 x %2").arg(min.width()).arg(min.height())));
    }
};

QTEST_MAIN(TestPlannerPage)
#include "tst_plannerpage.moc"
