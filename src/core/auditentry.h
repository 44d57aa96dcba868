#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

namespace poolscope::audit {

/// One line of the audit log (auditlog.h), as the Audit view shows it: what was done, to whom, to which
/// sessions (or pool, or load run), with what result.
struct Entry
{
    QDateTime time;   // UTC, as written
    QString action;   // "terminate", "cancel", "pooler.reconnect", "load_start", ...
    QString target;   // user@host:port/db
    QString source;   // cli, gui, auto; empty when the line does not say
    QString sessions; // "4242, 4243" (pids), "database app", "tenant-spike: 90 clients", ...
    QString result;   // the line's overall result, its error appended
    QList<qint64> pids;
    QJsonObject raw;
};

/// Nullopt for a line that is not a JSON object with an action (a torn or foreign line is skipped, never
/// shown half-read).
std::optional<Entry> parseLine(const QByteArray &line);

} // namespace poolscope::audit
