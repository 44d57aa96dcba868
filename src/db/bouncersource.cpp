#include "bouncersource.h"

#include "core/bouncerparsers.h"
#include "core/logging.h"
#include "db/samplequeries.h"

#include <QDateTime>

namespace poolscope::db {

void BouncerSource::reset()
{
    m_state = State{};
    m_tps.reset();
}

bool BouncerSource::sample(SampleQueries &queries, const QString &target, const QString &serverVersion,
                           int connectionsIntervalMs, TargetSnapshot &out, DbError *error)
{
    auto log = logging::get("sampler");
    State &st = m_state;
    if (!st.clock.isValid())
        st.clock.start();
    const qint64 now = st.clock.elapsed();
    // An optional command: refused ones are logged once and not asked again on this connection.
    auto optional = [&](const QByteArray &sql, bool *failed) -> PgResult {
        *failed = false;
        if (st.refused.contains(sql))
            return nullptr;
        bool refused = false;
        PgResult r = queries.runOptional(sql, &refused, error);
        if (!r) {
            if (refused) {
                st.refused.insert(sql);
                log->info("{}: the console refused {} ({}); not asking again on this connection",
                          target.toStdString(), sql.toStdString(), error->message.toStdString());
            } else {
                *failed = true;
            }
        }
        return r;
    };
    bool failed = false;

    // Once per connection and every minute: what the pooler is, and who we are on it.
    const bool infoDue = st.infoAtMs < 0 || now - st.infoAtMs >= 60000;
    if (infoDue) {
        if (PgResult version = optional("SHOW VERSION", &failed)) {
            st.versionText = firstCell(toTable(version.get()), 0);
            st.versionNum = parsers::parseBouncerVersion(st.versionText);
        } else if (failed) {
            return false;
        }
        if (st.versionNum == 0)
            st.versionNum = parsers::parseBouncerVersion(serverVersion);
        st.consoleUser = QString::fromUtf8(PQuser(queries.handle()));
        if (PgResult config = optional("SHOW CONFIG", &failed)) {
            st.config = parsers::parseShowConfig(toTable(config.get()));
            st.access = parsers::consoleAccess(st.config, st.consoleUser);
        } else if (failed) {
            return false;
        }
        st.infoAtMs = now;
    }

    // One command per query string, simple protocol: the console accepts nothing else.
    PgResult pools = queries.run("SHOW POOLS", nullptr, error);
    if (!pools)
        return false;
    const ResultTable poolsTable = toTable(pools.get());
    pools.reset();
    if (!st.known) {
        st.flavor = parsers::detectFlavor(st.versionText, poolsTable);
        // PgCat and Odyssey have no SHOW STATS_TOTALS; their SHOW STATS carries the totals.
        st.statsTotals = st.flavor == PoolerFlavor::PgBouncer;
        st.known = true;
        log->info("{}: {} {}", target.toStdString(), poolerFlavorName(st.flavor).toStdString(),
                  st.versionText.toStdString());
    }
    PgResult databases = queries.run("SHOW DATABASES", nullptr, error);
    if (!databases)
        return false;
    const qint64 totalsAt = st.clock.elapsed(); // rates divide by the time between two reads of the totals
    PgResult totals = queries.run(st.statsTotals ? "SHOW STATS_TOTALS" : "SHOW STATS", nullptr, error);
    if (!totals)
        return false;
    BouncerSample b;
    b.flavor = st.flavor;
    b.versionText = st.versionText;
    b.versionNum = st.versionNum;
    b.config = st.config;
    b.access = st.access;
    b.consoleUser = st.consoleUser;
    b.pools = parsers::parseShowPools(poolsTable, st.flavor);
    b.databases = parsers::parseShowDatabases(toTable(databases.get()));
    databases.reset();
    b.totals = st.statsTotals ? parsers::parseShowStatsTotals(toTable(totals.get()))
                              : parsers::parseShowStats(toTable(totals.get()));
    totals.reset();
    if (st.flavor != PoolerFlavor::Odyssey) { // Odyssey has no SHOW USERS
        if (PgResult users = optional("SHOW USERS", &failed))
            b.users = parsers::parseShowUsers(toTable(users.get()));
        else if (failed)
            return false;
    }
    if (PgResult lists = optional("SHOW LISTS", &failed))
        b.lists = parsers::parseShowLists(toTable(lists.get()));
    else if (failed)
        return false;
    // SHOW STATE is PgBouncer 1.19+; 1.18 answers "invalid command".
    if (st.flavor == PoolerFlavor::PgBouncer && st.versionNum >= 11900) {
        if (PgResult state = optional("SHOW STATE", &failed))
            parsers::parseShowState(toTable(state.get()), b);
        else if (failed)
            return false;
    }
    parsers::joinPoolSizes(b.pools, b.databases, b.users);

    // SHOW CLIENTS then SHOW SERVERS, back to back: the chain joins their pointers, which PgBouncer reuses
    // after a disconnect.
    const bool requested = m_connectionsRequested.exchange(false);
    const bool connectionsDue =
        requested || st.connectionsClock < 0 || now - st.connectionsClock >= connectionsIntervalMs;
    if (connectionsDue && !st.refused.contains("SHOW CLIENTS") && !st.refused.contains("SHOW SERVERS")) {
        PgResult clients = optional("SHOW CLIENTS", &failed);
        PgResult servers;
        if (clients)
            servers = optional("SHOW SERVERS", &failed);
        if (clients && servers) {
            st.clients = parsers::parseShowConnections(toTable(clients.get()));
            st.servers = parsers::parseShowConnections(toTable(servers.get()));
            st.connectionsAtMs = QDateTime::currentMSecsSinceEpoch();
            st.connectionsClock = now;
            b.connectionsFresh = true;
        } else if (failed) {
            if (requested)
                m_connectionsRequested = true; // still wanted after the reconnect
            return false;
        } else {
            // Refused: no lists at all rather than a stale or half round.
            st.clients.reset();
            st.servers.reset();
        }
    }
    b.clients = st.clients; // implicitly shared: no copy between rounds
    b.servers = st.servers;
    b.connectionsAtMs = st.clients ? st.connectionsAtMs : 0;

    // Rates against the previous sample of this connection (PgBouncer's totals are exact counters).
    if (st.previous) {
        b.ratesWindowS = double(totalsAt - st.previousAtMs) / 1000.0;
        parsers::deriveBouncerRates(b, *st.previous, *b.ratesWindowS);
    }
    BouncerSample previous;
    previous.totals = b.totals;
    st.previous = std::move(previous);
    st.previousAtMs = totalsAt;

    quint64 xacts = 0;
    bool haveXacts = false;
    for (const auto &t : b.totals) {
        if (t.xactCount) {
            xacts += *t.xactCount;
            haveXacts = true;
        }
    }
    if (haveXacts)
        out.tps = m_tps.update(double(out.sampledAtMs) / 1000.0, xacts);
    out.bouncer = std::move(b);
    return true;
}

} // namespace poolscope::db
