#include "sessionanalysis.h"

#include <QHash>
#include <QSet>
#include <algorithm>

namespace poolscope::analysis {

StateCounts countStates(const QList<Session> &sessions)
{
    StateCounts counts;
    for (const Session &s : sessions) {
        ++counts[s.stateClass()];
        if (s.hidden)
            ++counts.hidden;
    }
    return counts;
}

const QString &groupName(const Session &session, GroupDimension dimension, bool *hidden)
{
    static const QString insufficient = QStringLiteral("<insufficient privilege>");
    if (hidden)
        *hidden = false;
    switch (dimension) {
    case GroupDimension::Application:
        return session.applicationName; // visible to every role, even on hidden rows
    case GroupDimension::User:
        return session.usename;
    case GroupDimension::Database:
        return session.datname;
    case GroupDimension::Client:
        break;
    }
    if (session.hidden && session.clientAddr.isEmpty()) {
        if (hidden)
            *hidden = true;
        return insufficient;
    }
    return session.clientAddr;
}

QList<SessionGroup> groupSessions(const QList<Session> &sessions, GroupDimension dimension)
{
    QList<SessionGroup> groups;
    QHash<QString, qsizetype> index;
    for (const Session &s : sessions) {
        bool hidden = false;
        const QString &name = groupName(s, dimension, &hidden);
        auto it = index.constFind(name);
        if (it == index.constEnd()) {
            it = index.insert(name, groups.size());
            groups.append(SessionGroup{name, hidden, {}});
        }
        SessionGroup &g = groups[*it];
        ++g.counts[s.stateClass()];
        if (s.hidden)
            ++g.counts.hidden;
    }
    std::sort(groups.begin(), groups.end(), [](const SessionGroup &a, const SessionGroup &b) {
        if (a.sessions() != b.sessions())
            return a.sessions() > b.sessions();
        return a.name < b.name;
    });
    return groups;
}

QList<SessionGroup> topGroups(const QList<SessionGroup> &ranked, int n, SessionGroup *others)
{
    const qsizetype keep = std::clamp<qsizetype>(n, 0, ranked.size());
    if (others) {
        *others = SessionGroup{};
        for (qsizetype i = keep; i < ranked.size(); ++i) {
            for (SessionState s : AllSessionStates)
                others->counts[s] += ranked[i].counts[s];
            others->counts.hidden += ranked[i].counts.hidden;
        }
    }
    return ranked.mid(0, keep);
}

QList<qint64> rootBlockers(const PostgresSample &sample)
{
    QSet<qint64> waiting;
    for (const Session &s : sample.sessions) {
        if (s.waitingOnLock())
            waiting.insert(s.pid);
    }
    QList<qint64> roots;
    QSet<qint64> isRoot;
    for (const Session &s : sample.sessions) {
        for (qint64 blocker : s.blockedBy) {
            if (!waiting.contains(blocker) && !isRoot.contains(blocker)) {
                isRoot.insert(blocker);
                roots.append(blocker);
            }
        }
    }
    const QHash<qint64, int> behind = sample.blockedBehind(roots);
    std::sort(roots.begin(), roots.end(), [&behind](qint64 a, qint64 b) {
        if (behind.value(a) != behind.value(b))
            return behind.value(a) > behind.value(b);
        return a < b;
    });
    return roots;
}

void summarizeSessions(PostgresSample &sample)
{
    sample.counts = countStates(sample.sessions);
    sample.lockWaiting = int(std::count_if(sample.sessions.cbegin(), sample.sessions.cend(),
                                           [](const Session &s) { return s.waitingOnLock(); }));
    sample.rootBlockers = rootBlockers(sample);
    for (GroupDimension d : AllGroupDimensions)
        sample.groups[size_t(d)] = groupSessions(sample.sessions, d);
}

void copySummary(const PostgresSample &from, PostgresSample &to)
{
    to.counts = from.counts;
    to.lockWaiting = from.lockWaiting;
    to.rootBlockers = from.rootBlockers;
    to.groups = from.groups;
}

} // namespace poolscope::analysis
