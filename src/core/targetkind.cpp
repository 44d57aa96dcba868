#include "targetkind.h"

namespace poolscope {

QString targetKindName(TargetKind kind)
{
    switch (kind) {
    case TargetKind::Postgres:
        return QStringLiteral("postgres");
    case TargetKind::PgBouncer:
        return QStringLiteral("pgbouncer");
    case TargetKind::Pgpool:
        return QStringLiteral("pgpool");
    case TargetKind::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

} // namespace poolscope
