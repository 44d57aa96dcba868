#pragma once

#include <QMetaType>
#include <QtGlobal>

namespace poolscope::db {

/// How one sample ended, as far as the connection is concerned. TargetController turns it into the target
/// state (live, stalled, reconnecting, failed) and the retry schedule.
enum class PollOutcome
{
    Ok,
    ConnectFailed,  // could not connect (refused, timeout, auth, bad conninfo): see the error kind
    ConnectionLost, // an established connection broke (server restart, network)
    QueryFailed,    // the server answered with an error; the connection is fine
    Cancelled,      // no reply before the deadline (or statement_timeout hit): cancelled, connection kept
    Abandoned,      // no reply, and no answer to the cancel either: connection dropped
    Interrupted,    // the worker is shutting down
};

/// What a worker reports with each snapshot, besides the snapshot itself. A plain value: crosses threads.
struct PollReport
{
    PollOutcome outcome = PollOutcome::Ok;
    bool connected = false;  // a connection is open after this poll (the next one will not connect)
    qint64 durationMs = 0;   // wall time of the poll on the worker, connecting included
    int connectAttempts = 0; // connection attempts this worker has made so far
    // After an Ok poll the worker polls again by itself, as the next ticket, this long after (its interval
    // less the poll's duration): the steady state needs no call from the GUI thread. -1: it waits to be told.
    qint64 nextPollInMs = -1;
};

} // namespace poolscope::db

Q_DECLARE_METATYPE(poolscope::db::PollReport)
