#pragma once

#include "core/autoremediation.h"
#include "core/targetsnapshot.h"
#include "core/terminateplan.h"

#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

namespace poolscope::db {

class Terminator;

/// Opt-in auto-remediation of one PostgreSQL target: on each sample tick (onSnapshot) that shows a session
/// idle in transaction for longer than the configured age (of the configured application), it runs the
/// Terminator with that plan on a thread of its own: a dry run only reports (and audits) what it would have
/// done; otherwise the sessions are terminated, every kill audited ("mode":"auto-remediation").
/// Superuser-owned sessions are never touched. Runs are rate limited (autoremediation::Limits: a minimum
/// interval between runs, terminations per run and per hour); a tick while a run is in flight is ignored. In
/// read-only mode a due run is refused and audited, at most once per interval.
///
/// GUI thread object: onSnapshot() and the setters run there, ran() is emitted there. A run is a TaskPool
/// task (README, "Threads") that shares the Terminator: the destructor never waits for it; a run still in
/// flight finishes (and audits) on its own, and its report is dropped.
class AutoRemediator : public QObject
{
    Q_OBJECT
public:
    explicit AutoRemediator(const QString &conninfo, QObject *parent = nullptr);
    ~AutoRemediator() override;

    void setConfig(const AutoRemediationConfig &config);
    const AutoRemediationConfig &config() const { return m_config; }
    void setLimits(const autoremediation::Limits &limits) { m_limiter.setLimits(limits); }
    const autoremediation::Limits &limits() const { return m_limiter.limits(); }
    bool isEnabled() const { return m_config.enabled; }
    bool isRunInFlight() const { return m_running; }
    /// "Auto-remediation on: terminating idle in transaction > 300 s" (or "... dry run: ..."); empty when
    /// off. For the banner the window shows while it is on.
    QString bannerText() const;

public Q_SLOTS:
    /// The sample tick (connect TargetController::snapshotReady here).
    void onSnapshot(const poolscope::TargetSnapshot &snapshot);

Q_SIGNALS:
    /// After each run, dry runs and refusals included.
    void ran(const poolscope::terminate::Report &report);
    void configChanged(const poolscope::AutoRemediationConfig &config);

private:
    void finished(const terminate::Report &report, qint64 startedMs);

    QString m_conninfo;
    AutoRemediationConfig m_config;
    autoremediation::RateLimiter m_limiter;
    std::shared_ptr<Terminator> m_terminator; // shared with the run in flight
    bool m_running = false;
};

} // namespace poolscope::db
