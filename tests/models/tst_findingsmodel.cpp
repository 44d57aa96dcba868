// The Findings dock's model over the engine's findings: merged rows (never a reset, so the selection stays),
// the engine's worst-first order as a rank, status and age in words, ended findings greyed; and the fleet's
// "Needs attention" column naming the worst open finding of a target. Under QAbstractItemModelTester.
#include "models/findingsmodel.h"
#include "models/targetlistmodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QDateTime>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using namespace poolscope;
using findings::Finding;
using findings::Severity;
using findings::Status;
using models::FindingsModel;
using models::TargetListModel;

namespace {

constexpr qint64 kNow = 1'700'000'100'000; // ms

QString clock(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString("HH:mm:ss");
}

Finding finding(quint64 id, const QString &rule, Severity severity, qint64 sinceMs, int targetId = 1)
{
    Finding f;
    f.id = id;
    f.rule = rule;
    f.subject = QStringLiteral("billing");
    f.severity = severity;
    f.targetId = targetId;
    f.target = QStringLiteral("monitor@db1:5432/app");
    f.targetIds = {targetId};
    f.targets = {f.target};
    f.sinceMs = sinceMs;
    f.raisedAtMs = sinceMs + 5000;
    f.lastSeenMs = kNow;
    f.summary = rule + QStringLiteral(": something plain happens");
    f.advice = {QStringLiteral("Do this first"), QStringLiteral("Then that")};
    return f;
}

Finding ended(Finding f, Status status, qint64 endedAtMs)
{
    f.endedAtMs = endedAtMs;
    f.status = status;
    return f;
}

QList<Finding> sorted(QList<Finding> list)
{
    std::stable_sort(list.begin(), list.end(), findings::worseFirst);
    return list;
}

QString cell(const QAbstractItemModel &m, int row, int column, int role = Qt::DisplayRole)
{
    return m.data(m.index(row, column), role).toString();
}

} // namespace

class TestFindingsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statusInWords_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("isEnded");
        QTest::addColumn<QString>("words");
        const qint64 end = kNow - 3000;
        QTest::addRow("active") << int(Status::Active) << false << "active";
        QTest::addRow("action taken") << int(Status::ActionTaken) << false << "action taken, watching";
        QTest::addRow("recovered") << int(Status::Recovered) << true << "recovered at " + clock(end);
        QTest::addRow("still present") << int(Status::StillPresent) << false << "still present after 30 s";
        QTest::addRow("resolved") << int(Status::Resolved) << true << "resolved at " + clock(end);
    }

    void statusInWords()
    {
        QFETCH(int, status);
        QFETCH(bool, isEnded);
        QFETCH(QString, words);
        Finding f = finding(1, findings::rule::IdleInTransactionLeak, Severity::Critical, kNow - 60000);
        f.status = Status(status);
        if (isEnded)
            f.endedAtMs = kNow - 3000;
        QCOMPARE(FindingsModel::statusWords(f, 30), words);
        FindingsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setFindings({f}, kNow, 30);
        QCOMPARE(cell(model, 0, FindingsModel::StatusColumn), words);
        QCOMPARE(model.data(model.index(0, 0), FindingsModel::OpenRole).toBool(), !isEnded);
    }

    void sinceIsTimeAndAge()
    {
        const Finding f = finding(1, findings::rule::LockPileup, Severity::Warning, kNow - 125'400);
        QCOMPARE(FindingsModel::sinceWords(f, kNow), clock(kNow - 125'400) + " (2 min 5 s ago)");
        QCOMPARE(FindingsModel::sinceWords(f, kNow - 120'000), clock(kNow - 125'400) + " (5 s ago)");
        FindingsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setFindings({f}, kNow - 120'000, 30);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setNow(kNow);
        QCOMPARE(changed.size(), 1); // ages move on without new findings
        QCOMPARE(cell(model, 0, FindingsModel::SinceColumn), clock(kNow - 125'400) + " (2 min 5 s ago)");
    }

    void mergesWithoutResetAndRanksWorstFirst()
    {
        FindingsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(FindingsModel::RankRole);
        proxy.setDynamicSortFilter(true);
        proxy.sort(0);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);

        const Finding leak =
            finding(1, findings::rule::IdleInTransactionLeak, Severity::Warning, kNow - 20000);
        const Finding lock = finding(2, findings::rule::LockPileup, Severity::Critical, kNow - 10000);
        model.setFindings(sorted({leak, lock}), kNow, 30);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.openCount(), 2);
        QCOMPARE(cell(proxy, 0, FindingsModel::RuleColumn), findings::rule::LockPileup); // critical first
        QCOMPARE(cell(proxy, 1, FindingsModel::RuleColumn), findings::rule::IdleInTransactionLeak);
        const QPersistentModelIndex leakRow = model.index(model.rowOf(1), 0);

        // The leak escalates, the lock pile-up resolves, a churn finding opens: rows merge.
        Finding worse = leak;
        worse.severity = Severity::Critical;
        const Finding churn = finding(3, findings::rule::ConnectionChurn, Severity::Info, kNow - 2000);
        model.setFindings(sorted({worse, ended(lock, Status::Resolved, kNow - 1000), churn}), kNow, 30);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.openCount(), 2);
        QVERIFY(leakRow.isValid());
        QCOMPARE(leakRow.data(FindingsModel::FindingIdRole).value<quint64>(), quint64(1));
        QCOMPARE(cell(proxy, 0, FindingsModel::RuleColumn), findings::rule::IdleInTransactionLeak);
        QCOMPARE(cell(proxy, 0, FindingsModel::SeverityColumn), QString("critical"));
        QCOMPARE(cell(proxy, 1, FindingsModel::RuleColumn), findings::rule::ConnectionChurn);
        QCOMPARE(cell(proxy, 2, FindingsModel::RuleColumn), findings::rule::LockPileup); // ended: last

        // The ended one is greyed everywhere, the open critical one in its colour.
        const QColor grey =
            proxy.data(proxy.index(2, FindingsModel::SummaryColumn), Qt::ForegroundRole).value<QColor>();
        QVERIFY(grey.isValid());
        QCOMPARE(proxy.data(proxy.index(2, 0), Qt::DecorationRole).value<QColor>(), grey);
        QCOMPARE(proxy.data(proxy.index(0, 0), Qt::DecorationRole).value<QColor>(),
                 FindingsModel::severityColor(Severity::Critical));
        QVERIFY(!proxy.data(proxy.index(0, FindingsModel::SummaryColumn), Qt::ForegroundRole).isValid());
        QCOMPARE(cell(proxy, 2, FindingsModel::StatusColumn), "resolved at " + clock(kNow - 1000));
        QVERIFY(!cell(proxy, 0, FindingsModel::RuleColumn, Qt::ToolTipRole).isEmpty()); // what the rule means

        // Forgotten by the engine: the row goes.
        model.setFindings(sorted({worse}), kNow, 30);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.rowOf(3), -1);
        QCOMPARE(resets.size(), 0);
        model.setFindings({}, kNow, 30);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(model.findingAt(0) == nullptr);
    }

    void everyRuleHasAMeaning()
    {
        for (const QString &rule : findings::rule::all())
            QVERIFY2(!FindingsModel::ruleMeaning(rule).isEmpty(), qPrintable(rule));
    }

    void fleetAttentionNamesTheWorstFinding()
    {
        TargetListModel targets;
        QAbstractItemModelTester tester(&targets, QAbstractItemModelTester::FailureReportingMode::QtTest);
        targets.addTarget(1, "monitor@db1:5432/app");
        targets.addTarget(2, "monitor@db2:5432/app");
        const auto attention = [&](int row) {
            return cell(targets, row, TargetListModel::AttentionColumn);
        };
        const auto trouble = [&](int row) {
            return targets.data(targets.index(row, 0), TargetListModel::TroubleRole).toDouble();
        };
        QVERIFY(attention(0).isEmpty());
        const double calm = trouble(0);
        QCOMPARE(trouble(1), calm);

        const Finding leak =
            finding(1, findings::rule::IdleInTransactionLeak, Severity::Critical, kNow - 9000);
        const Finding churn = finding(2, findings::rule::ConnectionChurn, Severity::Warning, kNow - 5000);
        targets.setFindings(1, sorted({churn, leak}));
        QCOMPARE(attention(0), leak.rule + ": " + leak.summary + " (+1 more)");
        QCOMPARE(cell(targets, 0, TargetListModel::AttentionColumn, Qt::ToolTipRole), attention(0));
        QVERIFY(trouble(0) > calm);
        targets.setFindings(2, {churn});
        QCOMPARE(attention(1), churn.rule + ": " + churn.summary);
        QVERIFY(trouble(0) > trouble(1)); // critical above warning
        QVERIFY(trouble(1) > calm);

        // A failed target still outranks any finding, and says its error.
        targets.setState(2, TargetState::Failed, "connection refused");
        QVERIFY(trouble(1) > trouble(0));
        QCOMPARE(attention(1), QString("connection refused"));

        targets.setFindings(1, {});
        QVERIFY(attention(0).isEmpty());
        QCOMPARE(trouble(0), calm);
    }
};

QTEST_MAIN(TestFindingsModel)
#include "tst_findingsmodel.moc"
