#pragma once

#include <QString>

namespace poolscope {

/// Why talking to a target failed, classified for the GUI, the CLI's exit codes and the retry policy.
enum class ErrorKind
{
    None,
    BadConnInfo, // libpq could not parse the connection string
    Connect,     // refused, unknown host, not PostgreSQL, timeout
    Auth,        // password or role rejected
    Query,       // a sampling query failed
    Unsupported, // connected, but to something we cannot sample
};

struct DbError
{
    ErrorKind kind = ErrorKind::None;
    QString sqlState;
    QString message;
    QString hint;               // what to check, for people (may be empty)
    bool needsPassword = false; // libpq wants a password it was not given: the GUI may prompt

    bool isError() const { return kind != ErrorKind::None; }
};

} // namespace poolscope
