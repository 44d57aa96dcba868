#pragma once

#include <QString>

namespace poolscope {

/// What the target list, the status bar and `watch` show for a target: db::TargetController decides it, the
/// targets model and the fleet overview display it. In core so both sides share one enum (models never see
/// the db layer). Values are appended, never reordered: the targets model publishes them as integers.
enum class TargetState
{
    Connecting,   // first connection attempt in progress
    Live,         // the last poll answered
    Failed,       // cannot connect (auth, bad conninfo, never reachable) or the server rejected our queries
    Stalled,      // the poll in flight got no reply before the deadline (cancelled); or statement_timeout
    Reconnecting, // an established connection was lost; retrying with backoff
};
QString targetStateName(TargetState state); // "connecting", "live", "stalled", "reconnecting", "failed"

} // namespace poolscope
