#pragma once

#include "core/dberror.h"
#include "core/resulttable.h"
#include "db/asyncconnection.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QString>

namespace poolscope::db {

/// The sampler's connection as its sampling sources (PostgreSQL, PgBouncer console, Pgpool-II) see it: one
/// query at a time, every query of one sample under the sample's deadline, errors worded for the sampler
/// ("no reply for 3 s; query cancelled"). It remembers, for the sample in progress, whether a cancel went
/// out, whether the connection was given up and whether the server is closing it: Sampler turns that into
/// the poll's outcome.
class SampleQueries
{
public:
    explicit SampleQueries(AsyncConnection &connection) : m_conn(connection) {}

    /// A new sample: its deadline starts now.
    void begin(int deadlineMs, int cancelGraceMs);
    /// After connecting: the queries' deadline starts now.
    void restartDeadline() { m_deadline.setRemainingTime(m_deadlineMs); }
    /// For the logs: the target as the sampler names it.
    void setTarget(const QString &target) { m_target = target; }

    /// One query; `param` (may be null) is bound as $1 (extended protocol, PostgreSQL only).
    PgResult run(const QByteArray &sql, const char *param, DbError *error);
    /// Several statements in one string (simple protocol, one round trip, one transaction on PostgreSQL):
    /// every statement's result in order, or none with `error`.
    std::vector<PgResult> runAll(const QByteArray &sql, DbError *error);
    /// A console command the pooler may refuse (older version, another flavor, a stats user): an ERROR that
    /// leaves the connection usable returns null with *refused set, and does not fail the sample.
    PgResult runOptional(const QByteArray &sql, bool *refused, DbError *error);

    PGconn *handle() const { return m_conn.handle(); }
    bool cancelSent() const { return m_cancelSent; }
    bool abandoned() const { return m_abandoned; }
    /// The server sent FATAL (or an 08/57P error): the connection is about to close.
    bool closing() const { return m_closing; }
    QString noReplyText() const;

private:
    AsyncConnection &m_conn;
    QString m_target;
    int m_deadlineMs = 3000;
    int m_cancelGraceMs = 1500;
    QDeadlineTimer m_deadline;
    bool m_cancelSent = false;
    bool m_abandoned = false;
    bool m_closing = false;
    bool m_lastErrorFatal = false; // the last failed run() got FATAL/PANIC or lost the connection
};

/// "3", "0.5": seconds for messages, from milliseconds.
QString secondsText(int ms);
/// The first row's cell of a one-value answer (SHOW VERSION, SHOW POOL_VERSION); empty when there is none.
QString firstCell(const ResultTable &table, int column);

} // namespace poolscope::db
