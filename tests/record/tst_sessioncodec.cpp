// Unit: session lists survive the frame encoding (keyframes, deltas, escapes, unknown values) exactly.
#include "record/poolercodec.h"
#include "record/sessioncodec.h"

#include <QTest>

using namespace poolscope;
using namespace poolscope::record;

namespace {

Session session(qint64 pid, const char *state, const QString &query = QStringLiteral("SELECT 1"))
{
    Session s;
    s.pid = pid;
    s.datname = QStringLiteral("app");
    s.usename = QStringLiteral("app");
    s.applicationName = QStringLiteral("web");
    s.clientAddr = QStringLiteral("127.0.0.1");
    s.clientPort = 40000 + pid;
    s.backendType = QStringLiteral("client backend");
    if (state)
        s.state = QString::fromUtf8(state);
    s.backendStart = 1765000000.125;
    s.stateChange = 1765000010.5;
    s.query = query;
    return s;
}

/// Every field, as text, for comparisons.
QString text(const QList<Session> &sessions)
{
    QStringList out;
    for (const Session &s : sessions)
        out.append(QString::fromUtf8(encodeSession(s)));
    return out.join(QLatin1Char('\n'));
}

} // namespace

class TestSessionCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fieldsRoundTrip()
    {
        Session s = session(42, "idle in transaction", QStringLiteral("SELECT 'a\tb'\n\\ FROM t -- é"));
        s.xactStart = 1765000001.000001;
        s.queryId = -1234567890123;
        s.backendXidAge = 17;
        s.blockedBy = {7, 9};
        s.hidden = true;
        s.waitEventType = QStringLiteral("Client");
        Session back;
        QVERIFY(decodeSession(encodeSession(s), &back));
        QCOMPARE(back.pid, qint64(42));
        QCOMPARE(back.query, s.query);
        QCOMPARE(back.state, s.state);
        QCOMPARE(back.xactStart.value(), 1765000001.000001);
        QVERIFY(!back.queryStart.has_value());
        QVERIFY(!back.backendXminAge.has_value());
        QCOMPARE(back.queryId.value(), qint64(-1234567890123));
        QCOMPARE(back.blockedBy, (QList<qint64>{7, 9}));
        QVERIFY(back.hidden);
        QCOMPARE(back.stateClass(), SessionState::IdleInTransaction);
        Session hiddenState = session(43, nullptr);
        QVERIFY(decodeSession(encodeSession(hiddenState), &back));
        QVERIFY(!back.state.has_value());
        QCOMPARE(back.stateClass(), SessionState::Other);
    }

    void deltasRebuildEverySample()
    {
        // Ten samples: sessions come, change and go. Decoding the frames in order gives each list back, and
        // unchanged samples store nothing.
        QList<QList<Session>> samples;
        QList<Session> current{session(1, "idle"), session(2, "active"), session(3, "idle in transaction")};
        for (int i = 0; i < 10; ++i) {
            if (i == 2)
                current[1].state = QStringLiteral("idle");
            if (i == 4)
                current.append(session(10 + i, "active"));
            if (i == 6)
                current.removeFirst();
            if (i == 8)
                current[0].query = QStringLiteral("UPDATE t SET x = 1");
            samples.append(current);
        }
        SessionFrameEncoder encoder;
        SessionFrameDecoder decoder;
        int stored = 0, keyframes = 0;
        for (int i = 0; i < samples.size(); ++i) {
            const auto frame = encoder.encode(samples[i], 5);
            if (frame) {
                ++stored;
                keyframes += frame->keyframe ? 1 : 0;
                QString error;
                QVERIFY2(decoder.apply(frame->data, frame->keyframe, &error), qPrintable(error));
            }
            QCOMPARE(text(decoder.sessions()), text(samples[i]));
        }
        QCOMPARE(keyframes, 2); // the first, and the fifth frame after it
        QVERIFY2(stored < samples.size(), "unchanged samples are not stored");
    }

    void keyframesKeepNoStaleSession()
    {
        // The decoder keeps what it decoded for the lines that did not change: a session changed in a
        // keyframe, and a pid that left and came back as another session, must come back as they are now.
        QList<QList<Session>> samples;
        QList<Session> current{session(1, "idle"), session(2, "active")};
        samples.append(current);
        current[0].state = QStringLiteral("idle in transaction"); // changed in a keyframe
        samples.append(current);
        current.removeLast(); // pid 2 leaves...
        samples.append(current);
        Session again = session(2, "active");
        again.query = QStringLiteral("SELECT 2"); // ...and comes back as another session
        current.append(again);
        samples.append(current);
        samples.append(current); // unchanged
        for (const int every : {1, 2, 60}) {
            SessionFrameEncoder encoder;
            SessionFrameDecoder decoder;
            for (int i = 0; i < samples.size(); ++i) {
                if (const auto frame = encoder.encode(samples[i], every)) {
                    QString error;
                    QVERIFY2(decoder.apply(frame->data, frame->keyframe, &error), qPrintable(error));
                }
                QCOMPARE(text(decoder.sessions()), text(samples[i]));
            }
        }
    }

    void resetForcesAKeyframe()
    {
        SessionFrameEncoder encoder;
        const QList<Session> list{session(1, "idle")};
        QVERIFY(encoder.encode(list, 60)->keyframe);
        QVERIFY(!encoder.encode(list, 60).has_value());
        encoder.reset();
        const auto frame = encoder.encode(list, 60);
        QVERIFY(frame && frame->keyframe);
    }

    void damagedFrameIsAnError()
    {
        SessionFrameDecoder decoder;
        QString error;
        QVERIFY(!decoder.apply(QByteArray("\x00\x00\x00\x10garbage", 11), true, &error));
        QVERIFY(!error.isEmpty());
        // qCompress is a 4-byte length, then a zlib stream: the stream alone is what a frame holds.
        QVERIFY(!decoder.apply(qCompress(QByteArray("*what\n")).mid(4), true, &error));
        SessionFrameEncoder empty; // a server with no sessions: an empty keyframe
        QVERIFY(decoder.apply(empty.encode({}, 60)->data, true, &error));
        QCOMPARE(decoder.size(), 0);
    }

    void aDeltaNeedsItsOwnKeyframe()
    {
        SessionFrameEncoder encoder;
        QList<Session> list{session(1, "idle"), session(2, "idle")};
        const auto key = encoder.encode(list, 60);
        list[0].state = QStringLiteral("active");
        const auto delta = encoder.encode(list, 60);
        QVERIFY(key && key->keyframe && delta && !delta->keyframe);
        QCOMPARE(delta->changes, 1);
        QString error;
        SessionFrameDecoder lone;
        QVERIFY(!lone.apply(delta->data, false, &error));
        // After another target's keyframe (another dictionary) the delta is refused, never misread.
        SessionFrameEncoder other;
        const auto otherKey = other.encode({session(7, "idle")}, 60);
        SessionFrameDecoder wrong;
        QVERIFY(wrong.apply(otherKey->data, true, &error));
        QVERIFY(!wrong.apply(delta->data, false, &error));
        SessionFrameDecoder truncated;
        QVERIFY(truncated.apply(key->data, true, &error));
        QVERIFY(!truncated.apply(delta->data.left(delta->data.size() / 2), false, &error));
        SessionFrameDecoder right;
        QVERIFY(right.apply(key->data, true, &error));
        QVERIFY2(right.apply(delta->data, false, &error), qPrintable(error));
        QCOMPARE(text(right.sessions()), text(list));
    }
    void poolerRoundRoundTrip()
    {
        // A waiting client with an awkward application name, and the server another client holds.
        BouncerConnection waiting;
        waiting.type = QStringLiteral("C");
        waiting.database = waiting.user = QStringLiteral("app");
        waiting.state = QStringLiteral("waiting");
        waiting.applicationName = QStringLiteral("worker\t#3\nretry \\ 2");
        waiting.addr = QStringLiteral("10.0.0.5");
        waiting.port = 51234;
        waiting.connectTime = 1765000000.25;
        waiting.waitSeconds = 4.000125;
        waiting.ptr = QStringLiteral("0x1a2b");
        waiting.closeNeeded = false;
        waiting.id = 17;
        BouncerConnection server;
        server.type = QStringLiteral("S");
        server.database = server.user = QStringLiteral("app");
        server.state = QStringLiteral("active");
        server.ptr = QStringLiteral("0x9f00");
        server.link = QStringLiteral("0x7777");
        server.remotePid = 4242;
        server.replication = QStringLiteral("none");
        const QByteArray data = record::encodePoolerRound({waiting}, {server});
        QString error;
        const auto round = record::decodePoolerRound(data, &error);
        QVERIFY2(round, qPrintable(error));
        QCOMPARE(round->clients.size(), 1);
        QCOMPARE(round->servers.size(), 1);
        const BouncerConnection &c = round->clients.first();
        QCOMPARE(c.applicationName, waiting.applicationName);
        QCOMPARE(c.state, QStringLiteral("waiting"));
        QCOMPARE(c.port, std::optional<qint64>(51234));
        QCOMPARE(c.waitSeconds, std::optional<double>(4.000125));
        QCOMPARE(c.closeNeeded, std::optional<bool>(false));
        QCOMPARE(c.id, std::optional<qint64>(17));
        QVERIFY(!c.remotePid && !c.preparedStatements && !c.replication);
        const BouncerConnection &sv = round->servers.first();
        QCOMPARE(sv.remotePid, std::optional<qint64>(4242));
        QCOMPARE(sv.link, QStringLiteral("0x7777"));
        QCOMPARE(sv.replication, std::optional<QString>(QStringLiteral("none")));
        // Empty rounds are rounds too.
        const auto empty = record::decodePoolerRound(record::encodePoolerRound({}, {}), &error);
        QVERIFY(empty && empty->clients.isEmpty() && empty->servers.isEmpty());
    }

    void damagedPoolerRoundIsAnError()
    {
        QString error;
        QVERIFY(!record::decodePoolerRound(QByteArray("not zlib at all"), &error));
        QVERIFY2(error.contains("cannot be decompressed"), qPrintable(error));
        // A stream that decompresses, but into something else than connection lines.
        error.clear();
        QVERIFY(!record::decodePoolerRound(qCompress(QByteArray("C\tapp\n")).mid(4), &error));
        QVERIFY2(!error.isEmpty(), "no reason given");
    }
};

QTEST_GUILESS_MAIN(TestSessionCodec)
#include "tst_sessioncodec.moc"
