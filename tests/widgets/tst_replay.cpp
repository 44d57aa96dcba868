// Unit (offscreen): a recording written through the RecordingWriter is shown by the ReplayWindow as it was at
// each moment of the scrubber: the Sessions tab's rows, the findings open then; actions disabled; REPLAY
// said.
#include "core/finding.h"
#include "models/bouncerconnectionsmodel.h"
#include "models/sessionsmodel.h"
#include "record/recordingwriter.h"
#include "support/recordedsamples.h"
#include "widgets/bouncerpage.h"
#include "widgets/replaywindow.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QAbstractButton>
#include <QAction>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace poolscope;

namespace {

constexpr qint64 kStart = 1765000000000; // ms

/// Idle-in-transaction sessions of "billing" held at second k: 3 until 10 s, 5 until 20 s, then 2.
int heldAt(int k)
{
    return k < 10 ? 3 : k < 20 ? 5 : 2;
}

TargetSnapshot sampleAt(int k)
{
    return test::billingSample(kStart + k * 1000, heldAt(k), double(kStart) / 1000.0, 1);
}

} // namespace

class TestReplay : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString writeRecording()
    {
        const QString path = m_dir.filePath("replay.psrec");
        record::RecordingWriter writer;
        QString error;
        if (!writer.create(path, {QStringLiteral("monitor@db1:5432/app")}, {}, &error))
            qFatal("%s", qPrintable(error));
        for (int k = 0; k < 30; ++k) {
            QList<findings::Finding> found;
            if (k >= 10) {
                findings::Finding f;
                f.id = 1;
                f.rule = findings::rule::IdleInTransactionLeak;
                f.subject = QStringLiteral("billing");
                f.severity = findings::Severity::Critical;
                f.targetId = 0;
                f.raisedAtMs = kStart + 10000;
                f.sinceMs = kStart;
                f.lastSeenMs = kStart + std::min(k, 19) * 1000;
                if (k >= 20) {
                    f.endedAtMs = kStart + 20000;
                    f.status = findings::Status::Resolved;
                }
                f.summary = QStringLiteral("billing: all 5 of its sessions are idle in transaction");
                found.append(f);
            }
            if (!writer.addSample(1, sampleAt(k), found, kStart + k * 1000))
                qFatal("write failed");
        }
        writer.close(kStart + 30000);
        return path;
    }

private Q_SLOTS:
    void scrubberShowsEachMoment()
    {
        widgets::ReplayWindow window;
        QString error;
        QVERIFY2(window.openRecording(writeRecording(), &error), qPrintable(error));
        window.show();
        QVERIFY(window.windowTitle().contains("REPLAY"));
        QCOMPARE(window.positionCount(), 30);
        QCOMPARE(window.position(), 29); // opens at the end
        QCOMPARE(window.pageCount(), 1);
        widgets::TargetPage *page = window.page(0);
        QVERIFY(page->sessions());
        QVERIFY(page->showSessionsTab(true)); // a hidden Sessions tab merges its sample when shown
        for (const int k : {5, 15, 25, 0, 19, 20}) {
            window.scrubber()->setValue(k); // as a drag does
            QCOMPARE(window.positionTimeMs(), kStart + k * 1000);
            QCOMPARE(page->sessions()->sessionsModel()->rowCount(), heldAt(k));
            QCOMPARE(window.findingsView()->topLevelItemCount(), k >= 10 && k < 20 ? 1 : 0);
            QVERIFY(window.statusBar()->currentMessage().startsWith("REPLAY"));
            qInfo("moment %d: %.2f ms", k, window.lastScrubMs());
        }
        window.setPosition(12);
        QCOMPARE(window.findingsView()->topLevelItem(0)->text(1), QString("idle-in-transaction-leak"));
        // The charts carry the finding as the live window drew it: a line where it began (its since), a
        // dashed one where it ended.
        QVERIFY(!page->charts().isEmpty());
        for (QCustomPlot *plot : page->charts()) {
            auto *chart = qobject_cast<widgets::TimeChart *>(plot);
            QVERIFY(chart);
            QCOMPARE(chart->markers().size(), 1);
            const widgets::ChartMarker &m = chart->markers().first();
            QCOMPARE(m.label, QString("idle-in-transaction-leak"));
            QCOMPARE(m.start, double(kStart) / 1000.0);
            QCOMPARE(m.end, double(kStart + 20000) / 1000.0);
            QVERIFY2(!chart->displayedTitle().contains("live"),
                     qPrintable(chart->displayedTitle())); // no live to go back to
        }
        // No live to go back to.
        const auto backToLive = page->findChildren<QAbstractButton *>();
        for (const QAbstractButton *b : backToLive)
            QVERIFY2(!(b->text().contains("live", Qt::CaseInsensitive) && b->isVisible()),
                     qPrintable(b->text()));
        // Actions are disabled in replay.
        QVERIFY(!page->sessions()->actionsEnabled());
        QVERIFY(!page->sessions()->terminateAction()->isEnabled());
    }

    void poolerClientsAsTheyWereAtEachMoment()
    {
        // A PgBouncer recorded for 30 s: SHOW CLIENTS every 5 s, one client until second 20, three after.
        const QString path = m_dir.filePath("pooler.psrec");
        {
            record::RecordingWriter writer;
            QString error;
            QVERIFY2(writer.create(path, {QStringLiteral("monitor@db1:6432/pgbouncer")}, {}, &error),
                     qPrintable(error));
            for (int k = 0; k < 30; ++k) {
                TargetSnapshot t;
                t.target = QStringLiteral("monitor@db1:6432/pgbouncer");
                t.kind = TargetKind::PgBouncer;
                t.ok = true;
                t.sampledAtMs = kStart + k * 1000;
                BouncerSample b;
                PoolStats p;
                p.database = p.user = QStringLiteral("app");
                p.poolSize = 2;
                b.pools.append(p);
                QList<BouncerConnection> clients;
                for (int i = 0; i < (k < 20 ? 1 : 3); ++i) {
                    BouncerConnection c;
                    c.type = QStringLiteral("C");
                    c.database = c.user = QStringLiteral("app");
                    c.state = i < 2 ? QStringLiteral("active") : QStringLiteral("waiting");
                    c.ptr = QStringLiteral("0x%1").arg(i + 1);
                    c.applicationName = QStringLiteral("web");
                    clients.append(c);
                }
                b.clients = clients;
                b.servers = QList<BouncerConnection>{};
                b.connectionsAtMs = kStart + (k - k % 5) * 1000;
                b.connectionsFresh = k % 5 == 0;
                t.bouncer = b;
                QVERIFY(writer.addSample(1, t, {}, t.sampledAtMs));
            }
            writer.close(kStart + 30000);
        }
        widgets::ReplayWindow window;
        QString error;
        QVERIFY2(window.openRecording(path, &error), qPrintable(error));
        window.show();
        auto *bouncer = window.page(0)->findChild<widgets::BouncerPage *>();
        QVERIFY(bouncer);
        for (const int k : {3, 27, 12, 20}) {
            window.scrubber()->setValue(k);
            QCOMPARE(bouncer->clientsModel()->rowCount(), k < 20 ? 1 : 3);
        }
        // Taken when it was taken, counted from the moment shown (not from now); nothing to refresh.
        const auto labels = bouncer->findChildren<QLabel *>();
        const bool said = std::any_of(labels.cbegin(), labels.cend(), [](const QLabel *l) {
            return l->text().contains("0 s before this sample");
        });
        QVERIFY(said);
        const auto buttons = bouncer->findChildren<QPushButton *>();
        for (const QPushButton *b : buttons)
            QVERIFY2(!(b->text().contains("Refresh") && b->isVisibleTo(bouncer)), qPrintable(b->text()));
    }

    void unreadableFileIsRefusedAndTheWindowStaysUsable()
    {
        const QString bad = m_dir.filePath("bad.psrec");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
        f.close();
        widgets::ReplayWindow window;
        QString error;
        QVERIFY(!window.openRecording(bad, &error));
        QVERIFY2(error.contains("not a PoolScope recording"), qPrintable(error));
        QCOMPARE(window.pageCount(), 0);
        QVERIFY2(window.openRecording(writeRecordingCopy(), &error), qPrintable(error));
        QCOMPARE(window.positionCount(), 30);
    }

private:
    QString writeRecordingCopy()
    {
        const QString copy = m_dir.filePath("copy.psrec");
        QFile::remove(copy);
        QFile::copy(m_dir.filePath("replay.psrec"), copy);
        return copy;
    }
};

QTEST_MAIN(TestReplay)
#include "tst_replay.moc"
