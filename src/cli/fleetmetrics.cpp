#include "fleetmetrics.h"

#include "fleetwatch.h"
#include "metrics/fleetexport.h"

namespace poolscope::cli {

metrics::Exposition fleetExposition(const FleetWatch &fleet)
{
    QList<metrics::TargetExport> targets;
    targets.reserve(fleet.count());
    for (int i = 0; i < fleet.count(); ++i) {
        metrics::TargetExport t;
        t.last = fleet.latest(i);
        t.target = fleet.name(i);
        t.kind = fleet.kind(i);
        t.state = fleet.state(i);
        t.samplesOk = fleet.samplesOk(i);
        t.samplesFailed = fleet.samplesFailed(i);
        t.lastSampleDurationMs = fleet.lastSampleDurationMs(i);
        t.openFindings = fleet.engine().openFindingsOf(i);
        for (int pg : fleet.linkedPostgres(i)) {
            t.linkedPostgres.append(fleet.name(pg));
        }
        targets.append(t);
    }
    return metrics::buildExposition(targets);
}

} // namespace poolscope::cli
