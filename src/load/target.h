#pragma once

#include "db/conninfo.h"

#include <QString>

namespace poolscope::load {

/// Where a load run would go. Load is only for machines you own: a target that is not on this machine needs
/// an explicit yes (GUI confirmation, `--allow-remote`).
struct TargetCheck
{
    bool loopback = false; // every address is local: a Unix socket, localhost, 127.0.0.0/8, ::1
    QString remoteHost;    // the first host that is not (for the question to the user)
    QString error;         // a host that does not resolve
};

/// Blocking: resolves host names (getaddrinfo). host/hostaddr lists (multi-host strings) are checked entry by
/// entry; an empty host means libpq's default (PGHOST, else the Unix socket).
TargetCheck checkTarget(const db::ConnSpec &spec);

} // namespace poolscope::load
