#pragma once

#include "core/finding.h"
#include "core/postgressample.h"

#include <QColor>
#include <QPalette>
#include <QString>

/// The one place chart and table colours come from, so a state has the same colour on every chart, table and
/// legend. Every function takes the palette it will be drawn on: dark themes get lighter variants.
namespace poolscope::widgets::palette {

/// True when the palette's window background is dark (text lighter than background).
bool isDark(const QPalette &palette);

/// Active green, idle slate, idle in transaction amber (the leak colour), aborted red, other purple-grey.
QColor sessionState(SessionState state, const QPalette &palette);

/// Colour of a PgBouncer pool metric as named by series::poolMetrics() ("cl_active", "cl_waiting", ...,
/// "pool_size", "maxwait_s"). cl_waiting is the strongest red: it is the queue.
QColor poolMetric(const QString &metric, const QPalette &palette);
/// Line width for a pool metric: the queue is drawn thicker than the rest.
double poolMetricWidth(const QString &metric);

/// Dashed limit lines (usable connections, pool_size): near-black on light themes, near-white on dark ones.
QColor limitLine(const QPalette &palette);
QColor transactionsPerSecond(const QPalette &palette);
/// Rollbacks per second, next to all transactions: the red of aborted transactions.
QColor rollbacksPerSecond(const QPalette &palette);

/// Sessions-by-group chart: `index` picks one of GroupColorCount distinct categorical colours (it wraps); a
/// group keeps its colour for the page's lifetime.
inline constexpr int GroupColorCount = 10;
QColor group(int index, const QPalette &palette);
/// The "others" line of that chart: a neutral grey.
QColor groupOthers(const QPalette &palette);

/// Target connection states in the target list and the page banners.
QColor targetLive(const QPalette &palette);
QColor targetConnecting(const QPalette &palette);
QColor targetFailed(const QPalette &palette);

/// A finding's severity (the Findings dock, chart markers, the status bar): critical red, warning amber, info
/// blue, as models::FindingsModel::severityColor() on light themes; lighter on dark ones.
QColor severity(findings::Severity severity, const QPalette &palette);

/// A saturated pool's row in the pools table: a soft red tint (text colour onPoolSaturated()), so the row
/// stands out while the solid queue red stays reserved for the cl_waiting cell.
QColor poolSaturated(const QPalette &palette);
QColor onPoolSaturated(const QPalette &palette);

} // namespace poolscope::widgets::palette
