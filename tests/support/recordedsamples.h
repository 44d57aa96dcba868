#pragma once
// Samples to write into test recordings (replay, report): a PostgreSQL target with an application's sessions
// held idle in transaction, the shape the idle-in-transaction-leak finding reads.
#include "core/targetsnapshot.h"

namespace poolscope::test {

/// "monitor@db1:5432/app" sampled at `atMs` with `held` sessions of "billing" idle in transaction (pids 1000,
/// 1001, ...), session i's transaction started at `sinceS + i * stepS` (epoch seconds).
inline TargetSnapshot billingSample(qint64 atMs, int held, double sinceS, double stepS = 0)
{
    TargetSnapshot t;
    t.target = QStringLiteral("monitor@db1:5432/app");
    t.kind = TargetKind::Postgres;
    t.ok = true;
    t.sampledAtMs = atMs;
    PostgresSample pg;
    pg.serverNow = double(atMs) / 1000.0;
    pg.maxConnections = 100;
    pg.superuserReserved = 3;
    for (int i = 0; i < held; ++i) {
        Session s;
        s.pid = 1000 + i;
        s.applicationName = QStringLiteral("billing");
        s.datname = s.usename = QStringLiteral("app");
        s.backendType = QStringLiteral("client backend");
        s.state = QStringLiteral("idle in transaction");
        s.xactStart = s.stateChange = sinceS + i * stepS;
        s.query = QStringLiteral("SELECT 1");
        pg.sessions.append(s);
        ++pg.counts[SessionState::IdleInTransaction];
    }
    t.postgres = pg;
    return t;
}

} // namespace poolscope::test
