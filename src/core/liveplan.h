#pragma once

#include "plan.h"
#include "targetsnapshot.h"

#include <QList>
#include <QString>

/// "Plan from what is connected": a capacity plan pre-filled from live targets, for the Planner page and the
/// findings that open it with the numbers of the moment.
namespace poolscope::plan {

/// An application seen on a PostgreSQL target.
struct SeenApp
{
    QString name; // application_name
    int peakSessions = 0;
    QString via;      // the pooler its sessions come through (by the pooler chain), or "postgres"
    QString database; // the pool's database and user behind that pooler
    QString user;
};

struct LiveInputs
{
    const PostgresSample *postgres = nullptr; // nullopt max_connections etc. keep the defaults
    struct Pooler
    {
        QString name;
        const BouncerSample *sample = nullptr;
    };
    QList<Pooler> poolers;
    QList<SeenApp> apps;
};

/// The plan of what is connected: PostgreSQL's limits, each pooler's settings (SHOW CONFIG) and pools
/// (pool_size and pool_mode as it reports them), each application as one instance of one process whose pool
/// is its peak session count. Traffic, where a pooler counts it: the pool's transactions per second as the
/// arrival rate and its mean transaction time (SHOW STATS totals) as the hold time.
Plan planFromLive(const LiveInputs &inputs);

} // namespace poolscope::plan
