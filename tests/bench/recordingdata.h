#pragma once
// Synthetic recordings for the benchmarks (bench_recording, bench_replay): a pool of sessions of which a
// share runs a statement or a transaction each second, as PostgreSQL samples.
#include "core/targetsnapshot.h"
#include "record/recordingwriter.h"

#include <QDateTime>

#include <QList>
#include <QRandomGenerator>
#include <QString>
#include <optional>

namespace poolscope::bench {

// Twenty statements of an application using bind parameters (ORMs, pgbouncer's transaction mode).
inline QString queryText(int i)
{
    static const char *const tables[] = {"orders", "customers", "invoices", "line_items", "payments"};
    return QStringLiteral("SELECT id, status, amount, updated_at FROM %1 WHERE account_id = $1 AND id = $2 "
                          "ORDER BY updated_at DESC LIMIT %2")
        .arg(QString::fromLatin1(tables[i % 5]))
        .arg(10 + i);
}

/// One second of a pool of `n` sessions in which a fraction `churn` ran a statement or a transaction.
inline void advance(QList<Session> &sessions, double churn, double now, QRandomGenerator &rng)
{
    static const char *const states[] = {"idle", "active", "idle in transaction"};
    for (Session &s : sessions) {
        if (rng.generateDouble() >= churn)
            continue;
        const int st = int(rng.bounded(10));
        s.state = QString::fromLatin1(states[st < 6 ? 0 : st < 9 ? 1 : 2]);
        s.stateChange = now - rng.generateDouble();
        s.queryStart = *s.stateChange - 0.002;
        s.xactStart = st < 6 ? std::nullopt : std::optional<double>(*s.queryStart - 0.001);
        s.query = queryText(int(rng.bounded(20)));
        s.waitEventType = st < 6 || st == 9 ? QStringLiteral("Client") : QString();
        s.waitEvent = st < 6 || st == 9 ? QStringLiteral("ClientRead") : QString();
        s.backendXminAge = st < 6 ? std::nullopt : std::optional<qint64>(rng.bounded(5));
    }
}

inline TargetSnapshot snapshotOf(const QList<Session> &sessions, qint64 ms)
{
    TargetSnapshot t;
    t.target = QStringLiteral("monitor@db1:5432/app");
    t.kind = TargetKind::Postgres;
    t.ok = true;
    t.serverVersion = QStringLiteral("15.8");
    t.sampledAtMs = ms;
    PostgresSample pg;
    pg.serverNow = double(ms) / 1000.0;
    pg.maxConnections = 2000;
    pg.superuserReserved = 3;
    pg.sessions = sessions;
    for (const Session &s : sessions)
        ++pg.counts[s.stateClass()];
    pg.xactCommit = quint64(ms);
    t.postgres = pg;
    return t;
}

inline QList<Session> pool(int sessions, qint64 start)
{
    QList<Session> list;
    for (int i = 0; i < sessions; ++i) {
        Session s;
        s.pid = 100000 + i * 7;
        s.datname = QStringLiteral("app");
        s.usename = QStringLiteral("app");
        s.applicationName = QStringLiteral("web-%1").arg(i % 5);
        s.clientAddr = QStringLiteral("10.0.%1.%2").arg(i / 200).arg(i % 200 + 1);
        s.clientPort = 30000 + i;
        s.backendType = QStringLiteral("client backend");
        s.backendStart = double(start) / 1000.0 - 3600 - i;
        s.state = QStringLiteral("idle");
        s.stateChange = double(start) / 1000.0 - 10;
        s.query = queryText(i % 20);
        list.append(s);
    }
    return list;
}

/// Writes `samples` seconds at 1 Hz of a pool of 100 sessions, 5 % changing each second, ending now, to a new
/// recording at `path` (one target, "monitor@db1:5432/app"). False with `error` when it cannot be written.
inline bool writeSyntheticRecording(const QString &path, int samples, QString *error)
{
    record::RecordingWriter writer;
    if (!writer.create(path, {QStringLiteral("monitor@db1:5432/app")}, {}, error))
        return false;
    QRandomGenerator rng(7);
    const qint64 start = QDateTime::currentMSecsSinceEpoch() - qint64(samples) * 1000;
    QList<Session> list = pool(100, start);
    for (int k = 0; k < samples; ++k) {
        const qint64 ms = start + qint64(k) * 1000;
        advance(list, 0.05, double(ms) / 1000.0, rng);
        if (!writer.addSample(1, snapshotOf(list, ms), {}, ms)) {
            *error = QStringLiteral("sample %1 not written: %2").arg(k).arg(writer.pauseReason());
            return false;
        }
    }
    writer.close(start + qint64(samples) * 1000);
    return true;
}

} // namespace poolscope::bench
