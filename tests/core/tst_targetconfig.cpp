#include "core/targetconfig.h"

#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;

class TestTargetConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("poolscope.ini");
        QList<TargetConfig> targets;
        TargetConfig a;
        a.id = TargetConfig::newId();
        a.name = "primary";
        a.group = "production";
        a.conninfo = "host=db1 port=5432 dbname=app user=monitor";
        a.intervalMs = 500;
        a.rememberPassword = true;
        TargetConfig b;
        b.id = TargetConfig::newId();
        b.group = "production";
        b.conninfo = "service=bouncer1";
        b.kindOverride = TargetKind::PgBouncer;
        targets << a << b;
        {
            QSettings s(path, QSettings::IniFormat);
            saveTargets(s, targets);
        }
        QSettings s(path, QSettings::IniFormat);
        QCOMPARE(loadTargets(s), targets);
        // Saving fewer targets forgets the rest.
        saveTargets(s, {b});
        QCOMPARE(loadTargets(s).size(), 1);
    }

    // A pooler's manual link (the PostgreSQL target it sits in front of) and the Pgpool-II kind survive a
    // save and a load; an empty link (automatic) stays empty.
    void manualPoolerLinkIsSavedAndReloaded()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("poolscope.ini");
        TargetConfig pg;
        pg.id = TargetConfig::newId();
        pg.conninfo = "host=db1 port=5432 dbname=app user=monitor";
        TargetConfig bouncer;
        bouncer.id = TargetConfig::newId();
        bouncer.conninfo = "host=db1 port=6432 dbname=pgbouncer user=monitor";
        bouncer.kindOverride = TargetKind::PgBouncer;
        bouncer.linkedTarget = pg.id;
        TargetConfig automatic = bouncer;
        automatic.id = TargetConfig::newId();
        automatic.linkedTarget.clear();
        TargetConfig pgpool;
        pgpool.id = TargetConfig::newId();
        pgpool.conninfo = "host=db1 port=9999 dbname=app user=monitor";
        pgpool.kindOverride = TargetKind::Pgpool;
        {
            QSettings s(path, QSettings::IniFormat);
            saveTargets(s, {pg, bouncer, automatic, pgpool});
        }
        QSettings s(path, QSettings::IniFormat);
        const QList<TargetConfig> loaded = loadTargets(s);
        QCOMPARE(loaded.size(), 4);
        QCOMPARE(loaded[1].linkedTarget, pg.id);
        QVERIFY(loaded[2].linkedTarget.isEmpty());
        QVERIFY(loaded[0].linkedTarget.isEmpty());
        QCOMPARE(loaded[3].kindOverride, TargetKind::Pgpool);
        QCOMPARE(s.value("targets/2/linked_target").toString(), pg.id); // QSettings arrays count from 1
    }

    void badEntriesAreSkippedOrClamped_data()
    {
        QTest::addColumn<QString>("conninfo");
        QTest::addColumn<int>("interval");
        QTest::addColumn<int>("loaded");
        QTest::addColumn<int>("loadedInterval");
        QTest::addRow("empty conninfo is skipped") << "" << 1000 << 0 << 0;
        QTest::addRow("interval below 100 ms") << "host=x" << 5 << 1 << 100;
        QTest::addRow("interval above 60 s") << "host=x" << 600000 << 1 << 60000;
    }
    void badEntriesAreSkippedOrClamped()
    {
        QFETCH(QString, conninfo);
        QFETCH(int, interval);
        QFETCH(int, loaded);
        QFETCH(int, loadedInterval);
        QTemporaryDir dir;
        QSettings s(dir.filePath("x.ini"), QSettings::IniFormat);
        s.beginWriteArray("targets", 1);
        s.setArrayIndex(0);
        s.setValue("conninfo", conninfo);
        s.setValue("interval_ms", interval);
        s.endArray();
        const auto targets = loadTargets(s);
        QCOMPARE(targets.size(), loaded);
        if (loaded) {
            QCOMPARE(targets[0].intervalMs, loadedInterval);
            QVERIFY(!targets[0].id.isEmpty()); // a missing id is generated
        }
    }
};

QTEST_GUILESS_MAIN(TestTargetConfig)
#include "tst_targetconfig.moc"
