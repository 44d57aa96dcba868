// Integration (issue 15): the window's always-on recording of the sandbox. File → Save the last 30 minutes
// writes a recording with both targets' samples; File → Open recording shows it in a REPLAY window; a damaged
// file is refused while the window keeps sampling.
#include "core/recorder.h"
#include "record/recordingreader.h"
#include "support/sandboxtestcase.h"
#include "widgets/mainwindow.h"
#include "widgets/replaywindow.h"

#include <QAction>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <optional>

using namespace poolscope;

class TestRollingWindow : public test::SandboxTestCase
{
    Q_OBJECT

    QTemporaryDir m_data;

    static int samplesIn(const SeriesSet *set)
    {
        const TimeSeries *ts = set ? set->find(series::sessionsTotal()) : nullptr;
        return ts ? ts->size() : 0;
    }

private Q_SLOTS:
    void savesTheLastMinutesAndReplaysThem()
    {
        // A data directory of its own: its rolling file and lock, whatever else runs beside the test.
        qputenv("XDG_DATA_HOME", m_data.path().toUtf8());
        widgets::MainWindow window;
        QVERIFY(window.isRollingRecording());
        QAction *save = window.findChild<QAction *>("actionSaveLast30");
        QVERIFY(save && save->isEnabled());
        window.addTarget(m_sandbox->uris().monitor, 200);
        window.addTarget(m_sandbox->uris().pgbouncerMonitor, 200);
        QTRY_VERIFY_WITH_TIMEOUT(samplesIn(window.seriesFor(0)) >= 8, 15000);

        const QString out = m_data.filePath("incident.psrec");
        QString error;
        std::optional<bool> ok;
        window.saveLastMinutes(out, 30, [&](bool saved, const QString &e) {
            ok = saved;
            error = e;
        });
        QTRY_VERIFY_WITH_TIMEOUT(ok.has_value(), 10000);
        QVERIFY2(*ok, qPrintable(error));
        record::RecordingReader saved;
        QVERIFY2(saved.open(out, &error), qPrintable(error));
        // Targets are added to the recording as they first answer: find them by kind.
        const QList<record::RecordedTarget> targets = saved.targets();
        QCOMPARE(targets.size(), 2);
        int pgId = 0, bouncerId = 0;
        for (const record::RecordedTarget &t : targets)
            (t.kind == "postgres" ? pgId : bouncerId) = t.id;
        QVERIFY(pgId && bouncerId);
        const QList<record::RecordedSample> pg = saved.samples(pgId);
        QVERIFY2(pg.size() >= 8, qPrintable(QString::number(pg.size())));
        const auto sessions = saved.sessionsAt(pg.last().id, &error);
        QVERIFY2(sessions, qPrintable(error));
        QCOMPARE(int(sessions->size()), pg.last().counts->total());
        QVERIFY(!saved.poolsAt(saved.samples(bouncerId).last().id).isEmpty());

        widgets::ReplayWindow *replay = window.openReplay(out);
        QVERIFY(replay);
        QVERIFY(replay->windowTitle().contains("REPLAY"));
        QCOMPARE(replay->pageCount(), 2);
        QVERIFY(replay->positionCount() >= pg.size());
        replay->close();

        const QString bad = m_data.filePath("bad.psrec");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'z'));
        f.close();
        const int before = samplesIn(window.seriesFor(0));
        QVERIFY(!window.openReplay(bad));
        QTRY_VERIFY_WITH_TIMEOUT(samplesIn(window.seriesFor(0)) >= before + 3, 10000); // sampling goes on
    }
};

QTEST_MAIN(TestRollingWindow)
#include "tst_rollingwindow.moc"
