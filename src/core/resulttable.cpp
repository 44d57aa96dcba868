#include "resulttable.h"

#include <QRegularExpression>
#include <charconv>

namespace poolscope {

int ResultTable::column(QStringView name) const
{
    for (int i = 0; i < columns.size(); ++i) {
        if (columns.at(i) == name)
            return i;
    }
    return -1;
}

void ResultTable::appendCell(QByteArrayView utf8)
{
    m_cells.push_back(Span{m_data.size(), utf8.size()});
    m_data.append(utf8);
}

void ResultTable::appendNull()
{
    m_cells.push_back(Span{});
}

void ResultTable::appendRow(const QList<Cell> &cells)
{
    for (qsizetype c = 0; c < columns.size(); ++c) {
        if (c < cells.size() && cells.at(c))
            appendCell(cells.at(c)->toUtf8());
        else
            appendNull();
    }
}

void ResultTable::reserve(int rows, qsizetype bytes)
{
    m_cells.reserve(size_t(rows) * size_t(columns.size()));
    m_data.reserve(bytes);
}

std::optional<QByteArrayView> ResultTable::raw(int row, int column) const
{
    if (row < 0 || column < 0 || column >= columns.size())
        return std::nullopt;
    const size_t i = size_t(row) * size_t(columns.size()) + size_t(column);
    if (i >= m_cells.size() || m_cells[i].length < 0)
        return std::nullopt;
    return QByteArrayView(m_data.constData() + m_cells[i].offset, m_cells[i].length);
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
        for (const QString &f : fields) {
            if (f == QLatin1String("<NULL>"))
                table.appendNull();
            else
                table.appendCell(f.toUtf8());
        }
    }
    if (!haveHeader && error)
        *error = QStringLiteral("no header line");
    return table;
}

std::optional<QByteArrayView> RowReader::raw(ColumnRef column) const
{
    const int c = column.index == -2 ? m_table.column(column.name) : column.index;
    return m_table.raw(m_row, c);
}

Cell RowReader::text(ColumnRef column) const
{
    const auto v = raw(column);
    return v ? Cell(QString::fromUtf8(*v)) : std::nullopt;
}

QString RowReader::string(ColumnRef column, const QString &fallback) const
{
    const auto v = raw(column);
    return v ? QString::fromUtf8(*v) : fallback;
}

namespace {

// Numbers are parsed with std::from_chars straight from the server's bytes: QString::toDouble() goes
// through QLocale's C-locale parser, which cost ~3 µs per value and dominated a 1,000-row sample.
template <typename T> std::optional<T> parseNumber(std::optional<QByteArrayView> cell)
{
    if (!cell)
        return std::nullopt;
    QByteArrayView v = cell->trimmed();
    if (v.startsWith(
            '+')) // from_chars takes no leading '+'; PostgreSQL never sends one, hand-made fixtures might
        v = v.sliced(1);
    if (v.isEmpty())
        return std::nullopt;
    T value{};
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec != std::errc() || end != v.data() + v.size())
        return std::nullopt;
    return value;
}

} // namespace

std::optional<qint64> RowReader::integer(ColumnRef column) const
{
    return parseNumber<qint64>(raw(column));
}

std::optional<quint64> RowReader::counter(ColumnRef column) const
{
    const auto v = raw(column);
    if (v && v->trimmed().startsWith('-'))
        return std::nullopt;
    return parseNumber<quint64>(v);
}

std::optional<double> RowReader::real(ColumnRef column) const
{
    return parseNumber<double>(raw(column));
}

std::optional<bool> RowReader::boolean(ColumnRef column) const
{
    const auto cell = raw(column);
    if (!cell)
        return std::nullopt;
    const QByteArrayView v = cell->trimmed();
    if (v == "t") // PostgreSQL's own spelling: the common case first
        return true;
    if (v == "f")
        return false;
    for (const char *yes : {"1", "true", "yes", "on"}) {
        if (v.compare(yes, Qt::CaseInsensitive) == 0)
            return true;
    }
    for (const char *no : {"0", "false", "no", "off"}) {
        if (v.compare(no, Qt::CaseInsensitive) == 0)
            return false;
    }
    return std::nullopt;
}

QString DistinctText::operator()(const RowReader &row, int column)
{
    const auto v = row.raw(column);
    if (!v)
        return {};
    auto it = m_seen.constFind(*v);
    if (it == m_seen.constEnd())
        it = m_seen.insert(*v, QString::fromUtf8(*v));
    return *it;
}

} // namespace poolscope
