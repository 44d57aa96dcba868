#include "sqlresource.h"

#include <QFile>
#include <QString>

// Q_INIT_RESOURCE names a global function: it cannot be called from inside a namespace.
static void initSqlResource()
{
    Q_INIT_RESOURCE(sql);
}

namespace poolscope::db {

QByteArray loadSql(const char *name)
{
    static const bool registered = (initSqlResource(), true); // a static library's resources need this
    Q_UNUSED(registered);
    QFile f(QStringLiteral(":/sql/") + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

} // namespace poolscope::db
