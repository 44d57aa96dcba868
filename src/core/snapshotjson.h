#pragma once

#include "targetsnapshot.h"

#include <QJsonObject>

namespace poolscope {

/// The `snapshot --json` shape. Keys are a public contract: extend, never rename.
QJsonObject toJson(const TargetSnapshot &snapshot);
QJsonObject toJson(const QList<TargetSnapshot> &snapshots); // {"targets":[...]}

struct PoolerChain;
/// With a chain (nullptr or an empty chain: none), each `sessions.list` entry whose backend the pooler holds
/// gains "pool" {database, user, server_state} and, when a client is linked, "client" {addr, port,
/// application_name, id (null before PgBouncer 1.24), state, text}. A Pgpool-II target without a chain
/// uses its own POOL_POOLS.
QJsonObject toJson(const TargetSnapshot &snapshot, const PoolerChain *chain);
/// chains[i] applies to snapshots[i]; missing or empty chains mean none.
QJsonObject toJson(const QList<TargetSnapshot> &snapshots, const QList<PoolerChain> &chains);

} // namespace poolscope
