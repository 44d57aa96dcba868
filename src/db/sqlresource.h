#pragma once

#include <QByteArray>

namespace poolscope::db {

/// The text of resources/sql/<name> (sql.qrc, compiled into poolscope_db, registered on first use); empty
/// when there is no such file. The sampler and the terminator read their queries with it.
QByteArray loadSql(const char *name);

} // namespace poolscope::db
