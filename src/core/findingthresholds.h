#pragma once

#include <QList>
#include <QString>
#include <optional>

class QSettings;

namespace poolscope::findings {

/// Every threshold the rules use, with its default. Defaults start from the field's consensus (pgwatch,
/// pganalyze, the Prometheus mixins, poolsim; README "Findings") but react within seconds: the incidents
/// PoolScope exists for must be named within 10 s of starting, and a healthy steady load must produce
/// nothing. Settings key = "findings/" + the entry's key (thresholdTable()); the CLI takes --set KEY=VALUE.
struct Thresholds
{
    // idle-in-transaction-leak
    double leakMinAgeS = 5;        // a session idle in transaction this long holds its connection for nothing
    double leakMinSessions = 2;    // such sessions of one application make a leak
    double leakWarnAgeS = 60;      // one such session this old is a finding by itself
    double leakCriticalAgeS = 300; // critical from this age
    // app-pool-ceiling
    double appPoolMinSessions = 3;    // smaller applications are not judged
    double appPoolPlateauSamples = 5; // the same session count this many samples in a row
    double appPoolBusyFraction = 0.9; // mean share of those sessions active or idle in transaction
    double appPoolCriticalS = 30;     // critical once the plateau lasts this long
    // pooler-saturation
    double poolerWaitSamples = 3;             // clients waiting on a full pool this many samples in a row
    double poolerMinWaitS = 1;                // ...the oldest of them for at least this long (maxwait)
    double poolerCriticalWaitS = 5;           // critical when the oldest client has waited this long...
    double poolerCriticalTimeoutShare = 0.25; // ...or this share of query_wait_timeout
    // server-connection-ceiling
    double serverWarnFraction = 0.8; // client backends / connections usable by non-superusers
    double serverCriticalFraction = 0.95;
    double serverSamples = 2;      // samples in a row before it is named
    double serverClampSamples = 3; // the count flat at exactly the usable limit: a clamp
    // dead-connections
    double deadHoldS = 60;            // a finding stays this long after the last dead connection
    double deadLoginStuckSamples = 5; // PgBouncer servers logging in this many samples in a row
    // connection-churn
    double churnRatePerS = 10; // connections opened and closed per second
    double churnSamples = 3;   // sustained this many samples
    double churnYoungS = 1;    // PG 12/13 (no session counter): sessions younger than this are new
    // lock-pileup
    double lockMinWaiting = 3; // sessions waiting on locks...
    double lockSamples = 3;    // ...this many samples in a row
    double lockWarnWaitS = 30; // or one lock wait this long
    double lockCriticalWaiting = 10;
    double lockCriticalWaitS = 300;
    // long-transaction
    double longXactWarnS = 60;
    double longXactCriticalS = 300;
    // pooler-db-mismatch
    double mismatchMinServers = 2; // servers handed to clients whose backend is not running anything
    double mismatchFraction = 0.5; // ...and at least this share of the servers handed to clients
    double mismatchSamples = 3;    // pooler samples in a row
    double mismatchMinIdleS = 1;   // a backend counts as idle once idle this long before the chain round
    // every rule
    double clearSamples = 3;     // a finding resolves after this many samples without its condition...
    double clearS = 3;           // ...spanning at least this long
    double actionWatchS = 30;    // after an action: "recovered" within this long, else "still present"
    double historyS = 24 * 3600; // ended findings are kept this long (markers, the dock)

    bool operator==(const Thresholds &) const = default;
};

/// One line of the settings table: the key, what it means, and where it lives in Thresholds.
struct ThresholdSpec
{
    QString key;         // "idle_in_transaction.min_age_s"
    QString description; // "a session idle in transaction this long holds its connection for nothing"
    double Thresholds::*member;
};
const QList<ThresholdSpec> &thresholdTable();

/// Applies "key=value"; false (and *error) for an unknown key or a value that is not a number >= 0.
bool setThreshold(Thresholds &t, const QString &assignment, QString *error);
/// The "findings/…" keys of `settings`, over the defaults.
Thresholds loadThresholds(const QSettings &settings);

} // namespace poolscope::findings
