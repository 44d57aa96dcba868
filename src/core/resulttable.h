#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope {

using Cell = std::optional<QString>; // std::nullopt is SQL NULL

/// A query result reduced to text, addressed by column name. Parsers take this, never a PGresult,
/// so tests can feed captured rows.
struct ResultTable
{
    QStringList columns;
    QList<QList<Cell>> rows;

    int column(QStringView name) const; // -1 when absent
    bool hasColumn(QStringView name) const { return column(name) >= 0; }
    int rowCount() const { return int(rows.size()); }

    /// Parses psql unaligned output (`psql -A -P null='<NULL>'`): a header line of column names, then one
    /// line per row, fields separated by '|'. Lines starting with '#' and "(N rows)" footers are ignored.
    static ResultTable fromText(const QString &text, QString *error = nullptr);
};

/// A column by name, or by an index looked up once per table with ResultTable::column() (hot loops: a name
/// lookup per cell costs more than the parsing at 1,000+ rows).
struct ColumnRef
{
    template <size_t N> ColumnRef(const char16_t (&n)[N]) : name(n) {}
    ColumnRef(QStringView n) : name(n) {}
    ColumnRef(int i) : index(i) {}
    QStringView name;
    int index = -2; // -2: look up `name`; -1: absent
};

/// Reads cells of one row by column; a missing column and NULL both read as std::nullopt.
class RowReader
{
public:
    RowReader(const ResultTable &table, int row) : m_table(table), m_row(row) {}
    Cell text(ColumnRef column) const;
    QString string(ColumnRef column, const QString &fallback = {}) const;
    std::optional<qint64> integer(ColumnRef column) const;
    std::optional<quint64> counter(ColumnRef column) const;
    std::optional<double> real(ColumnRef column) const;
    std::optional<bool> boolean(ColumnRef column) const;

private:
    const Cell *cell(ColumnRef column) const; // nullptr for a missing column or NULL

    const ResultTable &m_table;
    int m_row;
};

} // namespace poolscope
