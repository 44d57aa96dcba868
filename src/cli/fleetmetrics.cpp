#include "fleetmetrics.h"

#include "db/targetcontroller.h"
#include "fleetwatch.h"
#include "metrics/fleetexport.h"

namespace poolscope::cli {

metrics::Exposition fleetExposition(const FleetWatch &fleet)
{
    QList<metrics::TargetExport> targets;
    targets.reserve(fleet.count());
    for (int i = 0; i < fleet.count(); ++i) {
        const db::TargetController &c = fleet.controller(i);
        metrics::TargetExport t;
        t.last = fleet.latest(i);
        t.target = t.last ? t.last->target : c.target();
        t.kind = c.kind();
        t.state = c.state();
        t.samplesOk = fleet.samplesOk(i);
        t.samplesFailed = fleet.samplesFailed(i);
        t.lastSampleDurationMs = t.last ? c.lastSampleDurationMs() : -1;
        t.openFindings = fleet.engine().openFindingsOf(i);
        for (int pg : fleet.linkedPostgres(i)) {
            const std::optional<TargetSnapshot> &s = fleet.latest(pg);
            t.linkedPostgres.append(s ? s->target : fleet.controller(pg).target());
        }
        targets.append(t);
    }
    return metrics::buildExposition(targets);
}

} // namespace poolscope::cli
