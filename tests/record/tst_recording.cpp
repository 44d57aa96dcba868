// Integration (issue 15): `poolscope record` against the sandbox, checked against what the test itself reads
// from pg_stat_activity at the same moments; `poolscope export` row counts against the file's own tables
// (read with SQLite directly); kill -9 while recording; damaged files; the size limit pausing the recording.
#include "db/conninfo.h"
#include "record/recordingreader.h"
#include "support/sandboxtestcase.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <libpq-fe.h>
#include <sqlite3.h>

using namespace poolscope;

namespace {

const QByteArray kApp = "tst-record";

/// What the test reads itself, like psql would: the server's clock and the idle-in-transaction sessions of
/// the test's application.
struct Observation
{
    double serverTime = 0;
    int idleInTransaction = 0;
};

std::optional<Observation> observe(PGconn *conn)
{
    db::PgResult r(PQexec(conn, "SELECT extract(epoch FROM clock_timestamp())::float8, count(*) FROM "
                                "pg_stat_activity WHERE application_name = 'tst-record' AND "
                                "state = 'idle in transaction'"));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        return std::nullopt;
    return Observation{QByteArray(PQgetvalue(r.get(), 0, 0)).toDouble(),
                       QByteArray(PQgetvalue(r.get(), 0, 1)).toInt()};
}

/// One integer from the recording file, read with SQLite itself (not through the reader under test).
qint64 sqliteScalar(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    qint64 value = -1;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            value = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return value;
}

bool sqliteExec(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    bool ok = sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK &&
              sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(db);
    return ok;
}

/// Records of an RFC 4180 CSV file (quoted fields may hold newlines), header excluded; -1 when unreadable.
qint64 csvRecords(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray data = f.readAll();
    qint64 records = 0;
    bool quoted = false;
    for (const char c : data) {
        if (c == '"')
            quoted = !quoted;
        else if (c == '\n' && !quoted)
            ++records;
    }
    return records - 1;
}

qint64 jsonRecords(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    return doc.isArray() ? doc.array().size() : -1;
}

int countIn(const QList<Session> &sessions)
{
    int n = 0;
    for (const Session &s : sessions)
        n +=
            s.applicationName == QString::fromUtf8(kApp) && s.stateClass() == SessionState::IdleInTransaction;
    return n;
}

} // namespace

class TestRecording : public test::SandboxTestCase
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_recording; // a cleanly closed recording of the first test, for the damaged-file tests

    QString bin() const { return qEnvironmentVariable("POOLSCOPE_BIN"); }

private Q_SLOTS:
    void recordingShowsWhatPgStatActivityShowed()
    {
        // The test changes the number of idle-in-transaction sessions of its application while recording (3,
        // then 5, then 2) and reads pg_stat_activity itself every ~50 ms. Every recorded sample taken while
        // the test's own reads just before and just after agree must show that count.
        QVERIFY(m_dir.isValid());
        const QString path = m_dir.filePath("sandbox.psrec");
        DbError e;
        db::PgConn observer = db::connect(db::parseConnInfo(m_sandbox->uris().monitor), {}, &e);
        QVERIFY2(observer, qPrintable(e.message));
        test::HeldSessions first, second;
        QString error;
        QVERIFY2(first.open(m_sandbox->uris().app, 3, kApp, {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        test::PoolscopeProcess rec;
        QVERIFY2(rec.start({"record", m_sandbox->uris().monitor, "--out", path, "--interval", "250ms",
                            "--duration", "4500ms"},
                           &error),
                 qPrintable(error));
        QList<Observation> seen;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 5200) {
            const auto o = observe(observer.get());
            QVERIFY(o);
            seen.append(*o);
            if (clock.elapsed() > 1700 && second.size() == 0)
                QVERIFY2(second.open(m_sandbox->uris().app, 2, kApp, {"BEGIN", "SELECT 1"}, &error),
                         qPrintable(error));
            if (clock.elapsed() > 3200 && first.size() > 0)
                first.closeAll();
            QTest::qWait(50);
        }
        const test::CliResult r = rec.finish(10000);
        QVERIFY2(!r.crashed, r.err.constData());
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith("recorded "), r.out.constData());

        record::RecordingReader reader;
        QVERIFY2(reader.open(path, &error), qPrintable(error));
        QCOMPARE(reader.targets().size(), 1);
        QCOMPARE(reader.targets().first().kind, QString("postgres"));
        const QList<record::RecordedSample> samples = reader.samples(1);
        QVERIFY2(samples.size() >= 12, qPrintable(QString::number(samples.size())));
        QSet<int> phases;
        int compared = 0;
        for (const record::RecordedSample &s : samples) {
            QVERIFY2(s.ok, qPrintable(s.error));
            QVERIFY(s.serverTime);
            const double t = *s.serverTime;
            const Observation *before = nullptr, *after = nullptr;
            for (const Observation &o : seen) {
                if (o.serverTime <= t)
                    before = &o;
                else if (!after)
                    after = &o;
            }
            if (!before || !after || before->idleInTransaction != after->idleInTransaction)
                continue; // outside the test's reads, or at a change
            const auto sessions = reader.sessionsAt(s.id, &error);
            QVERIFY2(sessions, qPrintable(error));
            QCOMPARE(countIn(*sessions), before->idleInTransaction);
            // The per-state counts stored beside the frames agree with the decoded list.
            QCOMPARE(s.counts->total(), int(sessions->size()));
            phases.insert(before->idleInTransaction);
            ++compared;
        }
        qInfo("%d of %lld samples compared with pg_stat_activity", compared, qint64(samples.size()));
        QVERIFY2(compared >= 8, qPrintable(QString::number(compared)));
        QCOMPARE(phases, (QSet<int>{3, 5, 2}));
        // The server version is written once (it did not change) and every rebuilt sample carries it.
        QCOMPARE(sqliteScalar(path, "SELECT count(server_version) FROM samples"), qint64(1));
        const auto last = reader.snapshotAt(samples.last().id, &error);
        QVERIFY2(last && last->serverVersion.startsWith("15"), qPrintable(error));

        // Export: one CSV per table, with as many records as the file holds (counted with SQLite itself;
        // sessions: one row per session per sample, from the per-sample session counts).
        const QString csvDir = m_dir.filePath("csv");
        const test::CliResult x = test::runPoolscope({"export", path, "--format", "csv", "--out", csvDir});
        QCOMPARE(x.exitCode, 0);
        const QList<std::pair<QString, const char *>> tables{
            {"samples", "SELECT count(*) FROM samples"},
            {"sessions", "SELECT sum(sessions) FROM samples WHERE ok = 1"},
            {"targets", "SELECT count(*) FROM targets"},
            {"markers", "SELECT count(*) FROM markers"},
            {"findings", "SELECT count(*) FROM findings"},
            {"pools", "SELECT count(*) FROM pools"},
            {"audit", "SELECT count(*) FROM audit"},
            {"meta", "SELECT count(*) FROM meta"}};
        const QString jsonDir = m_dir.filePath("json");
        QCOMPARE(test::runPoolscope({"export", path, "--format", "json", "--out", jsonDir}).exitCode, 0);
        for (const auto &[table, sql] : tables) {
            const qint64 expected = sqliteScalar(path, sql);
            QCOMPARE(csvRecords(csvDir + "/" + table + ".csv"), expected);
            QCOMPARE(jsonRecords(jsonDir + "/" + table + ".json"), expected);
        }
        QVERIFY(sqliteScalar(path, "SELECT sum(sessions) FROM samples") >= 3 * 12);
        m_recording = path;
    }

    void poolerClientsAndServersAreRecorded()
    {
        // Three clients of the test hold their server connections in open transactions through PgBouncer;
        // the recording of the PgBouncer console keeps SHOW CLIENTS / SHOW SERVERS as PgBouncer answered
        // them (read by the test on the admin console), replays them and exports them.
        const sandbox::SandboxUris &uris = m_sandbox->uris();
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(uris.pgbouncerApp, 3, kApp, {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
        DbError e;
        db::PgConn console = db::connect(db::parseConnInfo(uris.pgbouncerConsole), {}, &e);
        QVERIFY2(console, qPrintable(e.message));
        auto column = [&](const char *command, const char *name) {
            QStringList values;
            PGresult *r = PQexec(console.get(), command);
            const int app = PQfnumber(r, "application_name"), col = PQfnumber(r, name);
            for (int i = 0; app >= 0 && col >= 0 && i < PQntuples(r); ++i)
                if (QByteArray(PQgetvalue(r, i, app)) == kApp)
                    values.append(QString::fromUtf8(PQgetvalue(r, i, col)));
            PQclear(r);
            values.sort();
            return values;
        };
        const QStringList clientPtrs = column("SHOW CLIENTS", "ptr");
        QCOMPARE(clientPtrs.size(), 3);
        const QStringList clientLinks = column("SHOW CLIENTS", "link"); // the servers they hold

        const QString path = m_dir.filePath("pooler.psrec");
        const test::CliResult r = test::runPoolscope(
            {"record", uris.pgbouncerMonitor, "--out", path, "--interval", "250ms", "--duration", "1500ms"});
        QCOMPARE(r.exitCode, 0);
        record::RecordingReader reader;
        QVERIFY2(reader.open(path, &error), qPrintable(error));
        QCOMPARE(reader.schemaVersion(), 2);
        QCOMPARE(reader.targets().first().kind, QString("pgbouncer"));
        const QList<record::RecordedSample> samples = reader.samples(1);
        QVERIFY(samples.size() >= 3);
        // The last moment replays the round taken at the first sample (nothing changed since).
        const auto last = reader.snapshotAt(samples.last().id, &error);
        QVERIFY2(last && last->bouncer, qPrintable(error));
        QVERIFY(last->bouncer->clients && last->bouncer->servers);
        QVERIFY(last->bouncer->connectionsAtMs >= samples.first().tMs - 1000 &&
                last->bouncer->connectionsAtMs <= samples.last().tMs);
        QStringList recordedPtrs, recordedLinks, serverPtrs;
        for (const BouncerConnection &c : *last->bouncer->clients)
            if (c.applicationName == QString::fromUtf8(kApp)) {
                recordedPtrs.append(c.ptr);
                recordedLinks.append(c.link);
            }
        for (const BouncerConnection &sv : *last->bouncer->servers)
            serverPtrs.append(sv.ptr);
        recordedPtrs.sort();
        recordedLinks.sort();
        QCOMPARE(recordedPtrs, clientPtrs);
        QCOMPARE(recordedLinks, clientLinks);
        for (const QString &link : clientLinks) // each held server is in the recorded SHOW SERVERS
            QVERIFY2(serverPtrs.contains(link), qPrintable(link));
        // Unchanged rounds are stored once.
        QCOMPARE(sqliteScalar(path, "SELECT count(*) FROM pooler_rounds"), qint64(1));

        const QString csvDir = m_dir.filePath("pooler-csv");
        QCOMPARE(test::runPoolscope({"export", path, "--format", "csv", "--out", csvDir}).exitCode, 0);
        QCOMPARE(csvRecords(csvDir + "/pooler_connections.csv"),
                 sqliteScalar(path, "SELECT sum(clients + servers) FROM pooler_rounds"));
        QVERIFY(sqliteScalar(path, "SELECT sum(clients) FROM pooler_rounds") >= 3);
    }

    void killNineLosesAtMostTheLastSecond()
    {
        const QString path = m_dir.filePath("killed.psrec");
        QProcess p;
        p.start(bin(), {"record", m_sandbox->uris().monitor, m_sandbox->uris().pgbouncerMonitor, "--out",
                        path, "--interval", "200ms"});
        QVERIFY(p.waitForStarted(5000));
        QTest::qWait(2500);
        const qint64 killedAt = QDateTime::currentMSecsSinceEpoch();
        ::kill(pid_t(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);

        record::RecordingReader reader;
        QString error;
        QVERIFY2(reader.open(path, &error), qPrintable(error));
        for (const int target : {1, 2}) {
            const QList<record::RecordedSample> samples = reader.samples(target);
            QVERIFY2(samples.size() >= 5, qPrintable(QString::number(samples.size())));
            const qint64 lost = killedAt - samples.last().tMs;
            qInfo("target %d: last sample %lld ms before kill -9", target, lost);
            QVERIFY2(lost <= 1000, qPrintable(QString::number(lost)));
        }
        QVERIFY(reader.sessionsAt(reader.samples(1).last().id, &error));
        QVERIFY(!reader.poolsAt(reader.samples(2).last().id).isEmpty());
        const test::CliResult x =
            test::runPoolscope({"export", path, "--format", "csv", "--out", m_dir.filePath("killed-csv")});
        QCOMPARE(x.exitCode, 0);
    }

    void damagedFilesGiveAClearError_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("message");
        QTest::addRow("truncated") << "truncate"
                                   << "damaged";
        QTest::addRow("pages overwritten") << "zero"
                                           << "damaged";
        QTest::addRow("random bytes") << "random"
                                      << "not a PoolScope recording";
        QTest::addRow("empty file") << "empty"
                                    << "not a PoolScope recording";
        QTest::addRow("another SQLite database") << "foreign"
                                                 << "not a PoolScope recording";
        QTest::addRow("a newer format") << "newer"
                                        << "newer PoolScope";
        QTest::addRow("missing") << "missing"
                                 << "no such file";
    }
    void damagedFilesGiveAClearError()
    {
        QFETCH(QString, damage);
        QFETCH(QString, message);
        if (m_recording.isEmpty())
            QSKIP("needs the recording of recordingShowsWhatPgStatActivityShowed");
        const QString path = m_dir.filePath(damage + ".psrec");
        QFile::remove(path);
        QFile original(m_recording);
        QVERIFY(original.open(QIODevice::ReadOnly));
        QByteArray bytes = original.readAll();
        QVERIFY(bytes.size() > 8 * 4096);
        if (damage == "truncate")
            bytes.truncate(bytes.size() / 2);
        else if (damage == "zero")
            bytes.replace(4096, bytes.size() - 2 * 4096, QByteArray(bytes.size() - 2 * 4096, '\0'));
        else if (damage == "random")
            for (char &c : bytes)
                c = char(QRandomGenerator::global()->bounded(256));
        else if (damage == "empty")
            bytes.clear();
        if (damage == "foreign") {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open(path.toUtf8().constData(), &db), SQLITE_OK);
            QCOMPARE(
                sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", nullptr, nullptr, nullptr),
                SQLITE_OK);
            sqlite3_close(db);
        } else if (damage != "missing") {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
            f.close();
            if (damage == "newer")
                QVERIFY(sqliteExec(path, "PRAGMA user_version = 99"));
        }
        record::RecordingReader reader;
        QString error;
        QVERIFY(!reader.open(path, &error));
        QVERIFY2(error.contains(message) && error.startsWith(path), qPrintable(error));

        const QString out = m_dir.filePath(damage + "-export");
        const test::CliResult x = test::runPoolscope({"export", path, "--format", "csv", "--out", out});
        QVERIFY2(!x.crashed, x.err.constData());
        QCOMPARE(x.exitCode, 1);
        const QByteArray prefix = QByteArray("poolscope export: ") + path.toUtf8();
        QVERIFY2(x.err.startsWith(prefix) && x.err.contains(message.toUtf8()), x.err.constData());
        QVERIFY2(!QFileInfo::exists(out), "nothing is written for a file that cannot be read");
        // Nothing else broke: the intact recording still exports.
        QCOMPARE(
            test::runPoolscope({"export", m_recording, "--format", "json", "--out", out + "-good"}).exitCode,
            0);
    }

    void recordUsageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString out = m_dir.filePath("never.psrec");
        QTest::addRow("no target") << QStringList{"record", "--out", out} << "TARGET";
        QTest::addRow("no file") << QStringList{"record", "host=x"} << "--out FILE is required";
        QTest::addRow("bad interval")
            << QStringList{"record", "host=x", "--out", out, "--interval", "5ms"} << "--interval";
        QTest::addRow("tiny size limit")
            << QStringList{"record", "host=x", "--out", out, "--max-size", "1000"} << "--max-size";
        QTest::addRow("the file exists")
            << QStringList{"record", "host=x", "--out", m_dir.path()} << "already exists";
    }
    void recordUsageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const test::CliResult r = test::runPoolscope(args, 10000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("poolscope record:") && r.err.contains(message.toUtf8()),
                 r.err.constData());
        QVERIFY(!QFileInfo::exists(m_dir.filePath("never.psrec")));
    }

    void sizeLimitPausesRecordingWhileSamplingGoesOn()
    {
        // A file limited to 64 KiB: the schema (48 KiB) and the first samples fit; when thirty sessions with
        // long random queries appear (about 21 KiB compressed), their frame does not. The recording pauses
        // with a warning, sampling goes on; Ctrl+C (SIGINT) then stops it cleanly.
        const QString path = m_dir.filePath("limited.psrec");
        test::HeldSessions small, big;
        QString error;
        QVERIFY2(small.open(m_sandbox->uris().app, 2, kApp, {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QProcess p;
        p.start(bin(), {"record", m_sandbox->uris().monitor, "--out", path, "--interval", "100ms",
                        "--max-size", "64KiB"});
        QVERIFY(p.waitForStarted(5000));
        QTest::qWait(1000);
        for (int i = 0; i < 30; ++i) {
            QByteArray random(700, '\0');
            for (char &c : random)
                c = char(QRandomGenerator::global()->bounded(256));
            const QByteArray sql = "SELECT '" + random.toBase64() + "' AS x" + QByteArray::number(i);
            QVERIFY2(big.open(m_sandbox->uris().app, 1, "tst-record-big", {"BEGIN", sql}, &error),
                     qPrintable(error));
        }
        QByteArray err;
        QElapsedTimer waited;
        waited.start();
        while (!err.contains("WARNING recording paused") && waited.elapsed() < 15000) {
            p.waitForReadyRead(200);
            err += p.readAllStandardError();
        }
        QTest::qWait(1500); // sampling goes on while paused
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        err += p.readAllStandardError();
        const test::CliResult r{p.exitCode(), false, p.readAllStandardOutput(), err};
        QCOMPARE(r.exitCode, 4);
        QVERIFY2(r.err.contains("WARNING recording paused") && r.err.contains("size limit of 64 KiB") &&
                     r.err.contains("sampling goes on"),
                 r.err.constData());
        const QRegularExpression summary(
            "recorded (\\d+) sample.*; (\\d+) of (\\d+) sample\\(s\\) not recorded");
        const QRegularExpressionMatch m = summary.match(QString::fromUtf8(r.out));
        QVERIFY2(m.hasMatch(), r.out.constData());
        const int written = m.captured(1).toInt(), lost = m.captured(2).toInt(),
                  taken = m.captured(3).toInt();
        qInfo("taken %d, recorded %d, not recorded %d", taken, written, lost);
        QVERIFY2(written >= 5, r.out.constData());
        QCOMPARE(written + lost, taken);
        QVERIFY2(lost >= 10, "sampling went on at 10 per second while paused");
        QVERIFY(QFileInfo(path).size() <= 64 * 1024);

        record::RecordingReader reader;
        QVERIFY2(reader.open(path, &error), qPrintable(error));
        QCOMPARE(reader.sampleCount(), qint64(written));
    }
};

QTEST_GUILESS_MAIN(TestRecording)
#include "tst_recording.moc"
