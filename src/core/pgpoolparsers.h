#pragma once

#include "pgpoolsample.h"
#include "resulttable.h"

#include <QList>

// Parsers of Pgpool-II's own SHOW POOL_* commands.
namespace poolscope::parsers {

/// Pgpool-II SHOW POOL_NODES / POOL_PROCESSES / POOL_POOLS (4.2 - 4.7 shapes; every value is text).
QList<PgpoolNode> parsePoolNodes(const ResultTable &table);
QList<PgpoolProcess> parsePoolProcesses(const ResultTable &table);
QList<PgpoolPoolSlot> parsePoolPools(const ResultTable &table);

} // namespace poolscope::parsers
