#pragma once

#include <QString>
#include <sys/types.h>

namespace poolscope::sandbox {

/// Who runs the sandbox's servers. PostgreSQL refuses to run as root, so when PoolScope runs as root the
/// servers run as "postgres", else "nobody"; otherwise as ourselves (switchUser false).
struct ServerUser
{
    bool switchUser = false;
    uid_t uid = 0;
    gid_t gid = 0;
    QString name;

    /// Nobody to switch to when not root; when root and neither user exists, switchUser stays false.
    static ServerUser resolve();
};

} // namespace poolscope::sandbox
