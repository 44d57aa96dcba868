#pragma once

#include "core/targetsnapshot.h"
#include "core/timeseries.h"

#include <QWidget>

class QLabel;
class QTableView;

namespace poolscope::models {
class PgpoolModel;
}

namespace poolscope::widgets {

class TimeChart;

/// The "Pgpool-II" tab of a Pgpool-II target (beside its PostgreSQL charts and sessions, sampled through
/// Pgpool-II): a summary line, the backend nodes (a node that is not up highlighted), children busy against
/// num_init_children over time, and the SHOW POOL_PROCESSES and SHOW POOL_POOLS tables.
///
/// Clients beyond num_init_children wait in the kernel's listen backlog, where no SHOW command sees them: the
/// chart says so under its dashed num_init_children line. The chart's two series live in a SeriesSet of the
/// page's own (Pgpool-only series are not part of the target's recorded set). GUI thread only.
class PgpoolPage : public QWidget
{
    Q_OBJECT
public:
    explicit PgpoolPage(QWidget *parent = nullptr);
    ~PgpoolPage() override;

    /// Failed samples and samples without a Pgpool-II part break the chart line and keep the tables.
    void showSnapshot(const TargetSnapshot &snapshot);
    void setPaused(bool paused);

    /// Series names in series(): children serving a client (PoolScope's own excluded) and num_init_children.
    static QString busySeries() { return QStringLiteral("pgpool/busy_children"); }
    static QString limitSeries() { return QStringLiteral("pgpool/num_init_children"); }
    const SeriesSet &series() const { return m_series; }

    QLabel *summaryLabel() const { return m_summary; }
    TimeChart *childrenChart() const { return m_chart; }
    models::PgpoolModel *nodesModel() const { return m_nodes; }
    models::PgpoolModel *processesModel() const { return m_processes; }
    models::PgpoolModel *poolsModel() const { return m_pools; }
    QTableView *nodesView() const { return m_nodesView; }
    QTableView *processesView() const { return m_processesView; }
    QTableView *poolsView() const { return m_poolsView; }

protected:
    void changeEvent(QEvent *event) override;

private:
    QTableView *makeTable(models::PgpoolModel *model, const QString &objectName);
    void updateSummary(const PgpoolSample &sample);

    SeriesSet m_series;
    QLabel *m_summary = nullptr;
    QLabel *m_backlogNote = nullptr;
    TimeChart *m_chart = nullptr;
    models::PgpoolModel *m_nodes = nullptr;
    models::PgpoolModel *m_processes = nullptr;
    models::PgpoolModel *m_pools = nullptr;
    QTableView *m_nodesView = nullptr;
    QTableView *m_processesView = nullptr;
    QTableView *m_poolsView = nullptr;
};

} // namespace poolscope::widgets
