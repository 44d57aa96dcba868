// Auto-remediation's pure parts: its config (off and dry-run by default, persisted with the target), the
// predicate it derives, the sample pre-check and the rate limiter; and the read-only switch.
#include "core/auditlog.h"
#include "core/autoremediation.h"
#include "core/readonly.h"
#include "core/targetconfig.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;

namespace {

Session session(qint64 pid, const QString &state, double stateChange, const QString &app = "web")
{
    Session s;
    s.pid = pid;
    s.state = state;
    s.stateChange = stateChange;
    s.applicationName = app;
    s.usename = "app";
    s.datname = "app";
    s.backendType = "client backend";
    return s;
}

} // namespace

class TestAutoRemediation : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void offAndDryRunByDefault()
    {
        const AutoRemediationConfig c;
        QVERIFY(!c.enabled);
        QVERIFY(c.dryRun);
        TargetConfig t;
        QVERIFY(!t.autoRemediation.enabled);
    }

    void predicateNeverAllowsSuperusers()
    {
        AutoRemediationConfig c;
        c.enabled = true;
        c.olderThanS = 120;
        c.application = " web ";
        const terminate::Predicate p = c.predicate();
        QCOMPARE(p.states, terminate::Predicate::defaultStates());
        QCOMPARE(p.olderThanS, 120.0);
        QCOMPARE(p.application, QString("web"));
        QVERIFY(!p.allowSuperuser);
        QCOMPARE(c.describe(), QString("dry run: terminating idle in transaction > 120 s (application web)"));
        c.dryRun = false;
        QCOMPARE(c.describe(), QString("terminating idle in transaction > 120 s (application web)"));
    }

    void persistedWithTheTarget()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("poolscope.ini");
        TargetConfig a;
        a.id = TargetConfig::newId();
        a.conninfo = "host=db1 dbname=app";
        a.autoRemediation.enabled = true;
        a.autoRemediation.olderThanS = 45;
        a.autoRemediation.dryRun = false;
        a.autoRemediation.application = "web-*";
        TargetConfig b;
        b.id = TargetConfig::newId();
        b.conninfo = "host=db2 dbname=app";
        {
            QSettings s(path, QSettings::IniFormat);
            saveTargets(s, {a, b});
        }
        QSettings s(path, QSettings::IniFormat);
        const QList<TargetConfig> loaded = loadTargets(s);
        QCOMPARE(loaded, (QList<TargetConfig>{a, b}));
        QVERIFY(!loaded[1].autoRemediation.enabled);
        QVERIFY(loaded[1].autoRemediation.dryRun);
    }

    void oldSettingsLoadWithRemediationOff()
    {
        // A settings file written before auto-remediation existed: off, dry-run, 300 s.
        QTemporaryDir dir;
        QSettings s(dir.filePath("old.ini"), QSettings::IniFormat);
        s.beginWriteArray("targets", 1);
        s.setArrayIndex(0);
        s.setValue("id", "x");
        s.setValue("conninfo", "host=db1");
        s.endArray();
        const QList<TargetConfig> loaded = loadTargets(s);
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(loaded[0].autoRemediation, AutoRemediationConfig{});
    }

    void samplePreCheck_data()
    {
        QTest::addColumn<QString>("state");
        QTest::addColumn<double>("age");
        QTest::addColumn<QString>("app");
        QTest::addColumn<QString>("backendType");
        QTest::addColumn<bool>("expected");
        QTest::addRow("idle in transaction 100 s") << "idle in transaction" << 100.0 << "web"
                                                   << "client backend" << true;
        QTest::addRow("aborted 100 s") << "idle in transaction (aborted)" << 100.0 << "web"
                                       << "client backend" << true;
        QTest::addRow("idle in transaction 50 s") << "idle in transaction" << 50.0 << "web"
                                                  << "client backend" << false;
        QTest::addRow("active 100 s") << "active" << 100.0 << "web"
                                      << "client backend" << false;
        QTest::addRow("other application") << "idle in transaction" << 100.0 << "batch"
                                           << "client backend" << false;
        QTest::addRow("not a client backend") << "idle in transaction" << 100.0 << "web"
                                              << "walsender" << false;
    }
    void samplePreCheck()
    {
        QFETCH(QString, state);
        QFETCH(double, age);
        QFETCH(QString, app);
        QFETCH(QString, backendType);
        QFETCH(bool, expected);
        AutoRemediationConfig c;
        c.olderThanS = 60;
        c.application = "web";
        PostgresSample sample;
        sample.serverNow = 1000;
        Session s = session(1, state, 1000 - age, app);
        s.backendType = backendType;
        sample.sessions = {session(2, "idle", 0), s};
        QCOMPARE(autoremediation::sampleHasCandidates(sample, c.predicate()), expected);
    }

    void rateLimiter()
    {
        autoremediation::Limits limits;
        limits.minIntervalMs = 10000;
        limits.maxPerRun = 4;
        limits.maxPerWindow = 4;
        limits.windowMs = 60000;
        autoremediation::RateLimiter l(limits);
        QVERIFY(l.mayRun(0));
        QCOMPARE(l.budget(0), 4);
        l.noteRun(0);
        l.noteKills(0, 3);
        QVERIFY(!l.mayRun(9999));
        QVERIFY(l.mayRun(10000));
        QCOMPARE(l.budget(10000), 1); // 4 per minute, 3 spent
        l.noteRun(10000);
        l.noteKills(10000, 1);
        QCOMPARE(l.budget(20000), 0);
        QVERIFY(l.mayRun(20000)); // a run may happen (dry runs, reporting) but may kill nobody
        QCOMPARE(l.budget(59999), 0);
        QCOMPARE(l.budget(60000), 3); // the first 3 left the window; the one at 10 s has not
        QCOMPARE(l.budget(70000), 4);
    }

    void readOnlySwitchAndAudit()
    {
        QTemporaryDir dir;
        const QString log = dir.filePath("audit.jsonl");
        audit::setFilePath(log);
        QSignalSpy spy(readonly::Notifier::instance(), &readonly::Notifier::changed);
        QVERIFY(!readonly::isReadOnly());
        readonly::setReadOnly(true);
        QVERIFY(readonly::isReadOnly());
        readonly::setReadOnly(true); // no change, no signal
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toBool(), true);
        readonly::recordRefusal("terminate", "app@127.0.0.1:5432/app", {{"source", "gui"}});
        readonly::setReadOnly(false);
        QCOMPARE(spy.count(), 2);
        QFile f(log);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject line = QJsonDocument::fromJson(f.readLine()).object();
        QCOMPARE(line["result"].toString(), QString("refused: read-only"));
        QCOMPARE(line["action"].toString(), QString("terminate"));
        QCOMPARE(line["target"].toString(), QString("app@127.0.0.1:5432/app"));
        audit::setFilePath({});
    }

    void readOnlySetting()
    {
        QTemporaryDir dir;
        QSettings s(dir.filePath("p.ini"), QSettings::IniFormat);
        QVERIFY(!readonly::setting(s));
        readonly::setSetting(s, true);
        QVERIFY(readonly::setting(s));
        QCOMPARE(s.value("readOnly").toBool(), true);
        // The app's settings file (XDG_CONFIG_HOME) combined with the flag.
        qputenv("XDG_CONFIG_HOME", dir.filePath("xdg").toUtf8());
        QVERIFY(!readonly::applyStartup(false));
        QVERIFY(readonly::applyStartup(true));
        {
            auto app = openSettings();
            readonly::setSetting(*app, true);
        }
        QVERIFY(readonly::applyStartup(false));
        QVERIFY(readonly::isReadOnly());
        readonly::setReadOnly(false);
    }
};

QTEST_GUILESS_MAIN(TestAutoRemediation)
#include "tst_autoremediation.moc"
