// End to end through the window against a real sandbox: a session ended from the Sessions tab (selected,
// Delete, confirmed) shows in the Audit view (View → Audit trail, Ctrl+Shift+A) as a row with its time,
// action, target, pid and result, read back from the audit log the window wrote; the filter narrows it.
#include "actionsupport.h"
#include "core/auditlog.h"
#include "modalsupport.h"
#include "support/testsupport.h"
#include "support/windowsupport.h"
#include "widgets/auditview.h"
#include "widgets/mainwindow.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"

#include <QApplication>
#include <QJsonArray>
#include <QLineEdit>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using widgets::AuditView;

class TestAuditView : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    QTemporaryDir m_dir;
    std::unique_ptr<widgets::MainWindow> m_window;

    widgets::SessionsPage *sessions() const
    {
        widgets::TargetPage *page = m_window->pageFor(0);
        return page ? page->sessions() : nullptr;
    }

    qint64 pidOf(const QString &app) const
    {
        if (!sessions() || !sessions()->lastSample())
            return 0;
        for (const Session &s : sessions()->lastSample()->sessions)
            if (s.applicationName == app)
                return s.pid;
        return 0;
    }

    /// The first row of the view whose Sessions column names `pid`; -1 when none.
    static int rowOfPid(const AuditView *view, qint64 pid)
    {
        for (int row = 0; row < view->rowCount(); ++row)
            if (view->text(row, AuditView::Sessions)
                    .split(QStringLiteral(", "))
                    .contains(QString::number(pid)))
                return row;
        return -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        audit::setFilePath(m_dir.filePath("audit.jsonl"));
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
        m_window = test::openWindowOnSandbox(*m_sandbox, 200, test::WithPooler::No);
        QVERIFY(m_window);
    }
    void cleanupTestCase()
    {
        m_window.reset();
        m_sandbox.reset();
    }

    void terminatedSessionShowsInTheAuditView()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-audited", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY(m_window->pageFor(0)->showSessionsTab(true));
        QTRY_VERIFY_WITH_TIMEOUT(pidOf(QStringLiteral("tst-audited")) > 0, 10000);
        const qint64 pid = pidOf(QStringLiteral("tst-audited"));

        // As a user does it: the row selected, Delete in the table, Yes.
        QVERIFY(sessions()->selectPid(pid));
        QTableView *table = sessions()->tableView();
        table->setFocus();
        QString question;
        QString report;
        test::answerMessageBox(&question, 0);
        QTest::keyClick(table, Qt::Key_Delete);
        QVERIFY2(question.contains(QString::number(pid)), qPrintable(question));
        test::answerMessageBox(&report, 0);
        QTRY_VERIFY_WITH_TIMEOUT(!test::stateOf(m_sandbox->uris().postgres, pid), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(report.contains(QStringLiteral("1 terminated")), 10000);

        // View → Audit trail by its key: the row names the action, the target, the pid and the result.
        AuditView *view = m_window->auditView();
        QVERIFY(view && !view->isVisible());
        QApplication::setActiveWindow(m_window.get()); // the message boxes had it
        QTRY_VERIFY(m_window->isActiveWindow());
        QTest::keyClick(m_window.get(), Qt::Key_A, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY(view->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(rowOfPid(view, pid) >= 0, 3000);
        const int row = rowOfPid(view, pid);
        QCOMPARE(view->text(row, AuditView::Action), QStringLiteral("terminate"));
        const QString target = view->text(row, AuditView::Target);
        QVERIFY2(target.startsWith(QStringLiteral("monitor@127.0.0.1:")) &&
                     target.endsWith(QStringLiteral("/app")),
                 qPrintable(target));
        QVERIFY2(view->text(row, AuditView::Result).contains(QStringLiteral("1 terminated")),
                 qPrintable(view->text(row, AuditView::Result)));
        QCOMPARE(view->text(row, AuditView::Source), QStringLiteral("gui"));
        const QDateTime when =
            QDateTime::fromString(view->text(row, AuditView::Time), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        QVERIFY2(qAbs(when.secsTo(QDateTime::currentDateTime())) < 60,
                 qPrintable(view->text(row, AuditView::Time)));

        // The filter: the pid leaves that row alone; a word nowhere in the log leaves none.
        QVERIFY(view->rowCount() >= 1);
        view->filterEdit()->setFocus();
        QTest::keyClicks(view->filterEdit(), QString::number(pid));
        QCOMPARE(view->rowCount(), 1);
        QCOMPARE(rowOfPid(view, pid), 0);
        view->filterEdit()->setText(QStringLiteral("no-such-thing-in-the-log"));
        QCOMPARE(view->rowCount(), 0);
        view->filterEdit()->clear();

        // A line another process appends (poolscope terminate in a shell) comes in while the view is open.
        QVERIFY(audit::record(QStringLiteral("cancel"), QStringLiteral("app@127.0.0.1:5432/app"),
                              {{QStringLiteral("pids"), QJsonArray{424242}},
                               {QStringLiteral("result"), QStringLiteral("1 cancelled")},
                               {QStringLiteral("source"), QStringLiteral("cli")}}));
        QTRY_VERIFY_WITH_TIMEOUT(rowOfPid(view, 424242) == 0, 3000);
        QCOMPARE(view->text(0, AuditView::Result), QStringLiteral("1 cancelled"));
    }
};

QTEST_MAIN(TestAuditView)
#include "tst_auditview.moc"
