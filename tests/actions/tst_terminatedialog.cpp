// Widget test against a real sandbox: the bulk-terminate dialog's live preview lists exactly who would be hit
// and follows the fields, the confirmation names the count and the target and defaults to Cancel, read-only
// mode disables the action visibly, and the run shows a result per pid.
#include "actionsupport.h"
#include "core/auditlog.h"
#include "core/readonly.h"
#include "modalsupport.h"
#include "support/testsupport.h"
#include "widgets/terminatedialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <algorithm>

using namespace poolscope;

namespace {

QList<qint64> tablePids(const QTableWidget *table)
{
    QList<qint64> out;
    for (int r = 0; r < table->rowCount(); ++r)
        out.append(table->item(r, 0)->text().toLongLong());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

class TestTerminateDialog : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        audit::setFilePath(m_dir.filePath("audit.jsonl"));
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void livePreviewConfirmAndResults()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-dlg", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(2500);
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-dlg", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QList<qint64> old = {PQbackendPID(held.at(0)), PQbackendPID(held.at(1))};
        std::sort(old.begin(), old.end());

        widgets::TerminateDialog dialog(m_sandbox->uris().monitor, "sandbox");
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto *table = dialog.findChild<QTableWidget *>("previewTable");
        auto *label = dialog.findChild<QLabel *>("previewLabel");
        auto *button = dialog.findChild<QPushButton *>("terminateButton");
        auto *age = dialog.findChild<QSpinBox *>("olderThanSpin");
        auto *app = dialog.findChild<QLineEdit *>("applicationEdit");
        QVERIFY(table && label && button && age && app);
        const QString target = QString("monitor@127.0.0.1:%1/app").arg(m_sandbox->postgresPort());

        // Typing into the fields updates the preview.
        age->setFocus();
        age->selectAll();
        QTest::keyClicks(age, "2");
        QTest::keyClicks(app, "tst-dlg");
        QTRY_COMPARE_WITH_TIMEOUT(tablePids(table), old, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy() && dialog.plan() && dialog.plan()->hits.size() == 2, 5000);
        QVERIFY2(label->text().startsWith("Preview: 2 sessions would be terminated."),
                 qPrintable(label->text()));
        QCOMPARE(table->item(0, 7)->text(), QString("would terminate"));
        QVERIFY(button->isEnabled());
        QCOMPARE(button->text(), QString("&Terminate 2 sessions…"));

        QTest::keyClicks(app, "-nobody");
        QTRY_COMPARE_WITH_TIMEOUT(table->rowCount(), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!button->isEnabled(), 5000);
        for (int i = 0; i < 7; ++i)
            QTest::keyClick(app, Qt::Key_Backspace);
        QTRY_COMPARE_WITH_TIMEOUT(tablePids(table), old, 10000);

        // Read-only mode: visibly disabled, the preview stays.
        auto *readOnlyLabel = dialog.findChild<QLabel *>("readOnlyLabel");
        QVERIFY(readOnlyLabel->isHidden());
        readonly::setReadOnly(true);
        QVERIFY(!button->isEnabled());
        QVERIFY(readOnlyLabel->isVisible());
        readonly::setReadOnly(false);
        QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), 5000);

        // The confirmation names the count and the target, and Enter there means Cancel.
        QString seen;
        test::answerMessageBox(&seen, Qt::Key_Return);
        QTest::keyClick(&dialog, Qt::Key_T, Qt::AltModifier); // the button's mnemonic
        QTRY_VERIFY_WITH_TIMEOUT(!seen.isEmpty(), 5000);
        QCOMPARE(seen, QString("Terminate 2 sessions on sandbox (%1)?").arg(target));
        QTest::qWait(200);
        QVERIFY(!dialog.lastReport());
        for (qint64 pid : old) // checked from outside: a query on them would reset their idle time
            QCOMPARE(test::stateOf(m_sandbox->uris().postgres, pid).value_or("gone"),
                     QString("idle in transaction"));

        QSignalSpy finished(&dialog, &widgets::TerminateDialog::finished);
        QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), 5000);
        seen.clear();
        test::answerMessageBox(&seen, 0);
        button->click();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 15000);
        const auto report = finished.at(0).at(0).value<terminate::Report>();
        QCOMPARE(report.count(terminate::Outcome::Terminated), 2);
        QCOMPARE(report.results.size(), 2);
        QCOMPARE(tablePids(table), old);
        for (int r = 0; r < table->rowCount(); ++r)
            QCOMPARE(table->item(r, 7)->text(), QString("terminated"));
        QCOMPARE(label->text(), QString("Done: 2 terminated."));
        QVERIFY(!button->isEnabled());
        for (int i = 0; i < 2; ++i)
            QVERIFY(
                test::queryError(held.at(i)).contains("terminating connection due to administrator command"));
        QCOMPARE(test::queryError(held.at(2)), QString());

        const auto lines = test::auditLines(audit::filePath());
        QCOMPARE(lines.size(), 1); // previews are not actions; the cancelled confirmation did nothing
        QCOMPARE(lines[0]["source"].toString(), QString("gui"));
        QCOMPARE(lines[0]["result"].toString(), QString("2 terminated"));
    }

    void superuserSessionsOnlyWhenAllowed()
    {
        test::HeldSessions su;
        QString error;
        QVERIFY2(su.open(m_sandbox->uris().postgres, 1, "tst-dlg-super", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1200);
        widgets::TerminateDialog dialog(m_sandbox->uris().monitor, "sandbox");
        terminate::Predicate p;
        p.olderThanS = 1;
        p.application = "tst-dlg-super";
        dialog.setPredicate(p);
        auto *label = dialog.findChild<QLabel *>("previewLabel");
        QTRY_VERIFY_WITH_TIMEOUT(label->text().contains("1 superuser session skipped"), 10000);
        QVERIFY(label->text().startsWith("Preview: no session matches"));
        QVERIFY(!dialog.findChild<QPushButton *>("terminateButton")->isEnabled());
        dialog.findChild<QCheckBox *>("allowSuperuserBox")->setChecked(true);
        QTRY_VERIFY_WITH_TIMEOUT(label->text().startsWith("Preview: 1 session would be terminated."), 10000);
    }
};

QTEST_MAIN(TestTerminateDialog)
#include "tst_terminatedialog.moc"
