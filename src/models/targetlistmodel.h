#pragma once

#include "core/finding.h"
#include "core/targetsnapshot.h"
#include "core/targetstate.h"

#include <QAbstractTableModel>
#include <QList>
#include <QString>

namespace poolscope::models {

/// The monitored targets, one row each, keyed by an id the owner chooses. Updates only emit dataChanged, so
/// the selection in the targets dock survives every sample. GUI thread only.
///
/// Column 0 is what the targets dock lists; the other columns make the fleet overview: occupancy (with a
/// short history for the sparkline), headroom, who is waiting, idle-in-transaction sessions and what needs
/// attention, plus TroubleRole to sort the worst target first.
class TargetListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role
    {
        IdRole = Qt::UserRole + 1,
        LabelRole,       // user@host:port/db
        KindRole,        // TargetKind as int
        StateRole,       // TargetState as int
        ErrorRole,       // last error message, empty when none
        AttemptRole,     // failed connection attempts in a row (0 when live)
        NextRetryAtRole, // wall-clock ms since the epoch of the next attempt; 0 when none is scheduled
        TroubleRole,     // double, higher is worse: failed > stalled > reconnecting > queueing > full > fine
        HistoryRole, // QList<double>: occupancy % of the last HistoryLength samples, oldest first; NaN = gap
        SortRole,    // per column: a number to sort by (unknown sorts lowest)
        ViaRole,     // "via Prometheus" for a target read back from Prometheus; empty when sampled directly
    };

    enum Column
    {
        TargetColumn,    // label, kind and state (the dock's two lines)
        OccupancyColumn, // PostgreSQL: client backends / usable connections; PgBouncer: fullest pool's open /
                         // pool_size
        HeadroomColumn,  // connections still available (PostgreSQL) or free slots of the fullest pool
        WaitingColumn,   // sessions waiting on locks (PostgreSQL), clients queued (PgBouncer)
        IdleInTransactionColumn, // PostgreSQL: idle in transaction (aborted too)
        AttentionColumn,         // the worst things first, in words
        ColumnCount
    };
    static constexpr int HistoryLength = 120;

    explicit TargetListModel(QObject *parent = nullptr);

    /// Appends a row in state Connecting; an id already present is left alone. Returns the row.
    int addTarget(int id, const QString &label);
    void removeTarget(int id);
    void setLabel(int id, const QString &label);
    void setKind(int id, TargetKind kind);
    /// `error` is kept for the tooltip while the state is Failed, Stalled or Reconnecting, and cleared
    /// otherwise; so are `attempts` (failed attempts in a row) and `nextRetryAtMs` (ms since the epoch; 0
    /// when no retry is scheduled), shown as "retry 3 in 8 s".
    void setState(int id, TargetState state, const QString &error = {}, int attempts = 0,
                  qint64 nextRetryAtMs = 0);
    /// What to check about the last error (DbError::hint), shown in the tooltips with it; empty: none.
    void setHint(int id, const QString &hint);
    /// Where a target's figures come from when it is not sampled directly: `via` is said on the target's
    /// second line ("via Prometheus"), `detail` in its tooltip (the Prometheus, job and instance). Empty: a
    /// target sampled directly.
    void setVia(int id, const QString &via, const QString &detail);
    /// The fleet columns from one sample; a failed sample leaves a gap in the history and clears the
    /// figures (they would be stale).
    void setSample(int id, const TargetSnapshot &snapshot);
    /// The open findings that involve the target, worst first (FindingsEngine::openFindingsOf()): the
    /// worst one is the Needs attention text (its rule and summary; the sample's own words when there is
    /// none) and counts towards TroubleRole by its severity.
    void setFindings(int id, const QList<findings::Finding> &open);
    /// The Needs attention text for the target's worst open finding: "rule: summary (+N more)".
    static QString findingText(const QList<findings::Finding> &open);

    int rowOf(int id) const;
    int idAt(int row) const;
    TargetState stateOf(int id) const;

    static QString stateText(TargetState state);
    static bool isTrouble(TargetState state)
    {
        return state == TargetState::Failed || state == TargetState::Stalled ||
               state == TargetState::Reconnecting;
    }
    static QString kindText(TargetKind kind);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    struct Row
    {
        int id = 0;
        QString label;
        TargetKind kind = TargetKind::Unknown;
        TargetState state = TargetState::Connecting;
        QString error;
        QString hint;
        QString via;       // "via Prometheus"; empty when sampled directly
        QString viaDetail; // the Prometheus, job and instance
        int attempts = 0;
        qint64 nextRetryAtMs = 0;
        // From the last sample (unknown until one succeeds, and after a failed one).
        std::optional<double> occupancy; // percent
        std::optional<qint64> headroom;
        std::optional<qint64> waiting;
        std::optional<qint64> idleInTransaction;
        QString attention;
        QString findingAttention;                       // the worst open finding in words; empty: none
        std::optional<findings::Severity> worstFinding; // its severity
        QList<double> history;                          // occupancy %, NaN for a failed sample
    };
    QString retryText(const Row &r) const;
    /// The cause of a connection error without libpq's "connection to server at …, port … failed:".
    static QString errorCause(const QString &error);
    static double trouble(const Row &r);
    QVariant cellText(const Row &r, int column) const;
    void rowChanged(int row);

    QList<Row> m_rows;
};

} // namespace poolscope::models
