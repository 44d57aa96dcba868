#pragma once

#include "core/bouncersample.h"
#include "core/dberror.h"
#include "core/targetsnapshot.h"
#include "core/timeseries.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QSet>
#include <QString>
#include <atomic>
#include <optional>

namespace poolscope::db {

class SampleQueries;

/// A PgBouncer-shaped console's part of a sample (PgBouncer, PgCat, Odyssey): SHOW POOLS, DATABASES,
/// STATS_TOTALS (or STATS), USERS, LISTS, STATE, and every few seconds SHOW CLIENTS / SERVERS. One command
/// per query, simple protocol: the console accepts nothing else. What one console connection tells once
/// (flavor, version, config) is asked again every minute and after reset().
class BouncerSource
{
public:
    /// Fills out.bouncer and out.tps. `serverVersion` is the connection's server_version ("1.18.0/bouncer"),
    /// used when SHOW VERSION is refused. SHOW CLIENTS / SHOW SERVERS cost O(connections): they are taken on
    /// the first sample of a connection, then at most every `connectionsIntervalMs` (and at once after
    /// requestConnections()); between rounds a sample carries the last round (connectionsFresh false).
    /// False with `error` when a command failed; a refused optional command is logged once and not asked
    /// again on this connection.
    bool sample(SampleQueries &queries, const QString &target, const QString &serverVersion,
                int connectionsIntervalMs, TargetSnapshot &out, DbError *error);
    /// Any thread, non-blocking: the next sample takes SHOW CLIENTS / SHOW SERVERS whatever the interval.
    void requestConnections() { m_connectionsRequested = true; }
    /// A new connection: forget what the last one told.
    void reset();

private:
    // What one console connection told us once (and again every 60 s), the previous sample for rates, and
    // the last SHOW CLIENTS / SERVERS round.
    struct State
    {
        bool known = false; // flavor and the stats command decided
        PoolerFlavor flavor = PoolerFlavor::PgBouncer;
        bool statsTotals = true; // SHOW STATS_TOTALS (PgBouncer) or SHOW STATS (PgCat, Odyssey)
        QElapsedTimer clock;     // since the connection; sample times for rates
        qint64 infoAtMs = -1;    // SHOW VERSION / CONFIG last taken (clock)
        QString versionText;
        int versionNum = 0;
        QHash<QString, QString> config;
        ConsoleAccess access = ConsoleAccess::Unknown;
        QString consoleUser;
        QSet<QByteArray> refused; // optional commands this console refused: not asked again
        std::optional<BouncerSample> previous;
        qint64 previousAtMs = 0;
        std::optional<QList<BouncerConnection>> clients;
        std::optional<QList<BouncerConnection>> servers;
        qint64 connectionsAtMs = 0;   // wall clock of the round
        qint64 connectionsClock = -1; // clock of the round
    };
    State m_state;
    RateCalculator m_tps{10.0}; // PgBouncer's totals are exact counters
    std::atomic<bool> m_connectionsRequested{false};
};

} // namespace poolscope::db
