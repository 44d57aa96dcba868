#include "findingthresholds.h"

#include <QSettings>
#include <cmath>

namespace poolscope::findings {

const QList<ThresholdSpec> &thresholdTable()
{
    using T = Thresholds;
    static const QList<ThresholdSpec> table = {
        {QStringLiteral("idle_in_transaction.min_age_s"),
         QStringLiteral("a session idle in transaction this long holds its connection for nothing"),
         &T::leakMinAgeS},
        {QStringLiteral("idle_in_transaction.min_sessions"),
         QStringLiteral("that many such sessions of one application make a leak"), &T::leakMinSessions},
        {QStringLiteral("idle_in_transaction.warn_age_s"),
         QStringLiteral("one such session this old is a warning by itself"), &T::leakWarnAgeS},
        {QStringLiteral("idle_in_transaction.critical_age_s"), QStringLiteral("critical from this age"),
         &T::leakCriticalAgeS},
        {QStringLiteral("app_pool.min_sessions"),
         QStringLiteral("applications with fewer sessions are not judged"), &T::appPoolMinSessions},
        {QStringLiteral("app_pool.plateau_samples"),
         QStringLiteral("an application's session count unchanged this many samples in a row"),
         &T::appPoolPlateauSamples},
        {QStringLiteral("app_pool.busy_fraction"),
         QStringLiteral("mean share of those sessions active or idle in transaction"),
         &T::appPoolBusyFraction},
        {QStringLiteral("app_pool.critical_s"), QStringLiteral("critical once the plateau lasts this long"),
         &T::appPoolCriticalS},
        {QStringLiteral("pooler.wait_samples"),
         QStringLiteral("clients waiting on a full pool this many samples in a row"), &T::poolerWaitSamples},
        {QStringLiteral("pooler.min_wait_s"),
         QStringLiteral("and the oldest of them waiting at least this long (maxwait)"), &T::poolerMinWaitS},
        {QStringLiteral("pooler.critical_wait_s"),
         QStringLiteral("critical when the oldest waiting client has waited this long"),
         &T::poolerCriticalWaitS},
        {QStringLiteral("pooler.critical_timeout_share"),
         QStringLiteral("or this share of query_wait_timeout (clients are about to be dropped)"),
         &T::poolerCriticalTimeoutShare},
        {QStringLiteral("server.warn_fraction"),
         QStringLiteral("client backends / connections usable by non-superusers"), &T::serverWarnFraction},
        {QStringLiteral("server.critical_fraction"), QStringLiteral("critical from this share"),
         &T::serverCriticalFraction},
        {QStringLiteral("server.samples"), QStringLiteral("samples in a row before it is named"),
         &T::serverSamples},
        {QStringLiteral("server.clamp_samples"),
         QStringLiteral("a count flat at exactly the usable limit this many samples is a clamp"),
         &T::serverClampSamples},
        {QStringLiteral("dead.hold_s"),
         QStringLiteral("the finding stays this long after the last connection died"), &T::deadHoldS},
        {QStringLiteral("dead.login_stuck_samples"),
         QStringLiteral("PgBouncer servers logging in this many samples in a row"),
         &T::deadLoginStuckSamples},
        {QStringLiteral("churn.rate_per_s"), QStringLiteral("connections opened and closed per second"),
         &T::churnRatePerS},
        {QStringLiteral("churn.samples"), QStringLiteral("sustained this many samples"), &T::churnSamples},
        {QStringLiteral("churn.young_s"),
         QStringLiteral("PostgreSQL 12/13: sessions younger than this count as new connections"),
         &T::churnYoungS},
        {QStringLiteral("lock.min_waiting"), QStringLiteral("sessions waiting on locks..."),
         &T::lockMinWaiting},
        {QStringLiteral("lock.samples"), QStringLiteral("...this many samples in a row"), &T::lockSamples},
        {QStringLiteral("lock.warn_wait_s"), QStringLiteral("or one lock wait this long"), &T::lockWarnWaitS},
        {QStringLiteral("lock.critical_waiting"), QStringLiteral("critical with this many waiting"),
         &T::lockCriticalWaiting},
        {QStringLiteral("lock.critical_wait_s"), QStringLiteral("or a lock wait this long"),
         &T::lockCriticalWaitS},
        {QStringLiteral("long_transaction.warn_s"),
         QStringLiteral("a running transaction this old holds the xmin horizon back"), &T::longXactWarnS},
        {QStringLiteral("long_transaction.critical_s"), QStringLiteral("critical from this age"),
         &T::longXactCriticalS},
        {QStringLiteral("mismatch.min_servers"),
         QStringLiteral("servers handed to clients whose backend runs nothing"), &T::mismatchMinServers},
        {QStringLiteral("mismatch.fraction"), QStringLiteral("and at least this share of the busy servers"),
         &T::mismatchFraction},
        {QStringLiteral("mismatch.samples"), QStringLiteral("pooler samples in a row"), &T::mismatchSamples},
        {QStringLiteral("mismatch.min_idle_s"),
         QStringLiteral("a backend counts as not running once idle this long before the SHOW SERVERS round"),
         &T::mismatchMinIdleS},
        {QStringLiteral("clear_samples"),
         QStringLiteral("a finding resolves after this many samples without its condition"),
         &T::clearSamples},
        {QStringLiteral("clear_s"), QStringLiteral("spanning at least this many seconds"), &T::clearS},
        {QStringLiteral("action_watch_s"),
         QStringLiteral("after an action: recovered within this long, else still present"), &T::actionWatchS},
        {QStringLiteral("history_s"), QStringLiteral("ended findings are kept this long"), &T::historyS},
    };
    return table;
}

bool setThreshold(Thresholds &t, const QString &assignment, QString *error)
{
    const qsizetype eq = assignment.indexOf(QLatin1Char('='));
    const QString key = assignment.left(eq).trimmed();
    for (const ThresholdSpec &spec : thresholdTable()) {
        if (spec.key != key)
            continue;
        bool ok = false;
        const double value = eq < 0 ? 0 : assignment.mid(eq + 1).trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(value) || value < 0) {
            *error =
                QStringLiteral("%1 needs a number >= 0, e.g. %1=%2").arg(key).arg(Thresholds{}.*spec.member);
            return false;
        }
        t.*spec.member = value;
        return true;
    }
    *error = QStringLiteral("unknown threshold \"%1\" (see `poolscope diagnose --help`)").arg(key);
    return false;
}

Thresholds loadThresholds(const QSettings &settings)
{
    Thresholds t;
    for (const ThresholdSpec &spec : thresholdTable()) {
        const QVariant v = settings.value(QStringLiteral("findings/") + spec.key);
        bool ok = false;
        const double d = v.toDouble(&ok);
        if (v.isValid() && ok && std::isfinite(d) && d >= 0)
            t.*spec.member = d;
    }
    return t;
}

} // namespace poolscope::findings
