#include "autoremediation.h"

#include <algorithm>

namespace poolscope {

terminate::Predicate AutoRemediationConfig::predicate() const
{
    terminate::Predicate p;
    p.states = terminate::Predicate::defaultStates();
    p.olderThanS = olderThanS;
    p.application = application.trimmed();
    p.allowSuperuser = false;
    return p;
}

QString AutoRemediationConfig::describe() const
{
    QString text = QStringLiteral("terminating idle in transaction > %1 s").arg(olderThanS);
    if (!application.trimmed().isEmpty())
        text += QStringLiteral(" (application %1)").arg(application.trimmed());
    return dryRun ? QStringLiteral("dry run: ") + text : text;
}

namespace autoremediation {

bool sampleHasCandidates(const PostgresSample &sample, const terminate::Predicate &predicate)
{
    for (const Session &s : sample.sessions) {
        if (s.hidden || s.backendType != QLatin1String("client backend"))
            continue;
        terminate::Candidate c;
        c.pid = s.pid;
        c.datname = s.datname;
        c.usename = s.usename;
        c.applicationName = s.applicationName;
        c.clientAddr = s.clientAddr;
        c.backendType = s.backendType;
        c.state = s.state;
        c.stateChange = s.stateChange;
        if (predicate.matches(c, sample.serverNow))
            return true;
    }
    return false;
}

bool RateLimiter::mayRun(qint64 nowMs) const
{
    return m_lastRunMs < 0 || nowMs - m_lastRunMs >= m_limits.minIntervalMs;
}

int RateLimiter::budget(qint64 nowMs) const
{
    const auto recent = std::count_if(m_kills.cbegin(), m_kills.cend(),
                                      [&](qint64 t) { return nowMs - t < m_limits.windowMs; });
    return std::max(0, std::min(m_limits.maxPerRun, m_limits.maxPerWindow - int(recent)));
}

void RateLimiter::noteRun(qint64 nowMs)
{
    m_lastRunMs = nowMs;
}

void RateLimiter::noteKills(qint64 nowMs, int count)
{
    for (int i = 0; i < count; ++i)
        m_kills.append(nowMs);
    m_kills.erase(std::remove_if(m_kills.begin(), m_kills.end(),
                                 [&](qint64 t) { return nowMs - t >= m_limits.windowMs; }),
                  m_kills.end());
}

} // namespace autoremediation

} // namespace poolscope
