#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace poolscope {

using Cell = std::optional<QString>; // std::nullopt is SQL NULL

/// A query result reduced to text, addressed by column name. Parsers take this, never a PGresult,
/// so tests can feed captured rows. Cells are kept as the server's UTF-8 bytes in one buffer: numbers are
/// parsed straight from the bytes, and only text that a parser keeps becomes a QString.
struct ResultTable
{
    QStringList columns;

    int column(QStringView name) const; // -1 when absent
    bool hasColumn(QStringView name) const { return column(name) >= 0; }
    int rowCount() const { return columns.isEmpty() ? 0 : int(m_cells.size() / size_t(columns.size())); }

    /// Builders, row-major: `columns` cells per row. appendRow() is for tests and benchmarks.
    void appendCell(QByteArrayView utf8);
    void appendNull();
    void appendRow(const QList<Cell> &cells);
    void reserve(int rows, qsizetype bytes);

    /// The bytes of one cell; std::nullopt for NULL or a cell out of range.
    std::optional<QByteArrayView> raw(int row, int column) const;

    /// Parses psql unaligned output (`psql -A -P null='<NULL>'`): a header line of column names, then one
    /// line per row, fields separated by '|'. Lines starting with '#' and "(N rows)" footers are ignored.
    static ResultTable fromText(const QString &text, QString *error = nullptr);

private:
    struct Span
    {
        qsizetype offset = 0;
        qsizetype length = -1; // -1: NULL
    };
    QByteArray m_data;
    std::vector<Span> m_cells;
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
    /// The cell's bytes without a copy; std::nullopt for a missing column or NULL.
    std::optional<QByteArrayView> raw(ColumnRef column) const;

private:
    const ResultTable &m_table;
    int m_row;
};

/// Text cells decoded once per distinct value: a few users, databases, states, hosts and statements repeat
/// over thousands of rows, and one shared QString beats an allocation per cell. Keys point into the table's
/// buffer: use it while that table lives, for one table.
class DistinctText
{
public:
    /// The cell as text; empty for a missing column or NULL.
    QString operator()(const RowReader &row, int column);

private:
    QHash<QByteArrayView, QString> m_seen;
};

} // namespace poolscope
