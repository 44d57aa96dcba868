#pragma once

// Turns fuzzer bytes into a ResultTable the way the sampler's rows arrive: column names, then cells as raw
// bytes (not necessarily UTF-8, as a server in SQL_ASCII hands them out) or NULL. The layout is the psql
// unaligned form of the fixtures in tests/data, so those files are the seed corpus as they are: a header line
// of names separated by '|', one line per row, "<NULL>" for NULL, '#' comments and "(N rows)" footers
// skipped. Rows with too few cells are padded with NULL, extra cells dropped.
#include "core/resulttable.h"

#include <QByteArray>
#include <QList>
#include <cstddef>
#include <cstdint>

namespace poolscope::fuzz {

inline ResultTable tableFromBytes(const uint8_t *data, size_t size)
{
    ResultTable table;
    const QList<QByteArray> lines =
        QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)).split('\n');
    bool header = true;
    for (const QByteArray &line : lines) {
        if (line.startsWith('#') || (line.startsWith('(') && line.endsWith(')')))
            continue;
        const QList<QByteArray> cells = line.split('|');
        if (header) {
            for (const QByteArray &name : cells)
                table.columns.append(QString::fromUtf8(name));
            header = false;
            continue;
        }
        for (qsizetype i = 0; i < table.columns.size(); ++i) {
            if (i >= cells.size() || cells.at(i) == "<NULL>")
                table.appendNull();
            else
                table.appendCell(cells.at(i));
        }
    }
    return table;
}

} // namespace poolscope::fuzz
