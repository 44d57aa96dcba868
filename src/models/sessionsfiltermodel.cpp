#include "sessionsfiltermodel.h"

#include "core/sessionanalysis.h"
#include "sessionsmodel.h"

namespace poolscope::models {

SessionsFilterModel::SessionsFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    m_states.fill(true);
    setSortRole(SessionsModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
    setDynamicSortFilter(true);
    // Every column: a merge that changes only the age columns must still re-run the minimum-age filter.
    setFilterKeyColumn(-1);
}

void SessionsFilterModel::setSessionsModel(SessionsModel *model)
{
    m_sessions = model;
    setSourceModel(model);
}

void SessionsFilterModel::refilter()
{
    // Qt 6.4 has no begin/endFilterChange(); invalidateFilter() re-evaluates every row without a reset of
    // the proxy's persistent indexes (selection survives for rows that stay).
    invalidateFilter();
}

void SessionsFilterModel::setText(const QString &text)
{
    const QString t = text.trimmed();
    if (t == m_text)
        return;
    m_text = t;
    refilter();
}

void SessionsFilterModel::setStateShown(SessionState state, bool shown)
{
    if (m_states[size_t(state)] == shown)
        return;
    m_states[size_t(state)] = shown;
    refilter();
}

void SessionsFilterModel::setGroupFilter(GroupDimension dimension, const std::optional<QString> &value)
{
    if (m_groups[size_t(dimension)] == value)
        return;
    m_groups[size_t(dimension)] = value;
    refilter();
}

void SessionsFilterModel::setMinimumStateAge(double seconds)
{
    seconds = std::max(0.0, seconds);
    if (seconds == m_minAge)
        return;
    m_minAge = seconds;
    refilter();
}

void SessionsFilterModel::clearFilters()
{
    m_text.clear();
    m_states.fill(true);
    for (std::optional<QString> &g : m_groups)
        g.reset();
    m_minAge = 0;
    refilter();
}

bool SessionsFilterModel::isFiltering() const
{
    if (!m_text.isEmpty() || m_minAge > 0)
        return true;
    for (bool shown : m_states) {
        if (!shown)
            return true;
    }
    for (const std::optional<QString> &g : m_groups) {
        if (g)
            return true;
    }
    return false;
}

qint64 SessionsFilterModel::pidAt(int row) const
{
    return index(row, 0).data(SessionsModel::PidRole).toLongLong();
}

bool SessionsFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_sessions || sourceParent.isValid())
        return false;
    const Session &s = m_sessions->sessionAt(sourceRow);
    if (!m_states[size_t(s.stateClass())])
        return false;
    for (GroupDimension d : AllGroupDimensions) {
        const std::optional<QString> &wanted = m_groups[size_t(d)];
        if (wanted && analysis::groupName(s, d) != *wanted)
            return false;
    }
    if (m_minAge > 0) {
        const std::optional<double> age = SessionsModel::age(s.stateChange, m_sessions->serverNow());
        if (!age || *age < m_minAge)
            return false;
    }
    if (!m_text.isEmpty()) {
        const auto has = [this](const QString &field) {
            return field.contains(m_text, Qt::CaseInsensitive);
        };
        if (!has(s.query) && !has(s.applicationName) && !has(s.usename) &&
            !has(SessionsModel::clientText(s)) && !has(QString::number(s.pid))) {
            // Behind a pooler the backend's own application_name and client are the pooler's: the client
            // holding it through the pooler counts too ("billing" finds the backends billing holds).
            const ChainLink *link = m_sessions->linkFor(s);
            if (!link || (!has(SessionsModel::poolerClientText(*link, s.stateClass())) &&
                          !has(SessionsModel::poolText(*link))))
                return false;
        }
    }
    return true;
}

} // namespace poolscope::models
