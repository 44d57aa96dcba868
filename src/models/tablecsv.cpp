#include "tablecsv.h"

#include <QAbstractItemModel>

namespace poolscope::models {

QString csvField(const QString &text)
{
    const bool quote = text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
                       text.contains(QLatin1Char('\n')) || text.contains(QLatin1Char('\r')) ||
                       text.startsWith(QLatin1Char(' ')) || text.endsWith(QLatin1Char(' '));
    if (!quote)
        return text;
    QString quoted = text;
    quoted.replace(QLatin1Char('"'), QStringLiteral("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString csvRecord(const QStringList &fields)
{
    QString line;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            line += QLatin1Char(',');
        line += csvField(fields.at(i));
    }
    return line + QStringLiteral("\r\n");
}

QByteArray tableCsv(const QAbstractItemModel &model, const QList<int> &columns, const CellText &cellText)
{
    QString out;
    QStringList fields;
    for (const int c : columns)
        fields.append(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    out += csvRecord(fields);
    const int rows = model.rowCount();
    for (int r = 0; r < rows; ++r) {
        fields.clear();
        for (const int c : columns) {
            const QModelIndex index = model.index(r, c);
            fields.append(cellText ? cellText(index) : index.data(Qt::DisplayRole).toString());
        }
        out += csvRecord(fields);
    }
    return out.toUtf8();
}

} // namespace poolscope::models
