// The targets dialog: editing, grouping, and that a password never reaches settings or the log.
#include "core/logging.h"
#include "core/targetconfig.h"
#include "widgets/targetsdialog.h"

#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>

using namespace poolscope;
using namespace poolscope::widgets;

class TestTargetsDialog : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_logPath;

    template <typename T> T *child(QWidget *w, const char *name)
    {
        return w->findChild<T *>(QString::fromLatin1(name));
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_logPath = m_dir.filePath("poolscope.log");
        logging::Options o;
        o.fileOverride = m_logPath;
        o.stderrLevel = spdlog::level::warn;
        logging::init(o);
    }

    void passwordTypedInConnInfoNeverReachesSettingsOrLog()
    {
        TargetsDialog dialog({});
        QTest::mouseClick(child<QPushButton>(&dialog, "addButton"), Qt::LeftButton);
        auto *conninfo = child<QLineEdit>(&dialog, "conninfoEdit");
        QVERIFY(conninfo->isEnabled());
        conninfo->setFocus();
        QTest::keyClicks(conninfo, "postgresql://monitor:Xyzzy-Secret-42@db1.example:6432/pgbouncer");
        // Typed character by character, nothing is rewritten under the cursor...
        QCOMPARE(conninfo->text(),
                 QString("postgresql://monitor:Xyzzy-Secret-42@db1.example:6432/pgbouncer"));
        QCOMPARE(child<QLineEdit>(&dialog, "hostEdit")->text(), QString("db1.example"));
        // ...and when editing finishes, the password moves out of the string into the password field.
        QTest::keyClick(conninfo, Qt::Key_Return);
        QVERIFY2(!conninfo->text().contains("Xyzzy"), qPrintable(conninfo->text()));
        QCOMPARE(child<QLineEdit>(&dialog, "passwordEdit")->text(), QString("Xyzzy-Secret-42"));
        QCOMPARE(child<QLineEdit>(&dialog, "hostEdit")->text(), QString("db1.example"));
        QCOMPARE(child<QLineEdit>(&dialog, "portEdit")->text(), QString("6432"));
        QCOMPARE(dialog.passwords().size(), 1);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));

        const QString ini = m_dir.filePath("settings.ini");
        {
            QSettings settings(ini, QSettings::IniFormat);
            saveTargets(settings, dialog.targets());
        }
        QFile f(ini);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray saved = f.readAll();
        QVERIFY(saved.contains("db1.example")); // the target itself is saved
        QVERIFY2(!saved.contains("Xyzzy"), saved.constData());
        logging::get("ui")->flush();
        QFile log(m_logPath);
        if (log.open(QIODevice::ReadOnly))
            QVERIFY(!log.readAll().contains("Xyzzy"));
    }

    void fieldsAndStringStayInSync()
    {
        TargetConfig t;
        t.id = TargetConfig::newId();
        t.conninfo = "host=db1 dbname=app";
        TargetsDialog dialog({t});
        auto *user = child<QLineEdit>(&dialog, "userEdit");
        user->setFocus();
        QTest::keyClicks(user, "monitor");
        auto *ssl = child<QComboBox>(&dialog, "sslmodeCombo");
        ssl->setCurrentIndex(ssl->findData(QString("verify-full")));
        Q_EMIT ssl->activated(ssl->currentIndex());
        const QString text = child<QLineEdit>(&dialog, "conninfoEdit")->text();
        QVERIFY2(text.contains("user=monitor") && text.contains("sslmode=verify-full") &&
                     text.contains("host=db1"),
                 qPrintable(text));
        // Clearing a field removes the keyword.
        auto *host = child<QLineEdit>(&dialog, "hostEdit");
        host->selectAll();
        QTest::keyClick(host, Qt::Key_Delete);
        QVERIFY(!child<QLineEdit>(&dialog, "conninfoEdit")->text().contains("host="));
        QCOMPARE(dialog.targets().at(0).conninfo, child<QLineEdit>(&dialog, "conninfoEdit")->text());
    }

    void invalidInputIsKeptAndRefused()
    {
        TargetsDialog dialog({});
        QTest::mouseClick(child<QPushButton>(&dialog, "addButton"), Qt::LeftButton);
        auto *conninfo = child<QLineEdit>(&dialog, "conninfoEdit");
        QTest::keyClicks(conninfo, "host=db1 bogus=1");
        QVERIFY(child<QLabel>(&dialog, "conninfoError")->text().contains("bogus"));
        QCOMPARE(dialog.targets().at(0).conninfo, QString("host=db1 bogus=1")); // nothing typed is lost
        QTimer::singleShot(0, [] {
            if (auto *box = qobject_cast<QDialog *>(QApplication::activeModalWidget()))
                box->reject();
        });
        dialog.accept();
        QVERIFY(dialog.result() != int(QDialog::Accepted));
    }

    void addDuplicateGroupRemove()
    {
        TargetConfig a;
        a.id = TargetConfig::newId();
        a.conninfo = "host=db1 dbname=app";
        a.group = "production";
        TargetsDialog dialog({a});
        QTest::mouseClick(child<QPushButton>(&dialog, "duplicateButton"), Qt::LeftButton);
        QCOMPARE(dialog.targets().size(), 2);
        QVERIFY(dialog.targets().at(0).id != dialog.targets().at(1).id);
        QCOMPARE(dialog.targets().at(1).group, QString("production"));
        auto *group = child<QComboBox>(&dialog, "groupCombo");
        group->setCurrentText("staging");
        auto *tree = child<QTreeWidget>(&dialog, "tree");
        QStringList groups;
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            groups << tree->topLevelItem(i)->text(0);
        QCOMPARE(groups, (QStringList{"production", "staging"}));
        QTimer::singleShot(0, [] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget()))
                box->button(QMessageBox::Yes)->click();
        });
        QTest::mouseClick(child<QPushButton>(&dialog, "removeButton"), Qt::LeftButton);
        QCOMPARE(dialog.targets().size(), 1);
    }

    void prometheusTarget()
    {
        // Kind: Prometheus starts a URL from the host typed so far; the libpq fields go grey.
        TargetsDialog dialog({});
        QTest::mouseClick(child<QPushButton>(&dialog, "addButton"), Qt::LeftButton);
        auto *conninfo = child<QLineEdit>(&dialog, "conninfoEdit");
        QTest::keyClicks(conninfo, "host=metrics1");
        auto *kind = child<QComboBox>(&dialog, "kindCombo");
        kind->setCurrentIndex(kind->findText(QStringLiteral("Prometheus (every instance it knows)")));
        Q_EMIT kind->activated(kind->currentIndex());
        QCOMPARE(conninfo->text(), QStringLiteral("prometheus+http://metrics1:9090"));
        QVERIFY(!kind->isEnabled());
        QVERIFY(!child<QLineEdit>(&dialog, "hostEdit")->isEnabled());
        QVERIFY(!child<QComboBox>(&dialog, "sslmodeCombo")->isEnabled());
        QVERIFY(child<QLabel>(&dialog, "conninfoError")->text().isEmpty());
        QCOMPARE(dialog.targets().at(0).kindOverride, TargetKind::Unknown); // the URL says what it is

        // A basic-auth password typed into the URL moves to the password field, never to the settings.
        conninfo->selectAll();
        QTest::keyClicks(conninfo, "prometheus+https://reader:Xyzzy-Prom-7@metrics1:9090/prom");
        QTest::keyClick(conninfo, Qt::Key_Return);
        QCOMPARE(conninfo->text(), QStringLiteral("prometheus+https://reader@metrics1:9090/prom"));
        QCOMPARE(child<QLineEdit>(&dialog, "passwordEdit")->text(), QStringLiteral("Xyzzy-Prom-7"));
        QCOMPARE(dialog.passwords().value(dialog.targets().at(0).id), QByteArray("Xyzzy-Prom-7"));

        // The test says why nobody answers (nothing listens on port 1).
        conninfo->selectAll();
        QTest::keyClicks(conninfo, "prometheus+http://127.0.0.1:1");
        auto *test = child<QPushButton>(&dialog, "testButton");
        QCOMPARE(test->text(), QStringLiteral("&Test: discover instances"));
        test->click();
        auto *result = child<QPlainTextEdit>(&dialog, "testResult");
        QTRY_VERIFY_WITH_TIMEOUT(result->toPlainText().contains(QLatin1String("cannot reach Prometheus")),
                                 10000);

        // A malformed URL is kept and refused, with the reason.
        conninfo->selectAll();
        QTest::keyClicks(conninfo, "prometheus+http://");
        QVERIFY(
            child<QLabel>(&dialog, "conninfoError")->text().contains(QLatin1String("bad Prometheus URL")));
        QTimer::singleShot(0, [] {
            if (auto *box = qobject_cast<QDialog *>(QApplication::activeModalWidget()))
                box->reject();
        });
        dialog.accept();
        QVERIFY(dialog.result() != int(QDialog::Accepted));
    }
};

QTEST_MAIN(TestTargetsDialog)
#include "tst_targetsdialog.moc"
