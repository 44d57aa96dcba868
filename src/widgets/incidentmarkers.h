#pragma once

#include "widgets/chartmarkers.h"

#include <QList>
#include <QPalette>
#include <QString>

namespace poolscope::record {
struct IncidentData;
}

namespace poolscope::widgets {

/// The marks of a recorded window on target `target`'s charts, as the live window draws them: load runs as
/// shaded spans, the findings that involve the target as lines in their severity's colour (dashed where they
/// ended), the audited actions as lines. Used by the replay window and the incident report.
QList<ChartMarker> incidentMarkers(const record::IncidentData &data, const QString &target,
                                   const QPalette &pal);

} // namespace poolscope::widgets
