// The Planner page's tables: the plan's applications and poolers, edited in place under
// QAbstractItemModelTester; bad input leaves the old value.
#include "models/planmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace poolscope;
using models::PlanModel;

class TestPlanModel : public QObject
{
    Q_OBJECT

    plan::Plan sample()
    {
        plan::ParseError e;
        return *plan::parsePlan(R"({"poolers": [{"name": "pgb", "pool_mode": "transaction"}],
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10,
           "via": "pgb", "database": "app", "user": "app"},
          {"name": "cron", "pool_size": 2, "traffic": {"arrival_rate_per_s": 3, "mean_hold_ms": 40}}]})",
                                &e);
    }

private Q_SLOTS:
    void appsAreEditedInPlace()
    {
        plan::Plan p = sample();
        PlanModel model(PlanModel::Rows::Apps);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPlan(&p);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, PlanModel::AppInstances).data().toInt(), 3);
        QCOMPARE(model.index(0, PlanModel::AppVia).data().toString(), QString("pgb"));
        QCOMPARE(model.index(1, PlanModel::AppRate).data().toDouble(), 3.0);
        QCOMPARE(model.index(0, PlanModel::AppRate).data().toString(), QString()); // no traffic

        QSignalSpy edited(&model, &PlanModel::planEdited);
        QVERIFY(model.setData(model.index(0, PlanModel::AppInstances), 4));
        QCOMPARE(p.apps.at(0).instances, 4);
        QCOMPARE(edited.size(), 1);
        // Traffic typed for an application that had none: a default hold of 20 ms until set.
        QVERIFY(model.setData(model.index(0, PlanModel::AppRate), "150"));
        QCOMPARE(p.apps.at(0).traffic->arrivalRatePerS, 150.0);
        QCOMPARE(p.apps.at(0).traffic->meanHoldMs, 20.0);
        QVERIFY(model.setData(model.index(0, PlanModel::AppRate), ""));
        QVERIFY(!p.apps.at(0).traffic);

        // Bad input changes nothing.
        QVERIFY(!model.setData(model.index(0, PlanModel::AppPoolSize), 0));
        QVERIFY(!model.setData(model.index(0, PlanModel::AppPoolSize), "many"));
        QVERIFY(!model.setData(model.index(0, PlanModel::AppPoolSize), 2.5));
        QVERIFY(!model.setData(model.index(1, PlanModel::AppHoldMs), "0"));
        QCOMPARE(p.apps.at(0).poolSize, 5);
        QCOMPARE(edited.size(), 3);
        // Names and links are not what-ifs.
        QVERIFY(!(model.flags(model.index(0, PlanModel::AppName)) & Qt::ItemIsEditable));
        QVERIFY(!model.setData(model.index(0, PlanModel::AppVia), "postgres"));
    }

    void poolers()
    {
        plan::Plan p = sample();
        PlanModel model(PlanModel::Rows::Poolers);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPlan(&p);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.columnCount(), int(PlanModel::PoolerColumnCount));
        QVERIFY(model.setData(model.index(0, PlanModel::PoolerMode), "session"));
        QCOMPARE(p.poolers.at(0).poolMode, QString("session"));
        QVERIFY(!model.setData(model.index(0, PlanModel::PoolerMode), "sessions"));
        QVERIFY(model.setData(model.index(0, PlanModel::PoolerInstances), 6));
        QVERIFY(!model.setData(model.index(0, PlanModel::PoolerInstances), 0));
        QCOMPARE(p.poolers.at(0).instances, 6);
        // A new plan resets the rows.
        plan::Plan empty;
        model.setPlan(&empty);
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestPlanModel)
#include "tst_planmodel.moc"
