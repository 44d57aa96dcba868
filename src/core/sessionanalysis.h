#pragma once

#include "postgressample.h"

#include <QList>
#include <QString>

/// What a sample's sessions add up to: states counted, grouped by a dimension, and who blocks whom at the
/// root. Pure functions over parsed sessions; the sampler fills PostgresSample's derived fields with them.
namespace poolscope::analysis {

/// Sessions by state class; hidden ones also counted apart.
StateCounts countStates(const QList<Session> &sessions);
/// The value a session is grouped by in `dimension`. Client addresses hidden by privileges set *hidden.
const QString &groupName(const Session &session, GroupDimension dimension, bool *hidden = nullptr);
/// Sessions grouped by one dimension, most sessions first, then by name.
QList<SessionGroup> groupSessions(const QList<Session> &sessions, GroupDimension dimension);
/// The first n groups of a ranked list; when `others` is given, the rest are summed into it.
QList<SessionGroup> topGroups(const QList<SessionGroup> &ranked, int n, SessionGroup *others = nullptr);
/// Pids that block someone and do not wait on a lock themselves, the most (transitively) blocked first, then
/// by pid. A blocker outside the sample's sessions (another PoolScope, a background process) counts as a
/// root.
QList<qint64> rootBlockers(const PostgresSample &sample);
/// Fills the fields of `sample` derived from its sessions: counts, lockWaiting, rootBlockers, groups.
void summarizeSessions(PostgresSample &sample);
/// The fields summarizeSessions() fills, taken from a sample of the very same sessions (the sampler keeps
/// the summary while pg_stat_activity shows no change). Keep in step with summarizeSessions().
void copySummary(const PostgresSample &from, PostgresSample &to);

} // namespace poolscope::analysis
