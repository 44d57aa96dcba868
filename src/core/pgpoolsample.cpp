#include "pgpoolsample.h"

namespace poolscope {

bool PgpoolProcess::busy() const
{
    return !database.isEmpty() || (!status.isEmpty() && status != QLatin1String("Wait for connection"));
}

int PgpoolSample::busyChildren() const
{
    int n = 0;
    for (const PgpoolProcess &p : processes) {
        if (p.busy() && (!ownChildPid || p.pid != *ownChildPid))
            ++n;
    }
    return n;
}

std::optional<double> PgpoolSample::childUtilisation() const
{
    if (!numInitChildren || *numInitChildren <= 0)
        return std::nullopt;
    return double(busyChildren()) / double(*numInitChildren);
}

} // namespace poolscope
