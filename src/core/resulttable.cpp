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

Cell RowReader::text(QStringView column) const
{
    const int c = m_table.column(column);
    if (c < 0 || m_row < 0 || m_row >= m_table.rows.size())
        return std::nullopt;
    const auto &row = m_table.rows.at(m_row);
    return c < row.size() ? row.at(c) : std::nullopt;
}

QString RowReader::string(QStringView column, const QString &fallback) const
{
    return text(column).value_or(fallback);
}

std::optional<qint64> RowReader::integer(QStringView column) const
{
    const Cell c = text(column);
    if (!c)
        return std::nullopt;
    bool ok = false;
    const qint64 v = c->trimmed().toLongLong(&ok);
    return ok ? std::optional<qint64>(v) : std::nullopt;
}

std::optional<quint64> RowReader::counter(QStringView column) const
{
    const Cell c = text(column);
    if (!c)
        return std::nullopt;
    bool ok = false;
    const quint64 v = c->trimmed().toULongLong(&ok);
    return ok ? std::optional<quint64>(v) : std::nullopt;
}

std::optional<double> RowReader::real(QStringView column) const
{
    const Cell c = text(column);
    if (!c)
        return std::nullopt;
    bool ok = false;
    const double v = c->trimmed().toDouble(&ok);
    return ok ? std::optional<double>(v) : std::nullopt;
}

std::optional<bool> RowReader::boolean(QStringView column) const
{
    const Cell c = text(column);
    if (!c)
        return std::nullopt;
    const QString v = c->trimmed().toLower();
    if (v == QLatin1String("1") || v == QLatin1String("t") || v == QLatin1String("true") ||
        v == QLatin1String("yes") || v == QLatin1String("on"))
        return true;
    if (v == QLatin1String("0") || v == QLatin1String("f") || v == QLatin1String("false") ||
        v == QLatin1String("no") || v == QLatin1String("off"))
        return false;
    return std::nullopt;
}

} // namespace poolscope
