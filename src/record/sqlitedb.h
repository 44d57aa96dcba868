#pragma once

#include <QByteArray>
#include <QString>
#include <memory>
#include <optional>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace poolscope::record {

class Statement;

/// A SQLite connection (RAII). Errors are returned as SQLite result codes; errorMessage() says why.
class SqliteDb
{
public:
    SqliteDb() = default;
    ~SqliteDb();
    SqliteDb(const SqliteDb &) = delete;
    SqliteDb &operator=(const SqliteDb &) = delete;

    /// Opens read-write (creating the file) or read-only. False with `error` set on failure.
    bool open(const QString &path, bool readOnly, QString *error);
    void close();
    bool isOpen() const { return m_db != nullptr; }
    sqlite3 *handle() const { return m_db; }

    /// Runs one or more statements without results; returns the SQLite result code (0 = SQLITE_OK).
    int exec(const char *sql);
    /// `sql` (one statement; a string that lives as long as this connection, keyed by its address)
    /// prepared once and kept: what is written for every sample is not parsed again each time (a third
    /// of the recorder's CPU). Reset after each run(); finalized by close().
    Statement &cached(const char *sql);
    /// The first column of the first row of `sql` as an integer (nullopt on error or no row).
    std::optional<qint64> scalar(const char *sql);
    QString errorMessage() const;

private:
    sqlite3 *m_db = nullptr;
    std::unordered_map<const char *, std::unique_ptr<Statement>> m_cache;
};

/// A prepared statement, reset on each bind round. Columns and parameters are 0-based here (parameters are
/// 1-based in SQLite; bind() adds 1).
class Statement
{
public:
    Statement(SqliteDb &db, const char *sql);
    ~Statement();
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;

    bool isValid() const { return m_stmt != nullptr; }
    int prepareCode() const { return m_prepareCode; }

    void bindNull(int i);
    void bind(int i, qint64 v);
    void bind(int i, int v) { bind(i, qint64(v)); }
    void bind(int i, double v);
    void bind(int i, const QString &v);
    void bindBlob(int i, const QByteArray &v);
    template <typename T> void bind(int i, const std::optional<T> &v)
    {
        if (v)
            bind(i, *v);
        else
            bindNull(i);
    }
    void bind(int i, const std::optional<quint64> &v)
    {
        if (v)
            bind(i, qint64(*v));
        else
            bindNull(i);
    }

    /// SQLITE_ROW (100), SQLITE_DONE (101) or an error code.
    int step();
    /// Steps a statement without results and resets it; returns the result code (SQLITE_DONE on success).
    int run();
    void reset();

    int columnCount() const;
    QString columnName(int c) const;
    bool isNull(int c) const;
    /// SQLITE_INTEGER 1, SQLITE_FLOAT 2, SQLITE_TEXT 3, SQLITE_BLOB 4, SQLITE_NULL 5.
    int columnType(int c) const;
    qint64 int64(int c) const;
    double real(int c) const;
    QString text(int c) const;
    QByteArray blob(int c) const;
    std::optional<qint64> optInt(int c) const;
    std::optional<double> optReal(int c) const;

private:
    sqlite3_stmt *m_stmt = nullptr;
    int m_prepareCode = 0;
};

} // namespace poolscope::record
