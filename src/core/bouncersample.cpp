#include "bouncersample.h"

namespace poolscope {

std::optional<qint64> PoolStats::serverCount() const
{
    if (!svActive)
        return std::nullopt;
    qint64 n = 0;
    for (const auto &v : {svActive, svBeingCanceled, svIdle, svTested, svUsed, svLogin, svActiveCancel})
        n += v.value_or(0);
    return n;
}

std::optional<double> PoolStats::openFraction() const
{
    const auto open = serverCount();
    if (!open || !poolSize || *poolSize <= 0)
        return std::nullopt;
    return double(*open) / double(*poolSize);
}

std::optional<double> PoolStats::busyFraction() const
{
    if (!svActive || !poolSize || *poolSize <= 0)
        return std::nullopt;
    return double(*svActive) / double(*poolSize);
}

bool PoolStats::saturated() const
{
    const auto open = serverCount();
    if (!clWaiting || *clWaiting <= 0 || !open || !poolSize || *poolSize <= 0)
        return false;
    return *open >= *poolSize; // the reserve opens only after reserve_pool_timeout: waiting already
}

QString poolerFlavorName(PoolerFlavor flavor)
{
    switch (flavor) {
    case PoolerFlavor::PgCat:
        return QStringLiteral("pgcat");
    case PoolerFlavor::Odyssey:
        return QStringLiteral("odyssey");
    case PoolerFlavor::PgBouncer:
        break;
    }
    return QStringLiteral("pgbouncer");
}

QString hostPortText(const QString &addr, std::optional<qint64> port)
{
    if (addr.isEmpty())
        return {};
    if (addr == QLatin1String("unix"))
        return addr;
    if (!port)
        return addr;
    return addr.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(addr).arg(*port)
                                           : QStringLiteral("%1:%2").arg(addr).arg(*port);
}

QString BouncerConnection::addrPort() const
{
    return addr.isEmpty() ? QStringLiteral("unix") : hostPortText(addr, port);
}

const BouncerDatabase *BouncerSample::database(const QString &name) const
{
    for (const BouncerDatabase &d : databases) {
        if (d.name == name)
            return &d;
    }
    return nullptr;
}

} // namespace poolscope
