// Saved targets in the main window against a real sandbox: reconcile on edit, the password prompt when libpq
// needs one, and no password in the settings file.
#include "core/targetconfig.h"
#include "core/timeseries.h"
#include "db/pg.h"
#include "support/testsupport.h"
#include "widgets/mainwindow.h"

#include <QApplication>
#include <QFile>
#include <QInputDialog>
#include <QLineEdit>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace poolscope;

class TestSavedTargets : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    QTemporaryDir m_config;

    QByteArray appPassword() const
    {
        // The sandbox's pgpass line for app on the PostgreSQL port.
        QFile f(m_sandbox->dir() + "/pgpass");
        if (!f.open(QIODevice::ReadOnly))
            return {};
        const QByteArray prefix = "127.0.0.1:" + QByteArray::number(m_sandbox->postgresPort()) + ":*:app:";
        for (const QByteArray &line : f.readAll().split('\n'))
            if (line.startsWith(prefix))
                return line.mid(prefix.size());
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8()); // settings go to a scratch dir
        test::quietLogging();
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void reconcileSavedTargets()
    {
        widgets::MainWindow window;
        TargetConfig pg;
        pg.id = TargetConfig::newId();
        pg.conninfo = m_sandbox->uris().monitor;
        pg.group = "sandbox";
        pg.intervalMs = 200;
        TargetConfig bouncer;
        bouncer.id = TargetConfig::newId();
        bouncer.conninfo = m_sandbox->uris().pgbouncerMonitor;
        bouncer.intervalMs = 200;
        window.applyTargetConfigs({pg, bouncer}, {});
        QCOMPARE(window.targetCount(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(window.seriesFor(0)->lastTime() > 0 && window.seriesFor(1)->lastTime() > 0,
                                 10000);
        // Saved, and read back by a new window.
        QCOMPARE(loadTargets(*openSettings()).size(), 2);
        // Remove one, edit the other: one target left, restarted with the new interval.
        pg.intervalMs = 500;
        window.applyTargetConfigs({pg}, {});
        QCOMPARE(window.targetCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(window.seriesFor(0)->lastTime() > 0, 10000);
        QCOMPARE(loadTargets(*openSettings()), (QList<TargetConfig>{pg}));
        widgets::MainWindow second;
        second.loadSavedTargets();
        QCOMPARE(second.targetCount(), 1);
        window.applyTargetConfigs({}, {});
        QCOMPARE(window.targetCount(), 0);
    }

    void promptsOnceForAMissingPasswordAndNeverSavesIt()
    {
        const QByteArray password = appPassword();
        QVERIFY(!password.isEmpty());
        widgets::MainWindow window;
        window.show();
        TargetConfig app;
        app.id = TargetConfig::newId();
        // No passfile: libpq has no password and says so; the window asks for one.
        app.conninfo = QString("host=127.0.0.1 port=%1 user=app dbname=app passfile=/nonexistent")
                           .arg(m_sandbox->postgresPort());
        app.intervalMs = 200;
        int prompts = 0;
        auto answer = [&] {
            auto *dialog = qobject_cast<QInputDialog *>(QApplication::activeModalWidget());
            if (!dialog)
                return false;
            ++prompts;
            dialog->setTextValue(QString::fromUtf8(password));
            dialog->accept();
            return true;
        };
        QTimer poll;
        connect(&poll, &QTimer::timeout, this, [&] { answer(); });
        poll.start(50);
        window.applyTargetConfigs({app}, {});
        QTRY_VERIFY_WITH_TIMEOUT(prompts == 1, 10000);
        // Restarted with the password: samples arrive.
        QTRY_VERIFY_WITH_TIMEOUT(window.targetCount() == 1 && window.seriesFor(0)->lastTime() > 0, 10000);
        QTest::qWait(600);
        QCOMPARE(prompts, 1); // asked once, not on every failed poll
        auto settings = openSettings();
        settings->sync();
        QFile f(settings->fileName());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray saved = f.readAll();
        QVERIFY(saved.contains("passfile=/nonexistent"));
        QVERIFY2(!saved.contains(password), "password in the settings file");
    }
};

QTEST_MAIN(TestSavedTargets)
#include "tst_savedtargets.moc"
