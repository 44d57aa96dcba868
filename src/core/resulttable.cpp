#include "resulttable.h"

#include <QRegularExpression>

namespace poolscope {

int ResultTable::column(QStringView name) const
{
    for (int i = 0; i < columns.size(); ++i) {
        if (columns.at(i) == name)
            return i;
    }
    return -1;
}

ResultTable ResultTable::fromText(const QString &text, QString *error)
{
    static const QRegularExpression footer(QStringLiteral("^\\(\\d+ rows?\\)$"));
    ResultTable table;
    bool haveHeader = false;
    const auto lines = text.split(QLatin1Char('\n'));
    for (int lineNo = 0; lineNo < lines.size(); ++lineNo) {
        QString line = lines.at(lineNo);
        if (line.endsWith(QLatin1Char('\r')))
            line.chop(1);
        if (line.trimmed().isEmpty() || line.startsWith(QLatin1Char('#')) || footer.match(line).hasMatch())
            continue;
        const QStringList fields = line.split(QLatin1Char('|'));
        if (!haveHeader) {
            table.columns = fields;
            haveHeader = true;
            continue;
        }
        if (fields.size() != table.columns.size()) {
            if (error)
                *error = QStringLiteral("line %1: %2 fields, header has %3")
                             .arg(lineNo + 1)
                             .arg(fields.size())
                             .arg(table.columns.size());
            return {};
        }
        QList<Cell> row;
        row.reserve(fields.size());
        for (const QString &f : fields)
            row.append(f == QLatin1String("<NULL>") ? Cell{} : Cell{f});
        table.rows.append(std::move(row));
    }
    if (!haveHeader && error)
        *error = QStringLiteral("no header line");
    return table;
}

const Cell *RowReader::cell(ColumnRef column) const
{
    const int c = column.index == -2 ? m_table.column(column.name) : column.index;
    if (c < 0 || m_row < 0 || m_row >= m_table.rows.size())
        return nullptr;
    const auto &row = m_table.rows.at(m_row);
    return c < row.size() && row.at(c) ? &row.at(c) : nullptr;
}

Cell RowReader::text(ColumnRef column) const
{
    const Cell *c = cell(column);
    return c ? *c : std::nullopt;
}

QString RowReader::string(ColumnRef column, const QString &fallback) const
{
    const Cell *c = cell(column);
    return c ? **c : fallback;
}

// Numbers are read from a view of the cell: no copies, no allocation per value.
std::optional<qint64> RowReader::integer(ColumnRef column) const
{
    const Cell *c = cell(column);
    if (!c)
        return std::nullopt;
    bool ok = false;
    const qint64 v = QStringView(**c).trimmed().toLongLong(&ok);
    return ok ? std::optional<qint64>(v) : std::nullopt;
}

std::optional<quint64> RowReader::counter(ColumnRef column) const
{
    const Cell *c = cell(column);
    if (!c)
        return std::nullopt;
    bool ok = false;
    const quint64 v = QStringView(**c).trimmed().toULongLong(&ok);
    return ok ? std::optional<quint64>(v) : std::nullopt;
}

std::optional<double> RowReader::real(ColumnRef column) const
{
    const Cell *c = cell(column);
    if (!c)
        return std::nullopt;
    bool ok = false;
    const double v = QStringView(**c).trimmed().toDouble(&ok);
    return ok ? std::optional<double>(v) : std::nullopt;
}

std::optional<bool> RowReader::boolean(ColumnRef column) const
{
    const Cell *c = cell(column);
    if (!c)
        return std::nullopt;
    const QStringView v = QStringView(**c).trimmed();
    for (const char *yes : {"1", "t", "true", "yes", "on"}) {
        if (v.compare(QLatin1String(yes), Qt::CaseInsensitive) == 0)
            return true;
    }
    for (const char *no : {"0", "f", "false", "no", "off"}) {
        if (v.compare(QLatin1String(no), Qt::CaseInsensitive) == 0)
            return false;
    }
    return std::nullopt;
}

} // namespace poolscope
