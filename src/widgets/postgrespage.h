#pragma once

#include "widgets/monitorpage.h"

#include <memory>

namespace Ui {
class PostgresPage;
}

namespace poolscope::widgets {

/// A PostgreSQL target: server version, sessions against the usable limit and the oldest open transaction in
/// a header line; sessions by state as a stacked area under the dashed usable-connections limit; transactions
/// per second.
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

private:
    std::unique_ptr<Ui::PostgresPage> m_ui;
};

} // namespace poolscope::widgets
