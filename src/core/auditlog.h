#pragma once

#include <QJsonObject>
#include <QString>

namespace poolscope::audit {

/// Every action PoolScope takes against a server (terminate, cancel, pooler commands, load runs,
/// auto-remediation) leaves one JSON line here, in the data directory:
///   {"time":"2026-11-23T06:20:00.123Z","os_user":"alice","target":"app@127.0.0.1:5432/app",
///    "action":"terminate", ...fields}
/// `target` must be a description without secrets (pg::describe()). The line is also logged through the
/// "audit" logger, so the GUI log dock shows it. Thread-safe; returns false (and logs the reason) when the
/// file cannot be written — the action itself is not undone.
bool record(const QString &action, const QString &target, const QJsonObject &fields = {});

/// $XDG_DATA_HOME/poolscope/audit.jsonl (QStandardPaths' GenericDataLocation), or the override.
QString filePath();
/// For tests and `--audit-log FILE`; empty restores the default.
void setFilePath(const QString &path);

/// The OS user running PoolScope ($USER, else the uid's name), as written into each line.
QString osUser();

} // namespace poolscope::audit
