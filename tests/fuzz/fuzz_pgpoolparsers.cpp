// libFuzzer: Pgpool-II SHOW POOL_NODES / POOL_PROCESSES / POOL_POOLS rows. Seeds: tests/data/pgpool.
#include "core/pgpoolparsers.h"
#include "fuzztable.h"

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ResultTable table = fuzz::tableFromBytes(data, size);
    parsers::parsePoolNodes(table);
    parsers::parsePoolProcesses(table);
    parsers::parsePoolPools(table);
    return 0;
}
