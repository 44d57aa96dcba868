// Unit: the always-on recording keeps the last N of every target (pruned, every sample left rebuildable),
// saves the last minutes into a recording of their own, keeps the previous run's file, one PoolScope at a
// time.
#include "record/recordingexport.h"
#include "record/recordingreader.h"
#include "record/recordingwriter.h"
#include "record/rollingrecording.h"
#include "record/sqlitedb.h"

#include <QDateTime>
#include <QFileInfo>
#include <QRandomGenerator>
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
    // SHOW CLIENTS every 5 s, always the same client: one round is stored, at the first sample.
    BouncerConnection client;
    client.type = QStringLiteral("C");
    client.database = client.user = QStringLiteral("app");
    client.state = QStringLiteral("active");
    client.ptr = QStringLiteral("0x1");
    b.clients = QList<BouncerConnection>{client};
    b.servers = QList<BouncerConnection>{};
    b.connectionsAtMs = kStart + (k - k % 5) * 1000;
    b.connectionsFresh = k % 5 == 0;
    t.bouncer = b;
    return t;
}

/// A recording of one target ("pg") whose samples share a second's transaction, as the rolling one's do.
bool createBatched(record::RecordingWriter &writer, const QString &path, qint64 maxBytes, QString *why)
{
    record::WriterOptions o;
    o.commitEveryMs = 1000;
    o.maxBytes = maxBytes;
    return writer.create(path, {QStringLiteral("pg")}, o, why);
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
            // The client round taken at the first sample still stands for these samples.
            const auto lastPools = last.snapshotAt(pools.last().id, &why);
            QVERIFY2(lastPools && lastPools->bouncer->clients, qPrintable(why));
            QCOMPARE(lastPools->bouncer->clients->first().ptr, QStringLiteral("0x1"));
            QCOMPARE(lastPools->bouncer->connectionsAtMs, kStart);
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
        const auto firstPools = rolled.snapshotAt(pools.first().id, &error);
        QVERIFY2(firstPools && firstPools->bouncer->clients, qPrintable(error));
        QCOMPARE(firstPools->bouncer->clients->size(), 1);

        // The next run starts a new file and keeps this one as the previous.
        record::RollingRecording next;
        QVERIFY2(next.start(o, &why), qPrintable(why));
        record::RecordingReader previous;
        QVERIFY2(previous.open(dir.filePath("rolling-previous.psrec"), &why), qPrintable(why));
        QCOMPARE(previous.samples(1).size(), pg.size());
    }

    void samplesShareASecondsTransaction()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("batched.psrec");
        record::RecordingWriter writer;
        QString why;
        QVERIFY2(createBatched(writer, path, 0, &why), qPrintable(why));
        auto committed = [&] {
            record::RecordingReader reader; // another connection: sees what is committed
            return reader.open(path, &why) ? int(reader.samples(1).size()) : -1;
        };
        // At 10 Hz: the first ten samples wait in one transaction, the eleventh (a second later) commits.
        for (int k = 0; k < 10; ++k)
            QVERIFY(writer.addSample(1, postgresAt(k), {}, kStart + k * 100));
        QVERIFY(writer.hasUncommitted());
        QCOMPARE(committed(), 0);
        QVERIFY(writer.addSample(1, postgresAt(10), {}, kStart + 1000));
        QVERIFY(!writer.hasUncommitted());
        QCOMPARE(committed(), 11);
        QCOMPARE(writer.samplesWritten(), qint64(11));
        // Saving a copy commits what waits first.
        QVERIFY(writer.addSample(1, postgresAt(11), {}, kStart + 1100));
        const QString copy = dir.filePath("copy.psrec");
        QVERIFY2(writer.saveCopy(copy, kStart, &why), qPrintable(why));
        record::RecordingReader saved;
        QVERIFY2(saved.open(copy, &why), qPrintable(why));
        QCOMPARE(saved.samples(1).size(), 12);
        writer.close(kStart + 2000);
    }

    void aFailedTransactionCountsItsSamplesAsNotWritten()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("full.psrec");
        record::RecordingWriter writer;
        QString why;
        QVERIFY2(createBatched(writer, path, 256 * 1024, &why), qPrintable(why));
        // 300 sessions whose queries change at every sample (text that does not compress) fill the file
        // within a few transactions.
        TargetSnapshot big = postgresAt(0);
        for (int i = 0; i < 300; ++i) {
            Session s;
            s.pid = 1000 + i;
            s.state = QStringLiteral("active");
            big.postgres->sessions.append(s);
        }
        QRandomGenerator random(42);
        int added = 0;
        for (; added < 2000 && !writer.paused(); ++added) {
            for (Session &s : big.postgres->sessions)
                s.query =
                    QStringLiteral("SELECT '%1%2'").arg(random.generate64(), 16, 16).arg(random.generate64());
            writer.addSample(1, big, {}, kStart + added * 100);
        }
        QVERIFY2(writer.paused(), "the size limit was never reached");
        QVERIFY2(writer.pauseReason().contains("size limit"), qPrintable(writer.pauseReason()));
        QCOMPARE(writer.samplesWritten() + writer.samplesNotWritten(), qint64(added));
        writer.close(kStart + added * 100);
        record::RecordingReader reader;
        QVERIFY2(reader.open(path, &why), qPrintable(why));
        QCOMPARE(qint64(reader.samples(1).size()), writer.samplesWritten());
    }

    void aLoneSampleIsCommittedWithinTwoSeconds() // handed over after 0.5 s, committed 1 s later
    {
        QTemporaryDir dir;
        record::RollingOptions o;
        o.path = dir.filePath("rolling.psrec");
        QString why;
        record::RollingRecording rolling;
        QVERIFY2(rolling.start(o, &why), qPrintable(why));
        rolling.addSample(1, "pg", postgresAt(0), {}, QDateTime::currentMSecsSinceEpoch());
        int seen = 0;
        QTRY_VERIFY_WITH_TIMEOUT((
                                     seen =
                                         [&] {
                                             record::RecordingReader reader;
                                             return reader.open(o.path, &why) ? int(reader.samples(1).size())
                                                                              : 0;
                                         }(),
                                     seen == 1),
                                 3000);
    }
    void formatOneFilesAreReadWithoutRounds()
    {
        // A recording of the first format: no pooler_rounds table, user_version 1.
        QTemporaryDir dir;
        const QString path = dir.filePath("v1.psrec");
        {
            record::RecordingWriter writer;
            QString why;
            QVERIFY2(writer.create(path, {QStringLiteral("bouncer")}, {}, &why), qPrintable(why));
            for (int k = 0; k < 3; ++k)
                QVERIFY(writer.addSample(1, bouncerAt(k), {}, kStart + k * 1000));
            writer.close(kStart + 3000);
            record::SqliteDb db;
            QVERIFY2(db.open(path, false, &why), qPrintable(why));
            QCOMPARE(db.exec("DROP TABLE pooler_rounds; PRAGMA user_version = 1;"), 0);
        }
        record::RecordingReader reader;
        QString error;
        QVERIFY2(reader.open(path, &error), qPrintable(error));
        QCOMPARE(reader.schemaVersion(), 1);
        const auto last = reader.snapshotAt(reader.samples(1).last().id, &error);
        QVERIFY2(last && last->bouncer, qPrintable(error));
        QCOMPARE(last->bouncer->pools.size(), 1);
        QVERIFY(!last->bouncer->clients); // not recorded in that format: unknown, not empty
        const record::ExportResult x =
            record::exportRecording(reader, dir.filePath("csv"), record::ExportFormat::Csv);
        QVERIFY2(x.ok, qPrintable(x.error));
        for (const auto &[table, rows] : x.rows)
            if (table == QLatin1String("pooler_connections"))
                QCOMPARE(rows, qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestRollingRecording)
#include "tst_rollingrecording.moc"
