#pragma once

#include "core/postgressample.h"

#include <QSortFilterProxyModel>
#include <QString>
#include <array>
#include <optional>

namespace poolscope::models {

class SessionsModel;

/// Sorts and filters a SessionsModel. Every filter is ANDed:
/// - free text, case-insensitive, found in the query, application, user, client (address:port) or pid, or
///   in the pool and pooler client (address:port, application_name) holding the backend through a linked
///   pooler;
/// - the session states shown (all by default; rows hidden by privileges count as "other");
/// - application, user, database and client address, each exactly one value or any (nullopt). The values
///   are those of analysis::groupName(), the ones the sessions-by-group charts use: "" is "no
///   application_name" or "local socket", "<insufficient privilege>" a client address hidden by privileges;
/// - a minimum state age in seconds (0: off); a session whose state age is unknown is left out while it is
/// on. Sorting uses SessionsModel::SortRole (numbers for ages). Filters re-evaluate on every merge, so a
/// session appears once it passes the minimum age. GUI thread only.
class SessionsFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit SessionsFilterModel(QObject *parent = nullptr);

    /// The source must be a SessionsModel (the filters read its sessions).
    void setSessionsModel(SessionsModel *model);
    SessionsModel *sessionsModel() const { return m_sessions; }

    void setText(const QString &text);
    QString text() const { return m_text; }
    void setStateShown(SessionState state, bool shown);
    bool isStateShown(SessionState state) const { return m_states[size_t(state)]; }
    void setGroupFilter(GroupDimension dimension, const std::optional<QString> &value);
    std::optional<QString> groupFilter(GroupDimension dimension) const { return m_groups[size_t(dimension)]; }
    void setMinimumStateAge(double seconds);
    double minimumStateAge() const { return m_minAge; }
    /// Back to showing every session.
    void clearFilters();
    /// True when any filter is set.
    bool isFiltering() const;

    /// Pid of the session at a proxy row.
    qint64 pidAt(int row) const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    void refilter();

    SessionsModel *m_sessions = nullptr;
    QString m_text;
    std::array<bool, SessionStateCount> m_states;
    std::array<std::optional<QString>, GroupDimensionCount> m_groups;
    double m_minAge = 0;
};

} // namespace poolscope::models
