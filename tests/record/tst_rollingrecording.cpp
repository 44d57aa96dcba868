// Unit: the always-on recording keeps the last N of every target (pruned, every sample left rebuildable),
// saves the last minutes into a recording of their own, keeps the previous run's file, one PoolScope at a
// time.
#include "record/recordingreader.h"
#include "record/recordingwriter.h"
#include "record/rollingrecording.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <optional>

using namespace poolscope;

namespace {

constexpr qint64 kStart = 1765000000000;

/// Second k: k % 7 + 1 sessions, so most samples store a delta.
TargetSnapshot postgresAt(int k)
{
    TargetSnapshot t;
    t.target = QStringLiteral("monitor@db1:5432/app");
    t.kind = TargetKind::Postgres;
    t.ok = true;
    t.serverVersion = QStringLiteral("15.8");
    t.sampledAtMs = kStart + k * 1000;
    PostgresSample pg;
    pg.serverNow = double(t.sampledAtMs) / 1000.0;
    for (int i = 0; i < k % 7 + 1; ++i) {
        Session s;
        s.pid = 100 + i;
        s.state = QStringLiteral("idle");
        s.applicationName = QStringLiteral("web");
        pg.sessions.append(s);
        ++pg.counts[SessionState::Idle];
    }
    t.postgres = pg;
    return t;
}

TargetSnapshot bouncerAt(int k)
{
    TargetSnapshot t;
    t.target = QStringLiteral("monitor@db1:6432/pgbouncer");
    t.kind = TargetKind::PgBouncer;
    t.ok = true;
    t.sampledAtMs = kStart + k * 1000 + 10;
    BouncerSample b;
    PoolStats p;
    p.database = p.user = QStringLiteral("app");
    p.clWaiting = k;
    b.pools.append(p);
    t.bouncer = b;
    return t;
}

} // namespace

class TestRollingRecording : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keepsTheLastMinuteAndSavesTheLastThirtySeconds()
    {
        QTemporaryDir dir;
        record::RollingOptions o;
        o.path = dir.filePath("rolling.psrec");
        o.keepMs = 60000;
        o.pruneEveryMs = 10000;
        o.keyframeEvery = 20;
        QString why;
        {
            record::RollingRecording rolling;
            QVERIFY2(rolling.start(o, &why), qPrintable(why));
            record::RollingRecording second; // another PoolScope: does not record
            QVERIFY(!second.start(o, &why));
            QVERIFY2(why.contains("another PoolScope"), qPrintable(why));
            for (int k = 0; k < 300; ++k) {
                const qint64 now = kStart + k * 1000 + 20;
                rolling.addSample(7, "pg", postgresAt(k), {}, now);
                rolling.addSample(9, "bouncer", bouncerAt(k), {}, now);
            }
            QVERIFY(rolling.isRecording());
            // Saved on the recording's thread after what is queued; the answer comes back here.
            const QString saved = dir.filePath("last30.psrec");
            std::optional<bool> first, again;
            rolling.saveLast(saved, 30000, kStart + 299 * 1000 + 20, [&](bool ok, const QString &e) {
                first = ok;
                why = e;
            });
            rolling.saveLast(saved, 30000, kStart + 299 * 1000 + 20,
                             [&](bool ok, const QString &) { again = ok; });
            QTRY_VERIFY(first.has_value() && again.has_value());
            QVERIFY2(*first, qPrintable(why));
            QVERIFY(!*again); // never overwritten
            QCOMPARE(rolling.dropped(), qint64(0));

            record::RecordingReader last;
            QVERIFY2(last.open(saved, &why), qPrintable(why));
            const QList<record::RecordedSample> pg = last.samples(1);
            // From the keyframe before the window (at most 20 frames earlier) to the end.
            QVERIFY2(pg.first().tMs <= kStart + 269 * 1000 && pg.first().tMs >= kStart + 249 * 1000,
                     qPrintable(QString::number((pg.first().tMs - kStart) / 1000)));
            QCOMPARE(pg.last().tMs, kStart + 299 * 1000);
            for (const record::RecordedSample &s : pg) {
                const auto sessions = last.sessionsAt(s.id, &why);
                QVERIFY2(sessions, qPrintable(why));
                QCOMPARE(int(sessions->size()), int((s.tMs - kStart) / 1000) % 7 + 1);
            }
            const QList<record::RecordedSample> pools = last.samples(2);
            QVERIFY(pools.first().tMs > kStart + 268 * 1000);
            QCOMPARE(last.poolsAt(pools.last().id).first().clWaiting.value(), qint64(299));
        }
        // The rolling file kept the last minute (plus at most a keyframe interval and a pruning period).
        record::RecordingReader rolled;
        QVERIFY2(rolled.open(o.path, &why), qPrintable(why));
        const QList<record::RecordedSample> pg = rolled.samples(1);
        qInfo("rolling file: %lld samples of the PostgreSQL target, from second %lld", qint64(pg.size()),
              (pg.first().tMs - kStart) / 1000);
        QVERIFY2(pg.size() >= 60 && pg.size() <= 60 + 20 + 10, qPrintable(QString::number(pg.size())));
        QString error;
        QVERIFY2(rolled.sessionsAt(pg.first().id, &error), qPrintable(error));
        const QList<record::RecordedSample> pools = rolled.samples(2);
        QVERIFY2(pools.size() >= 60 && pools.size() <= 70, qPrintable(QString::number(pools.size())));

        // The next run starts a new file and keeps this one as the previous.
        record::RollingRecording next;
        QVERIFY2(next.start(o, &why), qPrintable(why));
        record::RecordingReader previous;
        QVERIFY2(previous.open(dir.filePath("rolling-previous.psrec"), &why), qPrintable(why));
        QCOMPARE(previous.samples(1).size(), pg.size());
    }
};

QTEST_GUILESS_MAIN(TestRollingRecording)
#include "tst_rollingrecording.moc"
