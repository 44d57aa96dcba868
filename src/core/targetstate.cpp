#include "targetstate.h"

namespace poolscope {

QString targetStateName(TargetState state)
{
    switch (state) {
    case TargetState::Connecting:
        return QStringLiteral("connecting");
    case TargetState::Live:
        return QStringLiteral("live");
    case TargetState::Stalled:
        return QStringLiteral("stalled");
    case TargetState::Reconnecting:
        return QStringLiteral("reconnecting");
    case TargetState::Failed:
        break;
    }
    return QStringLiteral("failed");
}

} // namespace poolscope
