#pragma once

#include "postgresparsers.h"
#include "postgressample.h"
#include "resulttable.h"

#include <QList>
#include <vector>

namespace poolscope {

/// The client sessions of one sampling connection, kept from one poll to the next so that a poll reads only
/// what changed.
///
/// resources/sql/pg_activity.sql returns every client backend, in pid order, with a column `whole`: a whole
/// row carries every column; a short one (a session idle, or idle in transaction, waiting for its client
/// since before the cutoff the sampler passed) carries only the pid and the horizon ages, which move with
/// the server's transaction counter. merge() takes a short row's other fields from the cached session.
/// A result without the `whole` column (captured rows, older callers) is all whole rows. The short
/// sessions' arrays come only when they changed (their hash, short_key, differs from shortKey()): otherwise
/// the arrays of the last merge are used again.
///
/// Nothing is copied when nothing changed: sessions() is then the same implicitly shared list as after the
/// previous merge (changed() false), so a consumer can keep what it derived from it (the summary). Pure: no
/// libpq; the sampler decides the cutoff and when to ask for every row again.
class ActivityCache
{
public:
    /// Merges one result. False when a short row names a session the cache does not hold (a reconnect, a
    /// result out of pid order): ask again with every row whole (cutoff 0) and merge that; the cache is
    /// unchanged then.
    bool merge(const ResultTable &table);
    /// Client sessions, by pid, PoolScope's own left out.
    const QList<Session> &sessions() const { return m_sessions; }
    /// PoolScope's own connections (this one and other instances'), flagged by the query.
    int poolscopeSessions() const { return int(m_own.size()); }
    /// The last merge changed the sessions (membership or any field); false while the cache is empty.
    bool changed() const { return m_changed; }
    /// Whole rows in the last merge (the rest were short).
    int wholeRows() const { return m_wholeRows; }
    bool isEmpty() const { return m_sessions.isEmpty() && m_own.empty(); }
    /// The hash of the short sessions' arrays merged last, for the next query ($1[3]); none when unknown.
    std::optional<qint64> shortKey() const { return m_short.key; }

    /// The short sessions of one result: pids in order, and the pids with a horizon age with their ages.
    struct ShortSet
    {
        std::optional<qint64> key;
        std::vector<std::optional<qint64>> pids, agedPids, xminAges, xidAges;
        qsizetype sessions = 0; // of them, sessions (not PoolScope's own) when merged
    };
    /// Forgets everything (a new connection).
    void reset();

private:
    /// The common case at a poll of a quiet server, without a pass over every session: the short sessions
    /// are the last merge's (their key, no arrays) and every whole row is a session as cached, or one of
    /// PoolScope's own as before. False when anything else is there (merge() then does it all).
    bool mergeUnchanged(const ResultTable &table, const parsers::ActivityColumns &c);

    QList<Session> m_sessions;
    std::vector<qint64> m_own;      // sorted
    ShortSet m_short;               // as merged last
    std::vector<qint64> m_wholeOwn; // sorted: PoolScope's own that came as whole rows last time
    bool m_changed = false;
    int m_wholeRows = 0;
};

/// Every field of the two sessions is equal (keep in step with Session: a field left out here would keep
/// its first value in the cache).
bool sameSession(const Session &a, const Session &b);

} // namespace poolscope
