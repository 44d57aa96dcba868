// Integration (offscreen GUI, real PostgreSQL 15 + PgBouncer 1.18 sandbox): findings in the main window. Held
// idle-in-transaction sessions are named in the Findings dock, counted in the status bar, named in the
// fleet's Needs attention column and marked on the charts; Enter goes to exactly those sessions; the
// finding's action (confirmed, audited) ends exactly the holders and the finding turns "recovered". The dock
// comes back after the user closed it only for a new critical finding; read-only mode disables the action.
#include "actions/actionsupport.h"
#include "actions/modalsupport.h"
#include "core/auditlog.h"
#include "core/readonly.h"
#include "models/findingsmodel.h"
#include "models/targetlistmodel.h"
#include "support/serverrestart.h"
#include "support/testsupport.h"
#include "support/windowsupport.h"
#include "widgets/findingscontroller.h"
#include "widgets/findingspanel.h"
#include "widgets/fleetview.h"
#include "widgets/mainwindow.h"
#include "widgets/sessionactions.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QApplication>
#include <QDockWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextDocument>
#include <QTextEdit>
#include <QToolButton>

using namespace poolscope;
using findings::Finding;
using widgets::MainWindow;
using widgets::TimeChart;

namespace {

constexpr int kNamedMs = 20000; // idle in transaction for 5 s, then named within a few samples

QList<qint64> backendPids(const test::HeldSessions &held)
{
    QList<qint64> pids;
    for (int i = 0; i < held.size(); ++i)
        pids.append(PQbackendPID(held.at(i)));
    std::sort(pids.begin(), pids.end());
    return pids;
}

} // namespace

class TestFindings : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    QTemporaryDir m_dir;
    std::unique_ptr<MainWindow> m_window;
    test::HeldSessions m_leak;
    test::HeldSessions m_bystander;
    quint64 m_leakId = 0;

    widgets::FindingsController *findings() const { return m_window->findings(); }
    widgets::FindingsPanel *panel() const { return findings()->panel(); }

    std::optional<Finding> openFinding(const QString &rule, const QString &subject) const
    {
        for (const Finding &f : findings()->engine().openFindings()) {
            if (f.rule == rule && f.subject == subject)
                return f;
        }
        return std::nullopt;
    }

    /// Opens `n` sessions of `app` idle in transaction and waits until the window names their leak.
    std::optional<Finding> holdUntilNamed(test::HeldSessions &held, int n, const QByteArray &app)
    {
        QString error;
        if (!held.open(m_sandbox->uris().app, n, app, {"BEGIN", "SELECT 1"}, &error)) {
            qWarning("holding %s failed: %s", app.constData(), qPrintable(error));
            return std::nullopt;
        }
        const QString subject = QString::fromUtf8(app);
        const bool named = QTest::qWaitFor(
            [&] { return openFinding(findings::rule::IdleInTransactionLeak, subject).has_value(); },
            kNamedMs);
        return named ? openFinding(findings::rule::IdleInTransactionLeak, subject) : std::nullopt;
    }

    int modelRow(quint64 id) const { return panel()->model()->rowOf(id); }
    QString modelText(quint64 id, int column) const
    {
        return panel()->model()->index(modelRow(id), column).data().toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        audit::setFilePath(m_dir.filePath("audit.jsonl"));
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
        m_window = test::openWindowOnSandbox(*m_sandbox, 200);
        QVERIFY(m_window);
    }

    void cleanupTestCase()
    {
        m_leak.closeAll();
        m_bystander.closeAll();
        m_window.reset();
        m_sandbox.reset();
    }

    // A finding whose figures move at every sample: the evidence values change in place and the advice pane,
    // the same text, is not laid out again (at 10,000 sessions that was a quarter of the GUI thread).
    void movingFiguresUpdateTheDetailInPlace()
    {
        widgets::FindingsPanel panel; // not shown: the main window keeps the focus for the tests below
        panel.resize(600, 500);
        findings::Finding f;
        f.id = 7;
        f.rule = QStringLiteral("rule::connections_near_max");
        f.severity = findings::Severity::Warning;
        f.targetId = 1;
        f.target = QStringLiteral("demo");
        f.targets = {f.target};
        f.summary = QStringLiteral("Connections near max_connections");
        f.advice = {QStringLiteral("Put a pooler in front")};
        f.evidence.insert("connections", 9990);
        f.evidence.insert("max_connections", 10100);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        panel.setFindings({f}, now, 60);
        QTableWidget *evidence = panel.evidenceTable();
        QCOMPARE(evidence->rowCount(), 2);
        QCOMPARE(evidence->item(0, 1)->text(), QStringLiteral("9990"));
        QTableWidgetItem *const valueItem = evidence->item(0, 1);
        QSignalSpy advice(panel.findChild<QTextEdit *>()->document(), &QTextDocument::contentsChanged);

        // Figures only: shown within a second (not laid out at every sample), in place.
        QElapsedTimer clock;
        clock.start();
        f.evidence.insert("connections", 9995);
        panel.setFindings({f}, now + 100, 60);
        QTRY_COMPARE_WITH_TIMEOUT(evidence->item(0, 1)->text(), QStringLiteral("9995"), 2000);
        QVERIFY2(clock.elapsed() < 1500, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(evidence->item(0, 1), valueItem); // the same row, its text set
        QCOMPARE(advice.size(), 0);

        f.summary = QStringLiteral("Connections at max_connections");
        f.evidence.insert("refused", 3);
        panel.setFindings({f}, now + 200, 60);
        QTRY_VERIFY_WITH_TIMEOUT(advice.size() > 0, 2000);

        QVERIFY2(panel.adviceText().contains(QStringLiteral("at max_connections")),
                 qPrintable(panel.adviceText()));

        // A change of state shows at once, with its figures.
        f.endedAtMs = now + 300;
        f.status = findings::Status::Resolved;
        f.evidence.insert("connections", 120);
        panel.setFindings({f}, now + 300, 60);
        QCOMPARE(evidence->item(0, 1)->text(), QStringLiteral("120"));
        QVERIFY2(panel.adviceText().contains(QStringLiteral("at max_connections")),
                 qPrintable(panel.adviceText()));
        QCOMPARE(evidence->rowCount(), 3);
        QCOMPARE(evidence->item(2, 0)->text(), QStringLiteral("refused"));
        QCOMPARE(evidence->item(2, 1)->text(), QStringLiteral("3"));
    }

    void leakIsNamedCountedAndMarked()
    {
        // Nothing found yet: no dock in the way, and the status bar says so.
        QVERIFY(!findings()->dock()->isVisible());
        QCOMPARE(findings()->statusButton()->text(), QString("No findings"));

        QString error;
        QVERIFY2(m_bystander.open(m_sandbox->uris().app, 1, "tst-bystander", {"SELECT 1"}, &error),
                 qPrintable(error));
        const std::optional<Finding> named = holdUntilNamed(m_leak, 2, "tst-leak");
        QVERIFY(named);
        const Finding f = *named;
        m_leakId = f.id;
        QCOMPARE(f.severity, findings::Severity::Critical); // every session of the application
        QCOMPARE(f.pids.size(), 2);

        // The dock showed itself, with the finding in words and its action.
        QTRY_VERIFY_WITH_TIMEOUT(findings()->dock()->isVisible(), 2000);
        QVERIFY(modelRow(f.id) >= 0);
        QCOMPARE(modelText(f.id, models::FindingsModel::SeverityColumn), QString("critical"));
        QCOMPARE(modelText(f.id, models::FindingsModel::RuleColumn), findings::rule::IdleInTransactionLeak);
        QCOMPARE(modelText(f.id, models::FindingsModel::StatusColumn), QString("active"));
        QVERIFY(modelText(f.id, models::FindingsModel::SummaryColumn).contains("tst-leak"));
        QVERIFY(panel()->selectFinding(f.id));
        QVERIFY2(panel()->summaryText().contains("tst-leak"), qPrintable(panel()->summaryText()));
        QVERIFY2(panel()->adviceText().contains("Terminate the 2 holders"),
                 qPrintable(panel()->adviceText()));
        QVERIFY(panel()->evidenceTable()->rowCount() > 5);
        QCOMPARE(panel()->actionButton()->text(), QString("Terminate the 2 holders"));
        QVERIFY(panel()->actionButton()->isEnabled());

        // The status bar counts it.
        QCOMPARE(findings()->statusButton()->text(), QString("1 finding: 1 critical"));

        // The fleet overview names it first, in words.
        QTableView *fleet = m_window->fleetView()->table();
        QTRY_VERIFY_WITH_TIMEOUT(fleet->model()
                                     ->index(0, models::TargetListModel::AttentionColumn)
                                     .data()
                                     .toString()
                                     .startsWith(findings::rule::IdleInTransactionLeak + ": tst-leak"),
                                 3000);
        QCOMPARE(m_window->fleetView()->displayedIds().first(),
                 fleet->model()->index(0, 0).data(models::TargetListModel::IdRole).toInt());

        // Every chart of the PostgreSQL target carries its marker, labels apart.
        for (QCustomPlot *plot : m_window->chartsFor(0)) {
            auto *chart = qobject_cast<TimeChart *>(plot);
            QVERIFY(chart);
            const auto markers = chart->markers();
            const auto hit = std::find_if(markers.cbegin(), markers.cend(), [](const TimeChart::Marker &m) {
                return m.label == findings::rule::IdleInTransactionLeak;
            });
            QVERIFY2(hit != markers.cend(), qPrintable(chart->title()));
            QCOMPARE(hit->kind, TimeChart::Marker::Kind::Event);
            QVERIFY(hit->isOngoing());
            QCOMPARE(hit->start, double(f.sinceMs) / 1000.0);
            chart->refreshNow();
            const QList<QRectF> labels = chart->markerLabelRects();
            QVERIFY(!labels.isEmpty());
            for (int i = 0; i < labels.size(); ++i) {
                for (int j = i + 1; j < labels.size(); ++j)
                    QVERIFY2(!labels[i].intersects(labels[j]), qPrintable(chart->title()));
            }
        }
        // The pooler's charts are not about this finding.
        for (QCustomPlot *plot : m_window->chartsFor(1))
            QVERIFY(qobject_cast<TimeChart *>(plot)->markers().isEmpty());
    }

    void enterGoesToExactlyItsSessions()
    {
        QVERIFY(m_leakId);
        m_window->showFleet();
        QVERIFY(panel()->selectFinding(m_leakId));
        panel()->focusList();
        QTest::keyClick(panel()->tableView(), Qt::Key_Return);
        QCOMPARE(m_window->currentTarget(), 0);
        widgets::SessionsPage *sessions = m_window->pageFor(0)->sessions();
        QVERIFY(sessions->isVisible());
        QList<qint64> selected = sessions->selectedPids();
        std::sort(selected.begin(), selected.end());
        QCOMPARE(selected, backendPids(m_leak));
    }

    void actionEndsExactlyTheHoldersAndTheFindingRecovers()
    {
        QVERIFY(m_leakId);
        const QList<qint64> holders = backendPids(m_leak);
        const qint64 bystander = PQbackendPID(m_bystander.at(0));
        QString asked;
        widgets::SessionActions *actions = m_window->sessionActionsFor(0);
        actions->setConfirm([&asked](const QString &text) {
            asked = text;
            return true;
        });
        actions->setShowReport([](const terminate::Report &) {});

        // From the list, the keyboard reaches the action: Tab to "Go to the evidence", Tab to the action.
        QVERIFY(panel()->selectFinding(m_leakId));
        panel()->focusList();
        QTest::keyClick(panel()->tableView(), Qt::Key_Tab);
        QVERIFY(panel()->evidenceButton()->hasFocus());
        QTest::keyClick(panel()->evidenceButton(), Qt::Key_Tab);
        QVERIFY(panel()->actionButton()->hasFocus());
        QVERIFY(panel()->actionButton()->isEnabled());
        QTest::keyClick(panel()->actionButton(), Qt::Key_Return);
        QVERIFY(!m_window->isPaused());

        // Asked first, naming the sessions; then exactly the holders end.
        QVERIFY2(asked.contains("Terminate 2 session(s)") && asked.contains("tst-leak"),
                 qPrintable(asked + " / " + panel()->actionButton()->toolTip()));
        for (qint64 pid : holders)
            QVERIFY2(asked.contains(QString::number(pid)), qPrintable(asked));
        QTRY_VERIFY_WITH_TIMEOUT(!test::stateOf(m_sandbox->uris().postgres, holders[0]) &&
                                     !test::stateOf(m_sandbox->uris().postgres, holders[1]),
                                 10000);
        QCOMPARE(test::stateOf(m_sandbox->uris().postgres, bystander), std::optional<QString>("idle"));
        const auto lines = test::auditLines(audit::filePath());
        const auto hit = std::find_if(lines.cbegin(), lines.cend(), [](const QJsonObject &o) {
            return o.value("action").toString() == "terminate";
        });
        QVERIFY(hit != lines.cend());
        const QByteArray line = QJsonDocument(*hit).toJson(QJsonDocument::Compact);
        for (qint64 pid : holders)
            QVERIFY2(line.contains(QByteArray::number(pid)), line.constData());
        QVERIFY2(!line.contains(QByteArray::number(bystander)), line.constData());

        // "action taken, watching", then "recovered at …".
        QTRY_VERIFY_WITH_TIMEOUT(findings()->engine().finding(m_leakId)->status != findings::Status::Active,
                                 5000);
        QTRY_COMPARE_WITH_TIMEOUT(findings()->engine().finding(m_leakId)->status, findings::Status::Recovered,
                                  15000);
        QVERIFY2(modelText(m_leakId, models::FindingsModel::StatusColumn).startsWith("recovered at "),
                 qPrintable(modelText(m_leakId, models::FindingsModel::StatusColumn)));
        QVERIFY(findings()->engine().finding(m_leakId)->actionTaken.contains("2 terminated"));
        QVERIFY(
            !panel()->model()->index(modelRow(m_leakId), 0).data(models::FindingsModel::OpenRole).toBool());
        // Its marker ends where it ended.
        const auto markers = qobject_cast<TimeChart *>(m_window->chartsFor(0).first())->markers();
        const auto marker = std::find_if(markers.cbegin(), markers.cend(), [](const TimeChart::Marker &m) {
            return m.label == findings::rule::IdleInTransactionLeak;
        });
        QVERIFY(marker != markers.cend() && !marker->isOngoing());
        m_leak.closeAll();
    }

    void closedDockReturnsOnlyForANewCriticalFinding()
    {
        QVERIFY(findings()->dock()->isVisible());
        findings()->toggleAction()->trigger(); // the user closes it
        QVERIFY(!findings()->dock()->isVisible());
        // The status bar's count opens it again, the keyboard in its list; closed once more.
        QTest::mouseClick(findings()->statusButton(), Qt::LeftButton);
        QVERIFY(findings()->dock()->isVisible());
        QVERIFY(panel()->tableView()->hasFocus());
        findings()->toggleAction()->trigger();
        QVERIFY(!findings()->dock()->isVisible());

        // A warning (2 of the application's 3 sessions idle in transaction) is listed, the dock stays shut.
        test::HeldSessions warnHeld;
        test::HeldSessions warnIdle;
        QString error;
        QVERIFY2(warnIdle.open(m_sandbox->uris().app, 1, "tst-warn", {"SELECT 1"}, &error),
                 qPrintable(error));
        const std::optional<Finding> named = holdUntilNamed(warnHeld, 2, "tst-warn");
        QVERIFY(named);
        const Finding warn = *named;
        QCOMPARE(warn.severity, findings::Severity::Warning);
        QTRY_VERIFY_WITH_TIMEOUT(modelRow(warn.id) >= 0, 2000);
        QTest::qWait(1000);
        QVERIFY(!findings()->dock()->isVisible());
        QVERIFY2(findings()->statusButton()->text().contains("warning") &&
                     !findings()->statusButton()->text().contains("critical"),
                 qPrintable(findings()->statusButton()->text()));

        // A new critical one brings it back.
        test::HeldSessions critical;
        QVERIFY(holdUntilNamed(critical, 2, "tst-crit"));
        QTRY_VERIFY_WITH_TIMEOUT(findings()->dock()->isVisible(), 2000);
        QVERIFY2(findings()->statusButton()->text().contains("1 critical"),
                 qPrintable(findings()->statusButton()->text()));
    }

    void reconnectAfterARestartIsConfirmedAuditedAndWatched()
    {
        // PostgreSQL restarts behind PgBouncer: dead-connections, critical, offers RECONNECT on the console
        // the window samples as its admin.
        QString error;
        QVERIFY2(test::restartPostgres(*m_sandbox, &error), qPrintable(error));
        const auto dead = [this]() -> std::optional<Finding> {
            for (const Finding &f : findings()->engine().openFindings()) {
                if (f.rule == findings::rule::DeadConnections &&
                    f.action.kind == findings::Action::Kind::PoolerReconnect)
                    return f;
            }
            return std::nullopt;
        };
        QTRY_VERIFY_WITH_TIMEOUT(dead(), 30000);
        const Finding f = *dead();
        QVERIFY2(f.action.label.startsWith("RECONNECT app on pgbadmin@"), qPrintable(f.action.label));
        QTRY_VERIFY_WITH_TIMEOUT(panel()->selectFinding(f.id), 2000);
        QCOMPARE(panel()->actionButton()->text(), f.action.label);
        QVERIFY(panel()->actionButton()->isEnabled());

        // Asked first (the PgBouncer page's question), then sent, audited, and watched.
        QSignalSpy done(findings(), &widgets::FindingsController::actionFinished);
        QString asked;
        test::answerMessageBox(&asked, 0);
        QTest::mouseClick(panel()->actionButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.size(), 1, 15000);
        QVERIFY2(!asked.isEmpty(), "no question before RECONNECT");
        QCOMPARE(done.first().at(0).value<quint64>(), f.id);
        QVERIFY2(done.first().at(1).toBool(), qPrintable(done.first().at(2).toString()));
        const auto lines = test::auditLines(audit::filePath());
        const auto hit = std::find_if(lines.cbegin(), lines.cend(), [](const QJsonObject &o) {
            return o.value("action").toString() == "pooler.reconnect";
        });
        QVERIFY(hit != lines.cend());
        QCOMPARE(hit->value("argument").toString(), QString("app"));
        const auto after = findings()->engine().finding(f.id);
        QVERIFY(after && after->actionAtMs);
        QVERIFY(after->status == findings::Status::ActionTaken || !after->isOpen());
        QVERIFY(!modelText(f.id, models::FindingsModel::StatusColumn).startsWith("active"));
    }

    void readOnlyDisablesTheAction()
    {
        test::HeldSessions critical;
        const std::optional<Finding> named = holdUntilNamed(critical, 2, "tst-ro");
        QVERIFY(named);
        const quint64 critId = named->id;

        // Read-only mode: the action is disabled and says why; nothing is asked or run.
        QVERIFY(panel()->selectFinding(critId));
        QVERIFY(panel()->actionButton()->isEnabled());
        m_window->lockReadOnly();
        QVERIFY(!panel()->actionButton()->isEnabled());
        QVERIFY2(panel()->actionButton()->toolTip().contains("read-only"),
                 qPrintable(panel()->actionButton()->toolTip()));
        QString notice;
        test::answerMessageBox(&notice, 0);
        findings()->act(critId); // a request that gets through anyway is refused by SessionActions
        QVERIFY2(notice.contains("read-only"), qPrintable(notice));
        for (qint64 pid : backendPids(critical))
            QCOMPARE(test::stateOf(m_sandbox->uris().postgres, pid),
                     std::optional<QString>("idle in transaction"));
        QCOMPARE(test::auditLines(audit::filePath()).last().value("result").toString(),
                 readonly::refusalText());
    }
};

QTEST_MAIN(TestFindings)
#include "tst_findings.moc"
