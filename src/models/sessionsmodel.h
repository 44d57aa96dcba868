#pragma once

#include "core/poolerchain.h"
#include "core/postgressample.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QList>
#include <functional>
#include <optional>

namespace poolscope::models {

/// The sessions of one PostgreSQL target (PostgresSample::sessions) as a live table. merge() diffs each new
/// sample by (pid, backend_start) into row inserts, removals and dataChanged for the cells whose text or sort
/// value changed; never a reset, so selection and scroll position survive each sample. A reused pid (a new
/// backend_start) is a new row. Ages are computed against the sample's server clock (serverNow), never the
/// client's. New sessions are appended; a SessionsFilterModel on top sorts and filters. GUI thread only.
class SessionsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Pid,
        State,
        Application,
        User,
        Database,
        Client,
        BackendType,
        StateAge,
        XactAge,
        QueryAge,
        WaitEvent,
        BlockedBy,
        HorizonAge,
        Pool,         // the pooler's pool holding this backend ("app/app"); empty without a linked pooler
        PoolerClient, // the pooler's client behind it: "10.0.0.5:51234 billing-worker id 17"
        Query,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // numbers for pid, ages, horizon and blocked-by (unknown sorts below 0)
        PidRole,                 // qint64
        HiddenRole,    // bool: the row is hidden by privileges (state, client, times, query unknown)
        StateRole,     // int(SessionState)
        FullQueryRole, // the query text as sampled (may span lines)
    };
    Q_ENUM(Role)

    /// Shown for unknown values.
    static QString unknownText();
    /// "0.4 s", "12 s", "4 min 05 s", "2 h 10 min", "3 d 04 h".
    static QString ageText(double seconds);
    /// Seconds from `since` to `now` (never negative); nullopt when `since` is unknown.
    static std::optional<double> age(const std::optional<double> &since, double now);
    /// "10.0.0.7:50001", "[::1]:50001", "local socket", or "hidden" for rows hidden by privileges.
    static QString clientText(const Session &session);
    /// The query on one line: runs of whitespace (newlines included) become one space.
    static QString oneLine(const QString &query);
    /// "app/app": the pool of a chain link.
    static QString poolText(const ChainLink &link);
    /// The client of a chain link: "10.0.0.5:51234 billing-worker id 17", "unix linked-1", "child 4242"
    /// (Pgpool-II before 4.7), "no client (idle in pool)"; a link without a client whose server (or
    /// `backend`, the PostgreSQL session) is busy is not idle in the pool: "client not listed (server
    /// active)", "no client in the pooler's last list (backend active)".
    static QString poolerClientText(const ChainLink &link,
                                    std::optional<SessionState> backend = std::nullopt);

    explicit SessionsModel(QObject *parent = nullptr);

    void merge(const QList<Session> &sessions, double serverNow);
    void clear();

    const Session &sessionAt(int row) const { return m_rows.at(row); }
    double serverNow() const { return m_serverNow; }
    /// Row of the session with this pid (its current backend); -1 when none.
    int rowOfPid(qint64 pid) const;

    /// Who holds each backend through a linked pooler (the Pool and Pooler client columns); nullopt when no
    /// pooler is linked. Lookups go through PoolerChain::find with backend_start, so a reused pid is not
    /// attributed to the previous backend's client. Emits dataChanged for the two columns.
    void setPoolerChain(const std::optional<PoolerChain> &chain);
    const std::optional<PoolerChain> &poolerChain() const { return m_chain; }
    /// The link of a session; nullptr without a chain or when the pooler holds no server with its pid.
    const ChainLink *linkFor(const Session &session) const;

    /// Colour of the small swatch in the State column (the page passes palette::sessionState for its
    /// palette); none by default. Emits dataChanged for the column.
    void setStateColors(std::function<QColor(SessionState)> colors);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVariant display(const Session &s, double now, int column) const;
    QVariant sortValue(const Session &s, double now, int column) const;

    QList<Session> m_rows;
    double m_serverNow = 0;
    std::optional<PoolerChain> m_chain;
    std::function<QColor(SessionState)> m_stateColors;
};

} // namespace poolscope::models
