// libFuzzer: rows of pg_stat_activity (resources/sql/pg_activity.sql) and of the server query
// (pg_server.sql), then the session analysis the sampler runs on them (states, groups, blocking chains).
// Seeds: tests/data/postgres.
#include "core/blocking.h"
#include "core/postgresparsers.h"
#include "core/sessionanalysis.h"
#include "fuzztable.h"

using namespace poolscope;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ResultTable table = fuzz::tableFromBytes(data, size);
    PostgresSample sample;
    int own = 0;
    sample.sessions = parsers::parsePgActivity(table, &own);
    parsers::parsePgServer(table, sample);
    for (int row = 0; row < table.rowCount(); ++row) {
        const RowReader r(table, row);
        for (int column = 0; column < table.columns.size(); ++column)
            parsers::parseIntArray(r.text(column));
    }
    analysis::summarizeSessions(sample);
    for (const Session &s : std::as_const(sample.sessions)) {
        blocking::blockersOf(sample, s.pid);
        blocking::rootsOf(sample, s.pid);
    }
    return 0;
}
