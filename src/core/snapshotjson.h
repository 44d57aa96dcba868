#pragma once

#include "snapshot.h"

#include <QJsonObject>

namespace poolscope {

/// The `snapshot --json` shape. Keys are a public contract: extend, never rename.
QJsonObject toJson(const TargetSnapshot &snapshot);
QJsonObject toJson(const QList<TargetSnapshot> &snapshots); // {"targets":[...]}

} // namespace poolscope
