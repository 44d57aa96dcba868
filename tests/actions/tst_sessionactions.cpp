// End to end through the window against a real sandbox: the Sessions tab of a PostgreSQL target lists the
// sessions; terminating selected rows asks first (naming them and the target), ends exactly those, and
// leaves an audit line; "No" ends nothing; read-only mode disables the actions visibly.
#include "actionsupport.h"
#include "core/auditlog.h"
#include "core/readonly.h"
#include "modalsupport.h"
#include "support/testsupport.h"
#include "support/windowsupport.h"
#include "widgets/mainwindow.h"
#include "widgets/nowrap.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>

using namespace poolscope;

namespace {

// The pids of application `app` on the sessions page's last sample, sorted.
QList<qint64> pidsOf(const widgets::SessionsPage *page, const QString &app)
{
    QList<qint64> out;
    if (!page || !page->lastSample())
        return out;
    for (const Session &s : page->lastSample()->sessions) {
        if (s.applicationName == app)
            out.append(s.pid);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

class TestSessionActions : public QObject
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

    void terminateSelectedAfterConfirmation()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 3, "tst-victim", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY(m_window->pageFor(0)->showSessionsTab(true));
        QTRY_COMPARE_WITH_TIMEOUT(pidsOf(sessions(), QStringLiteral("tst-victim")).size(), 3, 10000);
        const QList<qint64> pids = pidsOf(sessions(), QStringLiteral("tst-victim"));

        // Two of the three are selected; "No" at the question ends nothing.
        QVERIFY(sessions()->selectPid(pids[0]));
        QVERIFY(sessions()->selectPid(pids[1]));
        QVERIFY(sessions()->terminateAction()->isEnabled());
        QString question;
        test::answerMessageBox(&question, Qt::Key_Escape);
        Q_EMIT sessions()->terminateRequested({pids[0], pids[1]});
        QVERIFY2(question.contains(QStringLiteral("Terminate 2 session(s)")) &&
                     question.contains(QStringLiteral("tst-victim")) &&
                     question.contains(QString::number(pids[0])) &&
                     question.contains(QStringLiteral("monitor@127.0.0.1")),
                 qPrintable(question));
        // The box keeps each age whole ("for 1.2 s" never breaks before its unit).
        QVERIFY2(widgets::keepValuesTogether(question).contains(QStringLiteral("\u00a0s")),
                 qPrintable(question));
        QCOMPARE(widgets::keepValuesTogether(QStringLiteral("held 1 min 9 s at 80 %, 3.5 /s, 2 sessions")),
                 QStringLiteral("held 1\u00a0min\u00a09\u00a0s at 80\u00a0%, 3.5\u00a0/s, 2 sessions"));
        QTest::qWait(500);
        for (qint64 pid : pids)
            QVERIFY(test::stateOf(m_sandbox->uris().postgres, pid).has_value());

        // "Yes": exactly those two end, the third lives on, and the report box comes up.
        QString report;
        test::answerMessageBox(&question, 0);
        Q_EMIT sessions()->terminateRequested({pids[0], pids[1]});
        test::answerMessageBox(&report, 0);
        QTRY_VERIFY_WITH_TIMEOUT(!test::stateOf(m_sandbox->uris().postgres, pids[0]) &&
                                     !test::stateOf(m_sandbox->uris().postgres, pids[1]),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(report.contains(QStringLiteral("2 terminated")), 10000);
        QCOMPARE(test::stateOf(m_sandbox->uris().postgres, pids[2]),
                 std::optional<QString>("idle in transaction"));

        // One audit line names the action, the target and both pids.
        const auto lines = test::auditLines(audit::filePath());
        const auto hit = std::find_if(lines.cbegin(), lines.cend(), [](const QJsonObject &o) {
            return o.value(QStringLiteral("action")).toString() == QLatin1String("terminate");
        });
        QVERIFY(hit != lines.cend());
        const QByteArray line = QJsonDocument(*hit).toJson(QJsonDocument::Compact);
        QVERIFY2(line.contains(QByteArray::number(pids[0])) && line.contains(QByteArray::number(pids[1])),
                 line.constData());
        QVERIFY2(!line.contains("passfile") && !line.contains("password"), line.constData());
        // ... and the log dock shows it.
        auto *logView = m_window->findChild<QPlainTextEdit *>(QStringLiteral("logView"));
        QVERIFY(logView);
        QTRY_VERIFY_WITH_TIMEOUT(logView->toPlainText().contains(QStringLiteral("\"action\":\"terminate\"")),
                                 5000);
    }

    // Delete on a selection that no longer shows what is there does nothing and says why: a session that
    // committed since it was selected, a selection older than the limit. A fresh one is acted on.
    void staleSelectionIsNotActedOn()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-stale", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY(m_window->pageFor(0)->showSessionsTab(true));
        QTRY_COMPARE_WITH_TIMEOUT(pidsOf(sessions(), QStringLiteral("tst-stale")).size(), 2, 10000);
        const QList<qint64> pids = pidsOf(sessions(), QStringLiteral("tst-stale"));
        PGconn *first = PQbackendPID(held.at(0)) == pids[0] ? held.at(0) : held.at(1);
        QCOMPARE(PQbackendPID(first), int(pids[0]));
        QApplication::setActiveWindow(m_window.get());
        QTableView *table = sessions()->tableView();
        QSignalSpy requests(sessions(), &widgets::SessionsPage::terminateRequested);

        // Selected while idle in transaction, then it commits: the transaction seen is gone.
        QVERIFY(sessions()->selectPid(pids[0]));
        QVERIFY(test::queryError(first, "COMMIT").isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(sessions()->lastSample()->session(pids[0]) &&
                                     sessions()->lastSample()->session(pids[0])->state ==
                                         QStringLiteral("idle"),
                                 5000);
        table->setFocus();
        QTest::keyClick(table, Qt::Key_Delete);
        QCOMPARE(requests.size(), 0);
        QLabel *why = sessions()->staleSelectionLabel();
        QVERIFY(why->isVisibleTo(sessions()));
        QVERIFY2(why->text().contains(QString::number(pids[0])) &&
                     why->text().contains(QStringLiteral("changed")),
                 qPrintable(why->text()));
        QVERIFY(sessions()->selectedPids().isEmpty());
        QVERIFY(test::stateOf(m_sandbox->uris().postgres, pids[0]).has_value());

        // A selection older than the limit (lowered here from a minute).
        sessions()->selectionGuard().setMaxAgeMs(300);
        QVERIFY(sessions()->selectPid(pids[1]));
        QVERIFY(!why->isVisibleTo(sessions()));
        QTest::qWait(600);
        QTest::keyClick(table, Qt::Key_Delete);
        QCOMPARE(requests.size(), 0);
        QVERIFY2(why->isVisibleTo(sessions()) && why->text().contains(QStringLiteral("ago")),
                 qPrintable(why->text()));

        // Selected again now: Delete asks (No here), naming it.
        sessions()->selectionGuard().setMaxAgeMs(widgets::SelectionGuard::kMaxAgeMs);
        QVERIFY(sessions()->selectPid(pids[1]));
        QString question;
        test::answerMessageBox(&question, Qt::Key_Escape);
        QTest::keyClick(table, Qt::Key_Delete);
        QCOMPARE(requests.size(), 1);
        QCOMPARE(requests.at(0).at(0).value<QList<qint64>>(), QList<qint64>{pids[1]});
        QVERIFY2(question.contains(QString::number(pids[1])), qPrintable(question));
        QVERIFY(test::stateOf(m_sandbox->uris().postgres, pids[1]).has_value());
    }

    void readOnlyDisablesActionsVisibly()
    {
        m_window->lockReadOnly();
        QVERIFY(readonly::isReadOnly());
        QVERIFY(!sessions()->actionsEnabled());
        QVERIFY(!sessions()->terminateAction()->isEnabled());
        QVERIFY(!sessions()->bulkTerminateAction()->isEnabled());
        QVERIFY(sessions()->readOnlyLabel()->isVisibleTo(sessions()));
        auto *toggle = m_window->findChild<QAction *>(QStringLiteral("actionReadOnly"));
        QVERIFY(toggle && toggle->isChecked() && !toggle->isEnabled());
        bool statusSays = false;
        for (QLabel *label : m_window->statusBar()->findChildren<QLabel *>())
            statusSays = statusSays || label->text().contains(QStringLiteral("READ-ONLY"));
        QVERIFY(statusSays);

        // Even a request that gets through (a stale shortcut) is refused and audited, never run.
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-spared", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(pidsOf(sessions(), QStringLiteral("tst-spared")).size(), 1, 10000);
        const qint64 pid = pidsOf(sessions(), QStringLiteral("tst-spared")).first();
        QString notice;
        test::answerMessageBox(&notice, 0);
        Q_EMIT sessions()->terminateRequested({pid});
        QVERIFY2(notice.contains(QStringLiteral("read-only")), qPrintable(notice));
        QVERIFY(test::stateOf(m_sandbox->uris().postgres, pid).has_value());
        const auto lines = test::auditLines(audit::filePath());
        QVERIFY(!lines.isEmpty());
        QCOMPARE(lines.last().value(QStringLiteral("result")).toString(), readonly::refusalText());
    }
};

QTEST_MAIN(TestSessionActions)
#include "tst_sessionactions.moc"
