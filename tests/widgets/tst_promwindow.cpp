// A Prometheus target in the window, end to end with the sandbox's real Prometheus and postgres_exporter:
// PoolScope's own export (watch --metrics-listen, in process) of a PgBouncer pool with a waiting client is
// scraped beside postgres_exporter; the Prometheus is saved in File → Targets… (its test says what it
// discovers); every instance becomes a target of the fleet overview, marked as read from Prometheus, the
// PgBouncer one with the waiting client, postgres_exporter's with the idle-in-transaction sessions; opening a
// page fills its charts' past from query_range; actions that need a connection are disabled with the reason;
// the findings engine names the saturated pool; a stopped exporter makes its target failed with the reason.
#include "cli/fleetwatch.h"
#include "core/recorder.h"
#include "core/targetconfig.h"
#include "core/timeseries.h"
#include "models/targetlistmodel.h"
#include "sandbox/serverprocess.h"
#include "support/fleetexport.h"
#include "support/prometheussupport.h"
#include "support/testsupport.h"
#include "widgets/findingscontroller.h"
#include "widgets/fleetview.h"
#include "widgets/mainwindow.h"
#include "widgets/postgrespage.h"
#include "widgets/targetpage.h"
#include "widgets/targetsdialog.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScopeGuard>
#include <QScrollArea>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <libpq-fe.h>

using namespace poolscope;
using models::TargetListModel;

namespace {

int idleInTransaction(const QString &uri)
{
    db::PgConn c(PQconnectdb(uri.toUtf8().constData()));
    PGresult *r =
        PQexec(c.get(), "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'");
    const int n = PQresultStatus(r) == PGRES_TUPLES_OK ? QByteArray(PQgetvalue(r, 0, 0)).toInt() : -1;
    PQclear(r);
    return n;
}

/// The fleet overview's row of the target labelled `label`; -1 when there is none.
int fleetRow(const QAbstractItemModel *m, const QString &label)
{
    for (int row = 0; row < m->rowCount(); ++row)
        if (m->index(row, 0).data(TargetListModel::LabelRole).toString() == label)
            return row;
    return -1;
}

QString cell(const QAbstractItemModel *m, int row, int column)
{
    return row < 0 ? QString() : m->index(row, column).data().toString();
}

} // namespace

class TestPromWindow : public QObject
{
    Q_OBJECT

    QTemporaryDir m_config;
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    test::FleetExport m_export; // bound before the sandbox starts: Prometheus scrapes its port

    /// The page fits the 1280×800 window beside the targets dock (and the Findings dock): nothing to scroll
    /// sideways, whichever tab is shown (a tab's minimum is its stack's).
    static void fitsSideways(widgets::TargetPage *page)
    {
        QTest::qWait(200);
        for (QScrollArea *area : page->findChildren<QScrollArea *>()) {
            if (!area->isVisible())
                continue;
            QString wide;
            for (QWidget *w : area->widget()->findChildren<QWidget *>())
                if (w->minimumSizeHint().width() > area->viewport()->width() - 60)
                    wide += QStringLiteral(" %1/%2:%3")
                                .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName())
                                .arg(w->minimumSizeHint().width());
            QVERIFY2(area->widget()->width() <= area->viewport()->width(),
                     qPrintable(QStringLiteral("%1 px wide in %2 px:%3")
                                    .arg(area->widget()->width())
                                    .arg(area->viewport()->width())
                                    .arg(wide)));
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8()); // settings go to a scratch dir
        test::quietLogging();
        QString error;
        QVERIFY2(m_export.listen(&error), qPrintable(error));
        m_sandbox = test::startPrometheusSandbox(m_export, &error);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void prometheusTargetInTheWindow()
    {
        const sandbox::SandboxUris &uris = m_sandbox->uris();
        // Two clients hold the pool's two server connections in open transactions; a third one queues.
        test::FullPool full;
        QString error;
        QVERIFY2(full.open(uris.pgbouncerApp, &error), qPrintable(error));

        // PoolScope next to the pooler, exporting what it sees (as `watch --metrics-listen` does).
        cli::FleetWatch exporter({uris.pgbouncerMonitor}, 500, std::nullopt, {});
        m_export.serve(&exporter);
        const auto unserve = qScopeGuard([this] { m_export.serve(nullptr); });
        exporter.start();
        // Prometheus has a few seconds of both before the window reads it: the history to fill the charts.
        std::optional<QList<test::PromSeries>> waiting;
        QTRY_VERIFY_WITH_TIMEOUT(
            (waiting = test::promQuery(uris.prometheus,
                                       QStringLiteral("pgbouncer_pools_client_waiting_connections{job="
                                                      "\"poolscope\",database=\"app\",user=\"app\"}"),
                                       &error),
             waiting && waiting->size() == 1 && waiting->first().value == 1.0),
            15000);
        std::optional<QList<test::PromSeries>> span;
        QTRY_VERIFY_WITH_TIMEOUT(
            (span = test::promQuery(uris.prometheus,
                                    QStringLiteral("count_over_time(up{job=\"postgres_exporter\"}[1m]) >= 6"),
                                    &error),
             span && span->size() == 1),
            15000);
        const double addedAt = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;

        widgets::MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        // File → Targets…: a Prometheus, its test saying what it discovers.
        TargetConfig prometheus;
        prometheus.id = TargetConfig::newId();
        prometheus.name = QStringLiteral("sandbox prometheus");
        prometheus.conninfo = QStringLiteral("prometheus+") + uris.prometheus;
        {
            widgets::TargetsDialog dialog({prometheus});
            dialog.selectTarget(prometheus.id);
            auto *kind = dialog.findChild<QComboBox *>(QStringLiteral("kindCombo"));
            QVERIFY(kind && !kind->isEnabled());
            QCOMPARE(kind->currentText(), QStringLiteral("Prometheus (every instance it knows)"));
            auto *test = dialog.findChild<QPushButton *>(QStringLiteral("testButton"));
            auto *result = dialog.findChild<QPlainTextEdit *>(QStringLiteral("testResult"));
            QVERIFY(test && result);
            test->click();
            QTRY_VERIFY_WITH_TIMEOUT(result->toPlainText().contains(QLatin1String("discovered")), 10000);
            QVERIFY2(result->toPlainText().contains(QLatin1String("1 PostgreSQL, 1 PgBouncer")),
                     qPrintable(result->toPlainText()));
        }
        window.applyTargetConfigs({prometheus}, {});
        QCOMPARE(loadTargets(*openSettings()), (QList<TargetConfig>{prometheus})); // saved like the others

        // Every instance is a target of the fleet overview, marked as read from Prometheus.
        const QString bouncerName =
            QStringLiteral("monitor@127.0.0.1:%1/pgbouncer").arg(m_sandbox->bouncerPort());
        const QString exporterName =
            QStringLiteral("postgres_exporter@127.0.0.1:%1").arg(m_sandbox->postgresExporterPort());
        window.showFleet();
        const QAbstractItemModel *fleet = window.fleetView()->table()->model();
        const int truth = idleInTransaction(uris.monitor);
        QVERIFY(truth >= 2);
        QTRY_VERIFY_WITH_TIMEOUT(
            cell(fleet, fleetRow(fleet, bouncerName), TargetListModel::WaitingColumn) == QLatin1String("1") &&
                cell(fleet, fleetRow(fleet, exporterName), TargetListModel::IdleInTransactionColumn) ==
                    QString::number(truth),
            15000);
        QCOMPARE(fleet->rowCount(), 2); // the row named after the Prometheus went with the first discovery
        for (const QString &name : {bouncerName, exporterName}) {
            const QModelIndex row = fleet->index(fleetRow(fleet, name), 0);
            QCOMPARE(TargetState(row.data(TargetListModel::StateRole).toInt()), TargetState::Live);
            QCOMPARE(row.data(TargetListModel::ViaRole).toString(), QStringLiteral("via Prometheus"));
            QVERIFY(row.data().toString().contains(QLatin1String("via Prometheus")));
            QVERIFY2(row.data(Qt::ToolTipRole).toString().contains(uris.prometheus.mid(7)),
                     qPrintable(row.data(Qt::ToolTipRole).toString()));
        }
        int bouncerIndex = -1, exporterIndex = -1;
        for (int i = 0; i < window.targetCount(); ++i) {
            QCOMPARE(window.prometheusOf(i), QStringLiteral("prometheus+") + uris.prometheus);
            if (window.pageFor(i)->sourceText().contains(QLatin1String("job <b>poolscope</b>")))
                bouncerIndex = i;
            if (window.pageFor(i)->sourceText().contains(QLatin1String("job <b>postgres_exporter</b>")))
                exporterIndex = i;
        }
        QVERIFY(bouncerIndex >= 0 && exporterIndex >= 0);
        QCOMPARE(window.whyNotEditable(exporterIndex), QString()); // Edit… opens the saved Prometheus

        // The findings engine runs on what Prometheus says: the saturated pool is named.
        auto saturated = [&] {
            for (const findings::Finding &f : window.findings()->engine().findings())
                if (f.rule == findings::rule::PoolerSaturation && f.target == bouncerName)
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(saturated(), 15000);

        // Opening a page fills its charts' past from query_range: points from before the window read it.
        window.selectTarget(exporterIndex);
        widgets::TargetPage *page = window.pageFor(exporterIndex);
        QTRY_VERIFY_WITH_TIMEOUT(page->sourceText().contains(QLatin1String("History:")), 15000);
        const TimeSeries *idle =
            window.seriesFor(exporterIndex)->find(series::sessionState(SessionState::IdleInTransaction));
        QVERIFY(idle && idle->size() > 3);
        QVERIFY2(idle->timeAt(0) < addedAt - 4, qPrintable(QString::number(addedAt - idle->timeAt(0))));
        QCOMPARE(idle->lastValue(), std::optional<double>(truth));
        QVERIFY(!window.chartsFor(exporterIndex).isEmpty());
        // The transactions chart: Prometheus's rate of pg_stat_database's counters.
        QTRY_VERIFY_WITH_TIMEOUT(window.seriesFor(exporterIndex)->find(series::tps()) &&
                                     window.seriesFor(exporterIndex)->find(series::tps())->lastValue(),
                                 10000);
        fitsSideways(page);
        // No session list behind it: no Sessions tab, the groups by database, no terminate.
        QVERIFY(!page->showSessionsTab(true));
        auto *postgres = qobject_cast<widgets::PostgresPage *>(page->content());
        QVERIFY(postgres);
        QCOMPARE(postgres->groupDimension(), GroupDimension::Database);
        window.selectTarget(bouncerIndex);
        QTRY_VERIFY_WITH_TIMEOUT(
            window.pageFor(bouncerIndex)->sourceText().contains(QLatin1String("History:")), 15000);
        const TimeSeries *queued =
            window.seriesFor(bouncerIndex)
                ->find(series::pool(QStringLiteral("app/app"), QStringLiteral("cl_waiting")));
        QVERIFY(queued && queued->timeAt(0) < addedAt - 2);
        fitsSideways(window.pageFor(bouncerIndex));
        QCOMPARE(queued->lastValue(), std::optional<double>(1));

        // The exporter stops: its target fails with the reason, never zeros.
        m_sandbox->server(sandbox::SandboxServer::PostgresExporter)->stop();
        const int exporterRow = fleetRow(fleet, exporterName);
        QTRY_VERIFY_WITH_TIMEOUT(
            TargetState(
                fleet->index(fleetRow(fleet, exporterName), 0).data(TargetListModel::StateRole).toInt()) ==
                TargetState::Failed,
            15000);
        Q_UNUSED(exporterRow);
        const QModelIndex failed = fleet->index(fleetRow(fleet, exporterName), 0);
        QVERIFY2(failed.data(TargetListModel::ErrorRole).toString().contains(QLatin1String("up 0")),
                 qPrintable(failed.data(TargetListModel::ErrorRole).toString()));
        QCOMPARE(cell(fleet, fleetRow(fleet, exporterName), TargetListModel::IdleInTransactionColumn),
                 QStringLiteral("–"));
        QVERIFY(window.pageFor(exporterIndex)->errorText().contains(QLatin1String("down")));
        // The pooler read through the same Prometheus goes on.
        QCOMPARE(TargetState(
                     fleet->index(fleetRow(fleet, bouncerName), 0).data(TargetListModel::StateRole).toInt()),
                 TargetState::Live);

        // Removed in File → Targets…: every target read from it goes.
        window.applyTargetConfigs({}, {});
        QCOMPARE(window.targetCount(), 0);
        full.close();
    }

    void unreachablePrometheusSaysWhy()
    {
        widgets::MainWindow window;
        const int index = window.addPrometheus(QStringLiteral("prometheus+http://127.0.0.1:1"), 1000);
        QCOMPARE(index, 0);
        QCOMPARE(window.targetCount(), 1); // the row named after the Prometheus
        QTRY_VERIFY_WITH_TIMEOUT(window.pageFor(0)->errorText().contains(QLatin1String("cannot reach")),
                                 10000);
        QCOMPARE(window.prometheusOf(0), QStringLiteral("prometheus+http://127.0.0.1:1"));
        QCOMPARE(window.addPrometheus(QStringLiteral("prometheus+http://"), 1000), -1); // malformed
        QCOMPARE(window.targetCount(), 1);
    }
};

QTEST_MAIN(TestPromWindow)
#include "tst_promwindow.moc"
