#pragma once

#include "core/finding.h"
#include "core/targetsnapshot.h"
#include "core/targetstate.h"
#include "metrics/exposition.h"

#include <QList>
#include <QStringList>
#include <optional>

// What `watch --metrics-listen` exports: the newest sample of every watched target under the names of
// pgbouncer_exporter and postgres_exporter, and PoolScope's own series under poolscope_. Pure.
namespace poolscope::metrics {

/// One watched target as the exporter sees it.
struct TargetExport
{
    QString target; // user@host:port/db: the `target` label
    TargetKind kind = TargetKind::Unknown;
    TargetState state = TargetState::Connecting;
    /// The newest sample, ok or not; nullopt before the first. Data series come from it only when it is ok:
    /// a target that does not answer exports its health, never zeros.
    std::optional<TargetSnapshot> last;
    quint64 samplesOk = 0;
    quint64 samplesFailed = 0;
    qint64 lastSampleDurationMs = -1; // -1: none yet
    QList<findings::Finding> openFindings;
    QStringList linkedPostgres; // for a pooler: the PostgreSQL targets its SHOW DATABASES points at
};

/// Every family for these targets, in a stable order (the same names on every scrape).
Exposition buildExposition(const QList<TargetExport> &targets);

} // namespace poolscope::metrics
