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

/// Reads cells of one row by column name; a missing column and NULL both read as std::nullopt.
class RowReader
{
public:
    RowReader(const ResultTable &table, int row) : m_table(table), m_row(row) {}
    Cell text(QStringView column) const;
    QString string(QStringView column, const QString &fallback = {}) const;
    std::optional<qint64> integer(QStringView column) const;
    std::optional<quint64> counter(QStringView column) const;
    std::optional<double> real(QStringView column) const;
    std::optional<bool> boolean(QStringView column) const;

private:
    const ResultTable &m_table;
    int m_row;
};

} // namespace poolscope
