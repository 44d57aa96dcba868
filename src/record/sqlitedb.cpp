#include "sqlitedb.h"

#include <sqlite3.h>

namespace poolscope::record {

SqliteDb::~SqliteDb()
{
    close();
}

bool SqliteDb::open(const QString &path, bool readOnly, QString *error)
{
    close();
    const int flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    const QByteArray name = path.toUtf8();
    const int rc = sqlite3_open_v2(name.constData(), &m_db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        if (error)
            *error = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(rc));
        close();
        return false;
    }
    sqlite3_extended_result_codes(m_db, 0);
    sqlite3_busy_timeout(m_db, 2000);
    return true;
}

void SqliteDb::close()
{
    m_cache.clear(); // finalized before the connection goes
    if (m_db)
        sqlite3_close_v2(m_db);
    m_db = nullptr;
}

int SqliteDb::exec(const char *sql)
{
    return sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr);
}

Statement &SqliteDb::cached(const char *sql)
{
    std::unique_ptr<Statement> &slot = m_cache[sql];
    if (!slot || !slot->isValid()) // a statement that could not be prepared is tried again
        slot = std::make_unique<Statement>(*this, sql);
    return *slot;
}

std::optional<qint64> SqliteDb::scalar(const char *sql)
{
    Statement s(*this, sql);
    if (!s.isValid() || s.step() != SQLITE_ROW || s.isNull(0))
        return std::nullopt;
    return s.int64(0);
}

QString SqliteDb::errorMessage() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("not open");
}

Statement::Statement(SqliteDb &db, const char *sql)
{
    m_prepareCode = sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
    if (m_prepareCode != SQLITE_OK) {
        sqlite3_finalize(m_stmt);
        m_stmt = nullptr;
    }
}

Statement::~Statement()
{
    sqlite3_finalize(m_stmt);
}

void Statement::bindNull(int i)
{
    sqlite3_bind_null(m_stmt, i + 1);
}

void Statement::bind(int i, qint64 v)
{
    sqlite3_bind_int64(m_stmt, i + 1, v);
}

void Statement::bind(int i, double v)
{
    sqlite3_bind_double(m_stmt, i + 1, v);
}

void Statement::bind(int i, const QString &v)
{
    const QByteArray utf8 = v.toUtf8();
    sqlite3_bind_text(m_stmt, i + 1, utf8.constData(), int(utf8.size()), SQLITE_TRANSIENT);
}

void Statement::bindBlob(int i, const QByteArray &v)
{
    sqlite3_bind_blob(m_stmt, i + 1, v.constData(), int(v.size()), SQLITE_TRANSIENT);
}

int Statement::step()
{
    return m_stmt ? sqlite3_step(m_stmt) : SQLITE_MISUSE;
}

int Statement::run()
{
    const int rc = step();
    reset();
    return rc;
}

void Statement::reset()
{
    if (!m_stmt)
        return;
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

int Statement::columnCount() const
{
    return sqlite3_column_count(m_stmt);
}

QString Statement::columnName(int c) const
{
    return QString::fromUtf8(sqlite3_column_name(m_stmt, c));
}

bool Statement::isNull(int c) const
{
    return sqlite3_column_type(m_stmt, c) == SQLITE_NULL;
}

int Statement::columnType(int c) const
{
    return sqlite3_column_type(m_stmt, c);
}

qint64 Statement::int64(int c) const
{
    return sqlite3_column_int64(m_stmt, c);
}

double Statement::real(int c) const
{
    return sqlite3_column_double(m_stmt, c);
}

QString Statement::text(int c) const
{
    const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(m_stmt, c));
    return p ? QString::fromUtf8(p, sqlite3_column_bytes(m_stmt, c)) : QString();
}

QByteArray Statement::blob(int c) const
{
    const void *p = sqlite3_column_blob(m_stmt, c);
    return p ? QByteArray(static_cast<const char *>(p), sqlite3_column_bytes(m_stmt, c)) : QByteArray();
}

std::optional<qint64> Statement::optInt(int c) const
{
    if (isNull(c))
        return std::nullopt;
    return int64(c);
}

std::optional<double> Statement::optReal(int c) const
{
    if (isNull(c))
        return std::nullopt;
    return real(c);
}

} // namespace poolscope::record
