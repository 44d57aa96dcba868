// libFuzzer: SHOW rows of PgBouncer-shaped consoles (PgBouncer 1.17-1.25, PgCat, Odyssey) through every
// parser and what is derived from them. Seeds: tests/data/{pgbouncer,pgcat,odyssey}.
#include "core/bouncerparsers.h"
#include "fuzztable.h"

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ResultTable table = fuzz::tableFromBytes(data, size);
    const RowReader first(table, 0);
    const QString firstCell = table.rowCount() > 0 ? first.string(0) : QString();

    BouncerSample sample;
    for (PoolerFlavor flavor : {PoolerFlavor::PgBouncer, PoolerFlavor::PgCat, PoolerFlavor::Odyssey})
        sample.pools = parsers::parseShowPools(table, flavor);
    sample.databases = parsers::parseShowDatabases(table);
    sample.users = parsers::parseShowUsers(table);
    sample.totals = parsers::parseShowStatsTotals(table);
    BouncerSample previous = sample;
    previous.totals = parsers::parseShowStats(table);
    sample.lists = parsers::parseShowLists(table);
    sample.clients = parsers::parseShowConnections(table);
    parsers::parseShowState(table, sample);
    const QHash<QString, QString> config = parsers::parseShowConfig(table);
    parsers::consoleAccess(config, firstCell);
    parsers::parseBouncerVersion(firstCell);
    parsers::isBouncerVersion(firstCell);
    parsers::detectFlavor(firstCell, table);
    parsers::joinPoolSizes(sample.pools, sample.databases, sample.users);
    previous.pools = sample.pools;
    parsers::deriveBouncerRates(sample, previous, 1.0);
    return 0;
}
