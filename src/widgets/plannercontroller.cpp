#include "plannercontroller.h"

#include "core/finding.h"
#include "widgets/plannerpage.h"
#include "widgets/poolerlinks.h"

#include <QAction>
#include <QDateTime>
#include <QKeySequence>

namespace poolscope::widgets {

PlannerController::PlannerController(const PoolerLinks *links, Host host, QObject *parent)
    : QObject(parent), m_links(links), m_host(std::move(host)), m_page(new PlannerPage),
      m_showAction(new QAction(tr("&Capacity planner"), this))
{
    m_page->setObjectName(QStringLiteral("plannerPage"));
    m_showAction->setObjectName(QStringLiteral("actionPlanner"));
    m_showAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P));
    m_showAction->setToolTip(tr("Size the pools: worst-case connections per layer against each limit, "
                                "queueing, what-if (Ctrl+Shift+P)"));
    connect(m_showAction, &QAction::triggered, this, [this] {
        // The first time, with nothing opened yet, it starts from what is connected.
        if (m_page->plan().apps.isEmpty() && m_page->plan().poolers.isEmpty())
            planFromLive(m_host.currentTargetId ? m_host.currentTargetId() : 0);
        m_host.showPage(m_page);
    });
    connect(m_page, &PlannerPage::planFromLiveRequested, this,
            [this] { planFromLive(m_host.currentTargetId ? m_host.currentTargetId() : 0); });
}

PlannerController::~PlannerController() = default;

void PlannerController::addSample(int id, const QString &name, TargetKind kind,
                                  const TargetSnapshot &snapshot)
{
    if (!snapshot.ok)
        return; // the last good sample stays
    if (!m_seen.contains(id))
        m_order.append(id);
    Seen &seen = m_seen[id];
    seen.name = name;
    seen.kind = kind;
    const double atS = double(snapshot.sampledAtMs) / 1000.0;
    if (snapshot.postgres) {
        seen.postgres = snapshot.postgres;
        const std::optional<PoolerChain> chain = m_links->chainFor(id);
        QList<const PoolerChain *> chains;
        if (chain)
            chains.append(&*chain);
        m_peaks.addPostgres(id, atS, snapshot.postgres->sessions, chains);
    }
    if (snapshot.bouncer) {
        seen.bouncer = snapshot.bouncer;
        if (snapshot.bouncer->connectionsFresh && snapshot.bouncer->clients)
            m_peaks.addPooler(id, name, atS, *snapshot.bouncer->clients);
    }
}

void PlannerController::removeTarget(int id)
{
    m_seen.remove(id);
    m_order.removeAll(id);
    m_peaks.removeTarget(id);
}

int PlannerController::postgresFor(int targetId) const
{
    const auto hasPostgres = [this](int id) {
        const auto it = m_seen.constFind(id);
        return it != m_seen.cend() && it->postgres.has_value();
    };
    if (hasPostgres(targetId))
        return targetId;
    for (int pg : m_links->postgresOf(targetId)) {
        if (hasPostgres(pg))
            return pg;
    }
    for (int id : m_order) {
        if (hasPostgres(id))
            return id;
    }
    return 0;
}

std::optional<plan::Plan> PlannerController::livePlan(int targetId, QString *origin) const
{
    const int pgId = postgresFor(targetId);
    if (pgId == 0)
        return std::nullopt;
    const Seen &pg = *m_seen.constFind(pgId);
    plan::LiveInputs in;
    in.postgres = &*pg.postgres;
    QList<int> poolerIds;
    QStringList names{tr("PostgreSQL %1").arg(pg.name)};
    QHash<QString, QString> planNames; // the poolers' names in the plan by their targets' names
    for (int id : m_links->poolersOf(pgId)) {
        const auto it = m_seen.constFind(id);
        if (it == m_seen.cend() || !it->bouncer)
            continue;
        // Short names in the plan (its bars and tables), the targets they stand for said above it.
        const QString name = poolerIds.isEmpty() ? QStringLiteral("pgbouncer")
                                                 : QStringLiteral("pgbouncer-%1").arg(poolerIds.size() + 1);
        poolerIds.append(id);
        in.poolers.append({name, &*it->bouncer});
        planNames.insert(it->name, name);
        names.append(QStringLiteral("%1 = %2").arg(name, it->name));
    }
    in.apps = m_peaks.appsFor(pgId, poolerIds, double(QDateTime::currentMSecsSinceEpoch()) / 1000.0);
    for (plan::SeenApp &app : in.apps)
        app.via = planNames.value(app.via, app.via);
    if (origin)
        *origin =
            tr("what is connected at %1: %2; applications at their peak of the last 10 minutes")
                .arg(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")), names.join(u", "));
    return plan::planFromLive(in);
}

bool PlannerController::planFromLive(int targetId, const QString &why)
{
    QString origin;
    const std::optional<plan::Plan> plan = livePlan(targetId, &origin);
    if (!plan) {
        m_page->setPlan(m_page->plan(), tr("no live plan yet: no PostgreSQL target has reported (open a plan "
                                           "file, or wait for the first sample)"));
        return false;
    }
    m_page->setPlan(*plan, why.isEmpty() ? origin : why + QStringLiteral(", ") + origin);
    m_host.showPage(m_page);
    return true;
}

void PlannerController::planFromFinding(const findings::Finding &finding)
{
    // The PostgreSQL target among the finding's (a pooler's finding names its PostgreSQL second).
    int target = finding.targetId;
    for (int id : finding.targetIds) {
        if (postgresFor(id) == id) {
            target = id;
            break;
        }
    }
    if (!planFromLive(target, tr("for the finding %1 on %2").arg(finding.rule, finding.target)))
        return;
    // An application's pool: the what-if sliders on it.
    const QList<plan::AppSpec> &apps = m_page->plan().apps;
    for (int row = 0; row < apps.size(); ++row) {
        if (finding.rule == findings::rule::AppPoolCeiling && apps.at(row).name == finding.subject)
            m_page->selectApp(row);
    }
}

} // namespace poolscope::widgets
