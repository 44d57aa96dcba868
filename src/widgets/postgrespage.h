#pragma once

#include "core/rateestimator.h"
#include "core/sessionsglance.h"
#include "widgets/monitorpage.h"

#include <QHash>
#include <QStringList>
#include <array>
#include <memory>

namespace Ui {
class PostgresPage;
}

namespace poolscope::widgets {

/// A PostgreSQL target: server version, sessions against the usable limit and the oldest open transaction in
/// a header line, with headroom, lock waits (root blockers) and the oldest xmin holder below it; sessions by
/// state as a stacked area under the dashed usable-connections limit; transactions (and rollbacks) per
/// second; sessions by application, user, database or client address (a combo picks the grouping).
class PostgresPage : public MonitorPage
{
    Q_OBJECT
public:
    explicit PostgresPage(const SeriesSet *set, QWidget *parent = nullptr);
    ~PostgresPage() override;

    void showSnapshot(const TargetSnapshot &snapshot) override;
    QList<TimeChart *> charts() const override;

    TimeChart *sessionsChart() const;
    TimeChart *tpsChart() const;
    TimeChart *groupsChart() const;
    GroupDimension groupDimension() const;
    void setGroupDimension(GroupDimension dimension);
    /// Charts the traffic the linked pooler `name` passed to this server (series::poolerTps()) beside
    /// PostgreSQL's own figure; empty removes it.
    void setPoolerTraffic(const QString &name);
    /// A target read back from Prometheus has no session list: the groups chart keeps to databases (from
    /// pg_stat_activity_count's datname), its combo disabled with `why`.
    void setSessionListAvailable(bool available, const QString &why = {});
    /// The TPS chart's legend label of PostgreSQL's own figure: its window, or why there is none.
    static QString tpsLabel(const RateEstimate &rate);

protected:
    void showEvent(QShowEvent *event) override;
    void onRangeShown() override { updateGroupSeries(false); }

private:
    void showHeaderDetails(const PostgresSample &pg);
    void setupTpsSeries();
    /// Charts the recorded groups of the chosen dimension that have sessions in the visible range, plus
    /// "others"; reconfigures the chart only when that list changed (or `force`).
    void updateGroupSeries(bool force);

    std::unique_ptr<Ui::PostgresPage> m_ui;
    // Per dimension, each group's colour index, in first-seen order.
    std::array<QHash<QString, int>, GroupDimensionCount> m_groupColours;
    QStringList m_shownGroups;
    QString m_poolerTraffic;      // the linked pooler charted on the TPS chart; empty for none
    double m_groupsCheckedAt = 0; // series time of the last live check of the groups shown
    SessionsGlance m_glance;
};

} // namespace poolscope::widgets
