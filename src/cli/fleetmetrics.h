#pragma once

#include "metrics/exposition.h"

namespace poolscope::cli {

class FleetWatch;

/// What `watch --metrics-listen` serves: every target of the fleet, its newest sample, its sampler's health,
/// its open findings and, for a pooler, the PostgreSQL targets it points at (metrics::buildExposition).
metrics::Exposition fleetExposition(const FleetWatch &fleet);

} // namespace poolscope::cli
