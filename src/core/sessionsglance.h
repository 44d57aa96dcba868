#pragma once

#include "postgressample.h"

#include <QList>
#include <optional>
#include <utility>

namespace poolscope {

/// What the window reads from every session at every sample (the oldest transaction, the xmin holder),
/// worked out once per sessions list: the sampler hands over the same shared list while nothing changed, so
/// a quiet sample costs no pass over 1,000 sessions. Ages are taken against the sample's own server time.
class SessionsGlance
{
public:
    /// Refreshes for `pg`'s sessions when they are not the list seen last.
    const SessionsGlance &of(const PostgresSample &pg)
    {
        if (isHeldList(m_sessions, pg.sessions))
            return *this;
        m_sessions = pg.sessions;
        m_oldestXactStart.reset();
        for (const Session &s : std::as_const(m_sessions)) {
            if (s.xactStart && (!m_oldestXactStart || *s.xactStart < *m_oldestXactStart))
                m_oldestXactStart = s.xactStart;
        }
        m_oldestXmin = oldestXminSession(m_sessions);
        return *this;
    }
    /// PostgresSample::oldestXactAge() at `serverNow`.
    std::optional<double> oldestXactAge(double serverNow) const
    {
        if (!m_oldestXactStart)
            return std::nullopt;
        return std::max(0.0, serverNow - *m_oldestXactStart);
    }
    /// PostgresSample::oldestXminSession(); valid until the next of().
    const Session *oldestXmin() const { return m_oldestXmin; }

private:
    QList<Session> m_sessions;
    std::optional<double> m_oldestXactStart;
    const Session *m_oldestXmin = nullptr;
};

} // namespace poolscope
