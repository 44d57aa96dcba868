#pragma once

#include "core/bouncersample.h"

#include <QByteArray>
#include <QList>
#include <QStringList>
#include <optional>

// How a pooler's SHOW CLIENTS / SHOW SERVERS round is stored: one line per connection (clients, then
// servers) in the recording's text form (textfields.h), as one zlib stream. README "Recording file format".
namespace poolscope::record {

/// The connection fields in stored (and exported) order; the first is the type, "C" or "S".
const QStringList &poolerConnectionColumns();

struct PoolerRound
{
    QList<BouncerConnection> clients;
    QList<BouncerConnection> servers;
};

QByteArray encodePoolerRound(const QList<BouncerConnection> &clients,
                             const QList<BouncerConnection> &servers);
/// nullopt (and `error`) when the data cannot be decoded: the recording is damaged.
std::optional<PoolerRound> decodePoolerRound(const QByteArray &data, QString *error);
/// Every connection's fields, unescaped (nullopt for unknown), in poolerConnectionColumns() order; nullopt
/// (and `error`) when the data cannot be decoded.
std::optional<QList<QList<std::optional<QString>>>> poolerRoundFields(const QByteArray &data, QString *error);

} // namespace poolscope::record
