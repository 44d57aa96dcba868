#pragma once

#include "core/plan.h"

#include <QAbstractTableModel>

namespace poolscope::models {

/// The applications or the poolers of a capacity plan as an editable table (the Planner page's what-if
/// tables). Edits change the plan at once and say so (planEdited); the plan itself is set from outside
/// (a file, "Plan from what is connected") with setPlan, which resets the rows. GUI thread only.
class PlanModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum class Rows
    {
        Apps,
        Poolers,
    };
    enum AppColumn
    {
        AppName,
        AppInstances,
        AppProcesses,
        AppPoolSize,
        AppMaxOverflow,
        AppVia,
        AppRate,
        AppHoldMs,
        AppColumnCount
    };
    enum PoolerColumn
    {
        PoolerName,
        PoolerInstances,
        PoolerMode,
        PoolerDefaultPoolSize,
        PoolerReserve,
        PoolerMaxClientConn,
        PoolerMaxDbConnections,
        PoolerColumnCount
    };

    explicit PlanModel(Rows rows, QObject *parent = nullptr);

    /// Shared with the page: the model edits `plan` in place.
    void setPlan(plan::Plan *plan);
    /// The plan changed from outside (another table, a slider): refresh every cell.
    void refresh();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    void planEdited();

private:
    Rows m_rows;
    plan::Plan *m_plan = nullptr;
};

} // namespace poolscope::models
