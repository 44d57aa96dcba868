#pragma once

#include "autoremediation.h"
#include "targetkind.h"

#include <QList>
#include <QString>
#include <memory>

class QSettings;

namespace poolscope {

/// A saved target. Holds no secret: `conninfo` is stored without a password (db::splitPassword), and a
/// remembered password lives in the OS keychain under `id`.
struct TargetConfig
{
    QString id;    // stable, generated; the keychain key
    QString name;  // optional display name; empty = user@host:port/db
    QString group; // e.g. "production", "staging"; empty = ungrouped
    QString conninfo;
    TargetKind kindOverride = TargetKind::Unknown; // Unknown = detect
    int intervalMs = 1000;
    bool rememberPassword = false;
    AutoRemediationConfig autoRemediation; // opt-in, off by default
    // Pooler targets: the id of the PostgreSQL target this pooler sits in front of (its SHOW SERVERS
    // remote_pid are that server's backends). Empty = automatic: linked to the PostgreSQL target its
    // SHOW DATABASES host/port points at.
    QString linkedTarget;

    bool operator==(const TargetConfig &) const = default;
    static QString newId();
};

/// Reads and writes the "targets" array of QSettings. Invalid entries (no conninfo) are skipped on load;
/// intervals are clamped to 100 ms – 60 s.
QList<TargetConfig> loadTargets(QSettings &settings);
/// The application's settings: $XDG_CONFIG_HOME/poolscope/poolscope.conf (independent of the organization
/// name, which would also move the log directory).
std::unique_ptr<QSettings> openSettings();
void saveTargets(QSettings &settings, const QList<TargetConfig> &targets);

} // namespace poolscope
