#include "pgpoolparsers.h"

namespace poolscope::parsers {

QList<PgpoolNode> parsePoolNodes(const ResultTable &table)
{
    const int nodeId = table.column(u"node_id");
    const int hostname = table.column(u"hostname");
    const int port = table.column(u"port");
    const int status = table.column(u"status");
    const int pgStatus = table.column(u"pg_status");
    const int role = table.column(u"role");
    const int selectCount = table.column(u"select_cnt");
    const int loadBalance = table.column(u"load_balance_node");
    const int delay = table.column(u"replication_delay");
    const int lastChange = table.column(u"last_status_change");
    QList<PgpoolNode> nodes;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const auto id = r.integer(nodeId);
        if (!id)
            continue;
        PgpoolNode n;
        n.nodeId = *id;
        n.hostname = r.string(hostname);
        n.port = r.integer(port);
        n.status = r.string(status);
        n.pgStatus = r.string(pgStatus);
        n.role = r.string(role);
        n.selectCount = r.integer(selectCount);
        n.loadBalanceNode = r.boolean(loadBalance);
        n.replicationDelay = r.string(delay);
        n.lastStatusChange = r.string(lastChange);
        nodes.append(std::move(n));
    }
    return nodes;
}

QList<PgpoolProcess> parsePoolProcesses(const ResultTable &table)
{
    const int pid = table.column(u"pool_pid");
    const int startTime = table.column(u"start_time");
    const int database = table.column(u"database");
    const int username = table.column(u"username");
    const int status = table.column(u"status");
    const int clientCount = table.column(u"client_connection_count");
    const int poolCounter = table.column(u"pool_counter");
    QList<PgpoolProcess> processes;
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const auto p = r.integer(pid);
        if (!p)
            continue;
        PgpoolProcess proc;
        proc.pid = *p;
        proc.startTime = r.string(startTime);
        proc.database = r.string(database);
        proc.username = r.string(username);
        proc.status = r.string(status);
        proc.clientConnectionCount = r.integer(clientCount);
        proc.poolCounter = r.integer(poolCounter);
        processes.append(std::move(proc));
    }
    return processes;
}

QList<PgpoolPoolSlot> parsePoolPools(const ResultTable &table)
{
    const int pid = table.column(u"pool_pid");
    const int poolId = table.column(u"pool_id");
    const int backendId = table.column(u"backend_id");
    const int database = table.column(u"database");
    const int username = table.column(u"username");
    const int backendPid = table.column(u"pool_backendpid");
    const int connected = table.column(u"pool_connected");
    const int idle = table.column(u"client_idle_duration");
    const int clientHost = table.column(u"client_host");
    const int clientPort = table.column(u"client_port");
    QList<PgpoolPoolSlot> slots;
    slots.reserve(table.rowCount());
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const auto p = r.integer(pid);
        if (!p)
            continue;
        PgpoolPoolSlot s;
        s.pid = *p;
        s.poolId = r.integer(poolId).value_or(0);
        s.backendId = r.integer(backendId).value_or(0);
        s.database = r.string(database);
        s.username = r.string(username);
        if (const auto b = r.integer(backendPid); b && *b > 0) // 0 or empty: no backend in this slot
            s.backendPid = b;
        s.connected = r.integer(connected).value_or(0) == 1;
        s.clientIdleSeconds = r.real(idle);
        s.clientHost = r.string(clientHost);
        if (const auto port = r.integer(clientPort); port && *port > 0)
            s.clientPort = port;
        slots.append(std::move(s));
    }
    return slots;
}

} // namespace poolscope::parsers
