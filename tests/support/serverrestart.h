#pragma once

#include "sandbox/sandbox.h"

#include <QString>

namespace poolscope::test {

/// Blocking: fast shutdown of the sandbox's PostgreSQL, then a start on the same port with the same settings,
/// as an operator's restart would (clients see their connections close). PgBouncer keeps running.
bool restartPostgres(sandbox::Sandbox &sandbox, QString *error);
/// Blocking: stops PgBouncer and starts it again on the same port with the same configuration.
bool restartPgBouncer(sandbox::Sandbox &sandbox, QString *error);

} // namespace poolscope::test
