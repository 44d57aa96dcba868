#include "autoremediator.h"

#include "core/taskpool.h"
#include "db/terminator.h"

#include <QDateTime>
#include <QJsonObject>

namespace poolscope::db {

AutoRemediator::AutoRemediator(const QString &conninfo, QObject *parent)
    : QObject(parent), m_conninfo(conninfo)
{
    qRegisterMetaType<poolscope::terminate::Report>();
    Terminator::Options o;
    o.source = QStringLiteral("auto");
    m_terminator = std::make_shared<Terminator>(conninfo, o);
}

AutoRemediator::~AutoRemediator() = default;

void AutoRemediator::setConfig(const AutoRemediationConfig &config)
{
    if (config == m_config)
        return;
    m_config = config;
    Q_EMIT configChanged(m_config);
}

QString AutoRemediator::bannerText() const
{
    if (!m_config.enabled)
        return {};
    return QStringLiteral("Auto-remediation on: ") + m_config.describe();
}

void AutoRemediator::onSnapshot(const TargetSnapshot &snapshot)
{
    if (!m_config.enabled || m_running || !snapshot.ok || !snapshot.postgres)
        return;
    const terminate::Predicate predicate = m_config.predicate();
    if (!autoremediation::sampleHasCandidates(*snapshot.postgres, predicate))
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (!m_limiter.mayRun(now))
        return;
    m_limiter.noteRun(now);

    Terminator::RunOptions ro;
    ro.dryRun = m_config.dryRun;
    ro.maxTerminations = m_limiter.budget(now);
    ro.auditExtra.insert(QStringLiteral("mode"), QStringLiteral("auto-remediation"));
    m_running = true;
    // One run at a time (m_running), so the Terminator is never used by two threads at once.
    TaskPool::run(
        this, [terminator = m_terminator, predicate, ro] { return terminator->run(predicate, ro); },
        [this, now](const terminate::Report &report) { finished(report, now); });
}

void AutoRemediator::finished(const terminate::Report &report, qint64 startedMs)
{
    m_running = false;
    if (!report.dryRun)
        m_limiter.noteKills(startedMs, report.count(terminate::Outcome::Terminated));
    Q_EMIT ran(report);
}

} // namespace poolscope::db
