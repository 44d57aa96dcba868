#include "pgpoolsource.h"

#include "core/logging.h"
#include "core/pgpoolparsers.h"
#include "db/samplequeries.h"

namespace poolscope::db {

bool PgpoolSource::probe(SampleQueries &queries, const QString &target, bool *isPgpool, DbError *error)
{
    *isPgpool = false;
    bool refused = false;
    // PostgreSQL answers 42704 "unrecognized configuration parameter", which is the expected "no".
    PgResult r = queries.runOptional("SHOW POOL_VERSION", &refused, error);
    if (r) {
        const ResultTable t = toTable(r.get());
        const int col = t.column(u"pool_version");
        if (col >= 0 && t.rowCount() > 0) {
            *isPgpool = true;
            m_state.version = firstCell(t, col);
        }
        return true;
    }
    if (refused) {
        if (error->sqlState != QLatin1String("42704"))
            logging::get("sampler")->debug("{}: SHOW POOL_VERSION: {}", target.toStdString(),
                                           error->message.toStdString());
        *error = DbError{};
        return true;
    }
    return false;
}

bool PgpoolSource::sample(SampleQueries &queries, TargetSnapshot &out, DbError *error)
{
    auto show = [&](const QByteArray &sql) -> std::optional<ResultTable> {
        // run() reads every result until NULL and keeps the last: Pgpool-II 4.3 sends an empty result
        // before the real one for some of these.
        PgResult r = queries.run(sql, nullptr, error);
        if (!r)
            return std::nullopt;
        return toTable(r.get());
    };
    PgpoolSample p;
    if (!m_state.settingsRead) {
        if (m_state.version.isEmpty()) {
            if (auto t = show("SHOW POOL_VERSION"))
                m_state.version = firstCell(*t, 0);
            else
                return false;
        }
        auto setting = [&](const QByteArray &name, std::optional<qint64> *into) {
            auto t = show("PGPOOL SHOW " + name);
            if (!t)
                return false;
            if (t->rowCount() > 0)
                *into = RowReader(*t, 0).integer(t->column(QString::fromLatin1(name)));
            return true;
        };
        if (!setting("num_init_children", &m_state.numInitChildren) || !setting("max_pool", &m_state.maxPool))
            return false;
        m_state.settingsRead = true;
    }
    const auto nodes = show("SHOW POOL_NODES");
    if (!nodes)
        return false;
    const auto processes = show("SHOW POOL_PROCESSES");
    if (!processes)
        return false;
    const auto pools = show("SHOW POOL_POOLS");
    if (!pools)
        return false;
    p.version = m_state.version;
    p.numInitChildren = m_state.numInitChildren;
    p.maxPool = m_state.maxPool;
    p.nodes = parsers::parsePoolNodes(*nodes);
    p.processes = parsers::parsePoolProcesses(*processes);
    p.pools = parsers::parsePoolPools(*pools);
    // Through Pgpool-II 4.3 PQbackendPID() is the PostgreSQL backend's pid (the child forwards the
    // backend's BackendKeyData), so our own child is the one holding that backend.
    const qint64 ownBackend = queries.handle() ? PQbackendPID(queries.handle()) : 0;
    for (const PgpoolPoolSlot &slot : std::as_const(p.pools)) {
        if (ownBackend > 0 && slot.backendPid == ownBackend) {
            p.ownChildPid = slot.pid;
            break;
        }
    }
    out.pgpool = std::move(p);
    return true;
}

} // namespace poolscope::db
