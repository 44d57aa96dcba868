#pragma once

#include "core/bouncersample.h"
#include "core/dberror.h"
#include "core/pgpoolsample.h"
#include "core/postgressample.h"
#include "core/targetkind.h"

#include <QMetaType>
#include <QString>
#include <optional>

namespace poolscope {

/// One sample of one target: what crosses from a worker thread to the GUI, and what `snapshot` prints.
struct TargetSnapshot
{
    QString target; // user@host:port/db, never a conninfo string
    TargetKind kind = TargetKind::Unknown;
    bool ok = false;
    DbError error;
    QString serverVersion;
    qint64 sampledAtMs = 0; // client wall clock, ms since epoch
    std::optional<PostgresSample> postgres;
    std::optional<BouncerSample> bouncer;
    std::optional<PgpoolSample> pgpool; // with `postgres` (sampled through Pgpool-II) for TargetKind::Pgpool
    std::optional<double> tps;          // transactions/s since the previous sample of the same target
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::TargetSnapshot)
