#pragma once

#include "widgets/monitorpage.h"

#include <memory>

class QSortFilterProxyModel;

namespace Ui {
class BouncerPage;
}

namespace poolscope::models {
class PoolsModel;
}

namespace poolscope::widgets {

/// A PgBouncer console target: one pool at a time (chosen in a combo box, by default the first pool that is
/// not the admin console) charted as client and server connections against its dashed pool_size, the oldest
/// client's wait in seconds, and every pool in a sortable SHOW POOLS table.
class BouncerPage : public MonitorPage
{
    Q_OBJECT
public:
    explicit BouncerPage(const SeriesSet *set, QWidget *parent = nullptr);
    ~BouncerPage() override;

    void showSnapshot(const TargetSnapshot &snapshot) override;
    QList<TimeChart *> charts() const override;

    /// "db/user" of the charted pool; empty before the first sample.
    QString currentPool() const;
    void setCurrentPool(const QString &key);
    const models::PoolsModel *poolsModel() const { return m_pools; }

private:
    void updatePoolChoices(const QList<PoolStats> &pools);
    void chartPool(const QString &key);

    std::unique_ptr<Ui::BouncerPage> m_ui;
    models::PoolsModel *m_pools;
    QSortFilterProxyModel *m_proxy;
    QString m_chartedPool;
    bool m_userChosePool = false;
};

} // namespace poolscope::widgets
