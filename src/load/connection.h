#pragma once

#include "core/dberror.h"
#include "db/asyncconnection.h"

#include <QString>
#include <cstddef>
#include <cstdint>

namespace poolscope::load {

struct Pool;
struct Worker;

/// One simulated client connection as a Shard's epoll loop drives it: the db::AsyncConnection (the same
/// state machine and cancel key the sampler uses), what it is doing for the run, and its epoll
/// registration.
struct Connection
{
    enum class Op
    {
        Connect,
        None, // established, nothing in flight (idle in the pool, or held by a worker between steps)
        Query,
        Ping,  // pre-ping before a checkout
        Reset, // ROLLBACK on return
    };

    db::AsyncConnection pg;
    Pool *pool = nullptr;
    Worker *user = nullptr; // the worker waiting on it or holding it
    Op op = Op::Connect;
    int fd = -1; // registered with epoll
    uint32_t events = 0;
    size_t slot = 0; // index in Shard::conns
    double startedAt = 0;
    bool established = false;
    bool broken = false; // the server or pooler closed it; libpq only tells at the next use
    bool counted = true; // counts against its pool's capacity (a leaked pool-less connection does not)
    bool checkedOut = false;
    QString deathMessage; // why it broke, kept for the error its next user gets
    DbError failure;      // why the operation that just ended failed (an error result)
};

} // namespace poolscope::load
