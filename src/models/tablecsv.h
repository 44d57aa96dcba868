#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>

class QAbstractItemModel;
class QModelIndex;

namespace poolscope::models {

/// One CSV field (RFC 4180): as it is, or in double quotes (a quote inside doubled) when it holds a comma, a
/// double quote, a line break or a leading or trailing space.
QString csvField(const QString &text);
/// One record: the fields separated by commas, ended by CRLF.
QString csvRecord(const QStringList &fields);

/// The text of one cell as the user sees it; nullptr: its Qt::DisplayRole as a string.
using CellText = std::function<QString(const QModelIndex &index)>;

/// A table as CSV in UTF-8 (no byte order mark): a header row of the `columns`' horizontal header texts, then
/// one record per row of `model` in its order (a proxy's: filtered and sorted), each column's text. Columns
/// are logical column numbers, in the order to write them.
QByteArray tableCsv(const QAbstractItemModel &model, const QList<int> &columns,
                    const CellText &cellText = {});

} // namespace poolscope::models
