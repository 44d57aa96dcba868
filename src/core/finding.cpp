#include "finding.h"

#include <QDateTime>
#include <QJsonArray>
#include <tuple>

namespace poolscope::findings {

const QStringList &rule::all()
{
    static const QStringList rules{
        IdleInTransactionLeak, AppPoolCeiling, PoolerSaturation, ServerConnectionCeiling, DeadConnections,
        ConnectionChurn,       LockPileup,     LongTransaction,  PoolerDbMismatch};
    return rules;
}

bool opensPlanner(const QString &ruleId)
{
    return ruleId == rule::AppPoolCeiling || ruleId == rule::PoolerSaturation ||
           ruleId == rule::ServerConnectionCeiling;
}

QString severityName(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return QStringLiteral("info");
    case Severity::Warning:
        return QStringLiteral("warning");
    case Severity::Critical:
        break;
    }
    return QStringLiteral("critical");
}

std::optional<Severity> severityFromName(const QString &name)
{
    for (Severity s : {Severity::Info, Severity::Warning, Severity::Critical}) {
        if (severityName(s) == name)
            return s;
    }
    return std::nullopt;
}

QString layerName(Layer layer)
{
    switch (layer) {
    case Layer::App:
        return QStringLiteral("app");
    case Layer::Pooler:
        return QStringLiteral("pooler");
    case Layer::Postgres:
        break;
    }
    return QStringLiteral("postgres");
}

QString statusText(Status status)
{
    switch (status) {
    case Status::Active:
        return QStringLiteral("active");
    case Status::ActionTaken:
        return QStringLiteral("action taken, watching");
    case Status::Recovered:
        return QStringLiteral("recovered");
    case Status::StillPresent:
        return QStringLiteral("still present");
    case Status::Resolved:
        break;
    }
    return QStringLiteral("resolved");
}

QString statusName(Status status)
{
    switch (status) {
    case Status::Active:
        return QStringLiteral("active");
    case Status::ActionTaken:
        return QStringLiteral("action-taken");
    case Status::Recovered:
        return QStringLiteral("recovered");
    case Status::StillPresent:
        return QStringLiteral("still-present");
    case Status::Resolved:
        break;
    }
    return QStringLiteral("resolved");
}

void Evidence::insert(const char *key, const QJsonValue &value)
{
    for (auto &item : m_items) {
        if (qstrcmp(item.first, key) == 0) {
            item.second = value;
            return;
        }
    }
    m_items.append({key, value});
}

QJsonValue Evidence::value(const char *key) const
{
    for (const auto &item : m_items) {
        if (qstrcmp(item.first, key) == 0)
            return item.second;
    }
    return QJsonValue(QJsonValue::Undefined);
}

QJsonObject Evidence::toJson() const
{
    QJsonObject o;
    for (const auto &item : m_items)
        o.insert(QLatin1String(item.first), item.second);
    return o;
}

bool Evidence::operator==(const Evidence &other) const
{
    if (m_items.size() != other.m_items.size())
        return false;
    for (qsizetype i = 0; i < m_items.size(); ++i) {
        if (qstrcmp(m_items[i].first, other.m_items[i].first) != 0 ||
            m_items[i].second != other.m_items[i].second)
            return false;
    }
    return true;
}

QString Finding::key() const
{
    return rule + QLatin1Char('|') + QString::number(targetId) + QLatin1Char('|') + subject;
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

QJsonObject toJson(const Finding &f)
{
    QJsonObject o;
    o.insert(QStringLiteral("rule"), f.rule);
    o.insert(QStringLiteral("target"), f.target);
    o.insert(QStringLiteral("targets"), QJsonArray::fromStringList(f.targets));
    o.insert(QStringLiteral("subject"), f.subject);
    o.insert(QStringLiteral("layer"), layerName(f.layer));
    o.insert(QStringLiteral("severity"), severityName(f.severity));
    o.insert(QStringLiteral("status"), statusName(f.status));
    o.insert(QStringLiteral("since"), isoTime(f.sinceMs));
    o.insert(QStringLiteral("raised_at"), isoTime(f.raisedAtMs));
    o.insert(QStringLiteral("last_seen"), isoTime(f.lastSeenMs));
    o.insert(QStringLiteral("ended_at"), f.endedAtMs ? QJsonValue(isoTime(*f.endedAtMs)) : QJsonValue());
    o.insert(QStringLiteral("summary"), f.summary);
    o.insert(QStringLiteral("advice"), QJsonArray::fromStringList(f.advice));
    o.insert(QStringLiteral("evidence"), f.evidence.toJson());
    QJsonArray pids;
    for (qint64 pid : f.pids)
        pids.append(double(pid));
    o.insert(QStringLiteral("pids"), pids);
    o.insert(QStringLiteral("pools"), QJsonArray::fromStringList(f.pools));
    if (f.action.isNone()) {
        o.insert(QStringLiteral("action"), QJsonValue());
    } else {
        QJsonObject a;
        a.insert(QStringLiteral("kind"), f.action.kind == Action::Kind::Terminate
                                             ? QStringLiteral("terminate")
                                             : QStringLiteral("reconnect"));
        a.insert(QStringLiteral("label"), f.action.label);
        if (f.action.kind == Action::Kind::Terminate) {
            QJsonArray apids;
            for (qint64 pid : f.action.pids)
                apids.append(double(pid));
            a.insert(QStringLiteral("pids"), apids);
        } else {
            a.insert(QStringLiteral("database"), f.action.argument);
        }
        o.insert(QStringLiteral("action"), a);
    }
    if (f.actionAtMs) {
        o.insert(QStringLiteral("action_at"), isoTime(*f.actionAtMs));
        o.insert(QStringLiteral("action_taken"), f.actionTaken);
    }
    return o;
}

bool worseFirst(const Finding &a, const Finding &b)
{
    // Ended findings last, the most recent first.
    const qint64 ka = a.isOpen() ? a.sinceMs : -*a.endedAtMs;
    const qint64 kb = b.isOpen() ? b.sinceMs : -*b.endedAtMs;
    return std::make_tuple(a.isOpen() ? 0 : 1, -int(a.severity), ka, a.id) <
           std::make_tuple(b.isOpen() ? 0 : 1, -int(b.severity), kb, b.id);
}

} // namespace poolscope::findings
