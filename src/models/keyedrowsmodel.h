#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

namespace poolscope::models {

/// A table of rows identified by a string key, updated by merging, never by resetting: rows whose key
/// disappeared are removed (bottom-up in contiguous runs, so each begin/end pair stays small and valid),
/// changed rows emit dataChanged, new keys are appended in the incoming order. Selections, scroll positions
/// and sort proxies survive every sample. Row must be equality-comparable. The rows live in the derived
/// model (their type is often private to it) and are passed in.
class KeyedRowsModel : public QAbstractTableModel
{
public:
    using QAbstractTableModel::QAbstractTableModel;

protected:
    /// `keyOf(const Row &)` gives a row's key. A key present twice in `next` keeps its last row.
    template <typename Row, typename KeyOf>
    void mergeRows(QList<Row> &rows, const QList<Row> &next, KeyOf keyOf)
    {
        QHash<QString, qsizetype> incoming;
        incoming.reserve(next.size());
        for (qsizetype i = 0; i < next.size(); ++i)
            incoming.insert(keyOf(next[i]), i);

        for (qsizetype end = rows.size() - 1; end >= 0;) {
            if (incoming.contains(keyOf(rows[end]))) {
                --end;
                continue;
            }
            qsizetype begin = end;
            while (begin > 0 && !incoming.contains(keyOf(rows[begin - 1])))
                --begin;
            beginRemoveRows({}, int(begin), int(end));
            rows.remove(begin, end - begin + 1);
            endRemoveRows();
            end = begin - 1;
        }

        QSet<QString> present;
        for (qsizetype row = 0; row < rows.size(); ++row) {
            const QString key = keyOf(rows[row]);
            present.insert(key);
            const Row &n = next[incoming.value(key)];
            if (!(rows[row] == n)) {
                rows[row] = n;
                Q_EMIT dataChanged(index(int(row), 0), index(int(row), columnCount() - 1));
            }
        }

        QList<Row> added;
        for (qsizetype i = 0; i < next.size(); ++i) {
            const QString key = keyOf(next[i]);
            if (!present.contains(key) && incoming.value(key) == i)
                added.append(next[i]);
        }
        if (!added.isEmpty()) {
            const int first = int(rows.size());
            beginInsertRows({}, first, first + int(added.size()) - 1);
            rows.append(added);
            endInsertRows();
        }
    }

    template <typename Row> void clearRows(QList<Row> &rows)
    {
        if (rows.isEmpty())
            return;
        beginRemoveRows({}, 0, int(rows.size()) - 1);
        rows.clear();
        endRemoveRows();
    }
};

} // namespace poolscope::models
