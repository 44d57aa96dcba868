#pragma once
// Small pieces every chart and page shares.

#include "core/postgressample.h"
#include "widgets/qcp.h"

#include <QString>

namespace poolscope::widgets {

/// Counts never have fractional ticks, and 2.5-steps read badly for them.
class IntegerTicker : public QCPAxisTicker
{
protected:
    double getTickStep(const QCPRange &range) override;
    int getSubTickCount(double tickStep) override;
};

/// Wraps `legend` into as many columns as fit in `available` pixels (one row if they all fit; fewer columns
/// when the widest items of each column do not), filling columns first. `itemWidths` in legend order.
void fitLegendColumns(QCPLegend *legend, const QList<int> &itemWidths, int available);

/// How a session group's value is shown: "(no application_name)", "local socket", "hidden (needs
/// pg_monitor)" for values the server leaves empty or hides; longer than `maxChars` (0: no limit) elided.
QString groupLabel(GroupDimension dimension, const QString &name, int maxChars = 0);

} // namespace poolscope::widgets
