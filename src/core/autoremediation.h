#pragma once

#include "postgressample.h"
#include "terminateplan.h"

#include <QList>
#include <QString>

namespace poolscope {

/// Per-target opt-in "terminate idle in transaction older than N s". Off by default, and a dry run by
/// default once switched on: it then only reports (and audits) what it would have done. Persisted with the
/// target (TargetConfig::autoRemediation).
struct AutoRemediationConfig
{
    bool enabled = false;
    int olderThanS = 300;
    bool dryRun = true;
    QString application; // empty = any application; exact or a glob (* and ?)

    bool operator==(const AutoRemediationConfig &) const = default;
    /// Idle in transaction (or aborted) for more than olderThanS, of `application`. Never superuser-owned
    /// sessions: automation does not get that exception.
    terminate::Predicate predicate() const;
    /// "terminating idle in transaction > 300 s (application app)", prefixed "dry run: " when dryRun.
    QString describe() const;
};

namespace autoremediation {

/// Does the sample show a session the predicate would hit (guards applied as far as the sample tells:
/// PoolScope's own sessions are already left out of samples, superuser status is not known there)? A cheap
/// pre-check on each sample tick, so the terminator connects only when there is something to do.
bool sampleHasCandidates(const PostgresSample &sample, const terminate::Predicate &predicate);

/// Bounds how often and how much automation acts on one target. Pure: the caller passes the time.
struct Limits
{
    qint64 minIntervalMs = 30000;  // between two runs (dry runs included)
    int maxPerRun = 10;            // terminations per run; the rest waits for the next run
    int maxPerWindow = 60;         // terminations per window
    qint64 windowMs = 3600 * 1000; // sliding
};

class RateLimiter
{
public:
    explicit RateLimiter(Limits limits = {}) : m_limits(limits) {}
    const Limits &limits() const { return m_limits; }
    void setLimits(const Limits &limits) { m_limits = limits; }

    /// May a run start now? (The minimum interval since the last run has passed.)
    bool mayRun(qint64 nowMs) const;
    /// How many terminations a run starting now may make (0 when the window's budget is spent).
    int budget(qint64 nowMs) const;
    /// A run started at `nowMs`.
    void noteRun(qint64 nowMs);
    /// `count` sessions were terminated at `nowMs`.
    void noteKills(qint64 nowMs, int count);

private:
    Limits m_limits;
    qint64 m_lastRunMs = -1;
    QList<qint64> m_kills; // times, oldest first
};

} // namespace autoremediation

} // namespace poolscope
