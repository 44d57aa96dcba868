#pragma once

#include "core/finding.h"
#include "models/keyedrowsmodel.h"

#include <QColor>
#include <QList>

namespace poolscope::models {

/// The findings of the window's engine, one row each: open ones first, worst first, then the recently ended
/// ones (greyed). Rows are keyed by the finding's id and merged, never reset, so the selection survives every
/// sample; RankRole gives the engine's order (worseFirst) for a sort proxy, since rows keep their place
/// while their rank changes. GUI thread only.
class FindingsModel : public KeyedRowsModel
{
    Q_OBJECT
public:
    enum Column
    {
        SeverityColumn, // colour and word
        RuleColumn,     // the stable rule id
        TargetColumn,   // where it shows; the linked targets in the tooltip
        SinceColumn,    // "12:03:58 (2 min 5 s ago)"
        StatusColumn,   // "active", "action taken, watching", "recovered at 12:04:05", ...
        SummaryColumn,  // one plain sentence
        ColumnCount
    };
    enum Role
    {
        FindingIdRole = Qt::UserRole + 1, // quint64
        SeverityRole,                     // findings::Severity as int
        OpenRole,                         // bool
        RankRole,                         // int: position in the engine's order, 0 is the worst
    };

    explicit FindingsModel(QObject *parent = nullptr);

    /// The engine's findings (FindingsEngine::findings(): open worst first, then the ended ones), as of
    /// `nowMs` (ages). `actionWatchS` words "still present after 30 s".
    void setFindings(const QList<findings::Finding> &list, qint64 nowMs, double actionWatchS);
    /// Ages move on without new findings: refreshes the Since column for `nowMs`.
    void setNow(qint64 nowMs);

    /// Null when out of range.
    const findings::Finding *findingAt(int row) const;
    int rowOf(quint64 findingId) const;
    int openCount() const;

    /// "active", "action taken, watching", "recovered at 12:04:05", "still present after 30 s",
    /// "resolved at 12:04:05".
    static QString statusWords(const findings::Finding &f, double actionWatchS);
    /// "12:03:58 (2 min 5 s ago)".
    static QString sinceWords(const findings::Finding &f, qint64 nowMs);
    /// What a rule id means, in one line (the README's table).
    static QString ruleMeaning(const QString &rule);
    /// Red, amber, blue: the severities' colours on light backgrounds (palette::severity() adapts them).
    static QColor severityColor(findings::Severity severity);
    /// "1 critical", "2 warnings", "3 info".
    static QString severityCount(findings::Severity severity, int n);
    /// "12:04:05", local time.
    static QString clockTime(qint64 ms);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        findings::Finding finding;
        int rank = 0;
        QString status;
        bool operator==(const Row &o) const;
    };
    QString text(const Row &r, int column) const;

    QList<Row> m_rows;
    qint64 m_nowMs = 0;
};

} // namespace poolscope::models
