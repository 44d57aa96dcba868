#include "samplequeries.h"

#include "core/logging.h"

namespace poolscope::db {

QString secondsText(int ms)
{
    return ms % 1000 == 0 ? QString::number(ms / 1000) : QString::number(ms / 1000.0, 'f', 1);
}

QString firstCell(const ResultTable &table, int column)
{
    if (column < 0 || column >= table.columns.size() || table.rowCount() == 0)
        return {};
    return RowReader(table, 0).string(column);
}

void SampleQueries::begin(int deadlineMs, int cancelGraceMs)
{
    m_deadlineMs = deadlineMs;
    m_cancelGraceMs = cancelGraceMs;
    m_deadline.setRemainingTime(deadlineMs);
    m_cancelSent = false;
    m_abandoned = false;
    m_closing = false;
}

QString SampleQueries::noReplyText() const
{
    return QStringLiteral("no reply for %1 s; query cancelled").arg(secondsText(m_deadlineMs));
}

PgResult SampleQueries::run(const QByteArray &sql, const char *param, DbError *error)
{
    PgResult r = m_conn.run(sql, param, m_deadline, m_cancelGraceMs, error);
    const AsyncConnection::RunEnd &end = m_conn.lastRun();
    m_cancelSent = m_cancelSent || end.cancelSent;
    m_abandoned = m_abandoned || end.abandoned;
    auto log = logging::get("sampler");
    if (end.deadlinePassed && !end.abandoned)
        log->info("{}: no reply for {} s, cancelled the query", m_target.toStdString(),
                  secondsText(m_deadlineMs).toStdString());
    if (r)
        return r;
    m_closing = m_closing || end.closing;
    m_lastErrorFatal = end.fatal;
    if (end.abandoned) {
        log->warn("{}: no reply for {} s and none to the cancel within {} s; dropped the connection",
                  m_target.toStdString(), secondsText(m_deadlineMs).toStdString(),
                  secondsText(m_cancelGraceMs).toStdString());
        error->message = noReplyText() + QStringLiteral(", no answer to the cancel within %1 s: "
                                                        "connection dropped")
                                             .arg(secondsText(m_cancelGraceMs));
    } else if (m_cancelSent && error->sqlState == QLatin1String("57014")) {
        error->message = noReplyText();
    }
    return nullptr;
}

std::vector<PgResult> SampleQueries::runAll(const QByteArray &sql, DbError *error)
{
    PgResult last = run(sql, nullptr, error);
    if (!last)
        return {};
    std::vector<PgResult> all = m_conn.takeEarlierResults();
    all.push_back(std::move(last));
    return all;
}

PgResult SampleQueries::runOptional(const QByteArray &sql, bool *refused, DbError *error)
{
    *refused = false;
    PgResult r = run(sql, nullptr, error);
    if (r)
        return r;
    // Console errors are 08P01 whatever they mean, which run() takes for a dying connection; an ERROR after
    // which the connection still answers is a refusal of this one command.
    if (!m_lastErrorFatal && m_conn.isConnected() && !m_abandoned && !m_conn.lastRun().interrupted &&
        !m_cancelSent && error->sqlState != QLatin1String("57014")) {
        m_closing = false;
        *refused = true;
    }
    return nullptr;
}

} // namespace poolscope::db
