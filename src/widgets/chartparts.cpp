#include "chartparts.h"

#include <QCoreApplication>
#include <algorithm>

namespace poolscope::widgets {

double IntegerTicker::getTickStep(const QCPRange &range)
{
    const double step = QCPAxisTicker::getTickStep(range);
    if (step < 1)
        return 1;
    return step == 2.5 ? 2 : step;
}

int IntegerTicker::getSubTickCount(double tickStep)
{
    return tickStep <= 1 ? 0 : std::min(QCPAxisTicker::getSubTickCount(tickStep), int(tickStep) - 1);
}

void fitLegendColumns(QCPLegend *legend, const QList<int> &itemWidths, int available)
{
    int columns = 1;
    for (int n = int(itemWidths.size()); n > 1; --n) {
        int total = (n - 1) * legend->columnSpacing();
        for (int c = 0; c < n; ++c) {
            int columnWidth = 0;
            for (qsizetype i = c; i < itemWidths.size(); i += n)
                columnWidth = std::max(columnWidth, itemWidths[i]);
            total += columnWidth;
        }
        if (total <= available) {
            columns = n;
            break;
        }
    }
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
}

QString groupLabel(GroupDimension dimension, const QString &name, int maxChars)
{
    const auto tr = [](const char *text) {
        return QCoreApplication::translate("GroupLabel", text);
    };
    if (dimension == GroupDimension::Client && name == QLatin1String("<insufficient privilege>"))
        return tr("hidden (needs pg_monitor)");
    if (name.isEmpty()) {
        switch (dimension) {
        case GroupDimension::Application:
            return tr("(no application_name)");
        case GroupDimension::Client:
            return tr("local socket");
        case GroupDimension::User:
        case GroupDimension::Database:
            break;
        }
        return tr("(none)");
    }
    return maxChars > 0 && name.size() > maxChars ? name.left(maxChars - 1) + QChar(0x2026) : name;
}

} // namespace poolscope::widgets
