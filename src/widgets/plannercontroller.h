#pragma once

#include "core/liveplan.h"
#include "core/targetkind.h"

#include <QHash>
#include <QObject>
#include <functional>
#include <optional>

class QAction;
class QWidget;

namespace poolscope::findings {
struct Finding;
}

namespace poolscope::widgets {

class PlannerPage;
class PoolerLinks;

/// The window's capacity planner: the Planner page (View → Capacity planner, Ctrl+Shift+P) and "Plan from
/// what is connected", which fills it from the live targets: PostgreSQL's limits from the PostgreSQL target
/// in view (or the first one), the settings and pools of the poolers linked to it (PoolerLinks), and every
/// application seen on them with its peak session count over the last 10 minutes (plan::AppPeaks). A finding
/// about a capacity limit opens it for its own targets, saying so. GUI thread only.
class PlannerController : public QObject
{
    Q_OBJECT
public:
    struct Host
    {
        std::function<void(QWidget *page)> showPage; // makes the page the one in view
        std::function<int()> currentTargetId;        // the target in view, 0 for none
    };
    /// The page goes to the caller's page stack (`page()`); `links` outlives this controller.
    PlannerController(const PoolerLinks *links, Host host, QObject *parent = nullptr);
    ~PlannerController() override;

    /// A sample of target `id` (after the links saw it): the latest sample of each kind, the peaks.
    void addSample(int id, const QString &name, TargetKind kind, const TargetSnapshot &snapshot);
    void removeTarget(int id);

    PlannerPage *page() const { return m_page; }
    /// View → Capacity planner.
    QAction *showAction() const { return m_showAction; }

    /// Shows the page filled from the targets around `targetId` (a PostgreSQL target, or a pooler: its
    /// PostgreSQL); `why` says so above the plan. False (and a word on the page) when no PostgreSQL target
    /// has reported yet.
    bool planFromLive(int targetId, const QString &why = {});
    /// From a finding: its PostgreSQL target, its rule named as the reason.
    void planFromFinding(const findings::Finding &finding);

    /// The plan inputs of what is connected around `targetId` (tests check them against psql and SHOW).
    std::optional<plan::Plan> livePlan(int targetId, QString *origin = nullptr) const;

private:
    struct Seen
    {
        QString name;
        TargetKind kind = TargetKind::Unknown;
        std::optional<PostgresSample> postgres;
        std::optional<BouncerSample> bouncer;
    };
    /// The PostgreSQL target for `targetId`: itself, the first it forwards to, or the first that reported.
    int postgresFor(int targetId) const;

    const PoolerLinks *m_links;
    Host m_host;
    PlannerPage *m_page;
    QAction *m_showAction;
    QHash<int, Seen> m_seen;
    QList<int> m_order; // target ids as they first reported
    plan::AppPeaks m_peaks;
};

} // namespace poolscope::widgets
