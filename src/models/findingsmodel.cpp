#include "findingsmodel.h"

#include "core/fleetsummary.h"

#include <QDateTime>
#include <QFont>
#include <cmath>

namespace poolscope::models {

using findings::Finding;
using findings::Severity;
using findings::Status;

namespace {

const QColor EndedText(0x80, 0x80, 0x80);

// "30 s", "2 min 5 s": whole seconds read better in a table that changes every second.
QString seconds(double s)
{
    return s < 60 ? FindingsModel::tr("%1 s").arg(std::floor(std::max(0.0, s)), 0, 'f', 0)
                  : ageText(std::floor(s));
}

} // namespace

bool FindingsModel::Row::operator==(const Row &o) const
{
    const Finding &a = finding;
    const Finding &b = o.finding;
    return rank == o.rank && status == o.status && a.id == b.id && a.severity == b.severity &&
           a.status == b.status && a.endedAtMs == b.endedAtMs && a.sinceMs == b.sinceMs &&
           a.actionAtMs == b.actionAtMs && a.summary == b.summary && a.advice == b.advice &&
           a.evidence == b.evidence && a.target == b.target && a.targets == b.targets &&
           a.action == b.action && a.pids == b.pids && a.pools == b.pools;
}

FindingsModel::FindingsModel(QObject *parent) : KeyedRowsModel(parent) {}

QString FindingsModel::clockTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

QString FindingsModel::statusWords(const Finding &f, double actionWatchS)
{
    switch (f.status) {
    case Status::Active:
        return tr("active");
    case Status::ActionTaken:
        return tr("action taken, watching");
    case Status::Recovered:
        return tr("recovered at %1").arg(clockTime(f.endedAtMs.value_or(f.lastSeenMs)));
    case Status::StillPresent:
        return tr("still present after %1").arg(seconds(actionWatchS));
    case Status::Resolved:
        break;
    }
    return tr("resolved at %1").arg(clockTime(f.endedAtMs.value_or(f.lastSeenMs)));
}

QString FindingsModel::sinceWords(const Finding &f, qint64 nowMs)
{
    const double ageS = std::max<qint64>(0, nowMs - f.sinceMs) / 1000.0;
    return tr("%1 (%2 ago)").arg(clockTime(f.sinceMs), seconds(ageS));
}

QString FindingsModel::ruleMeaning(const QString &rule)
{
    namespace r = findings::rule;
    if (rule == r::IdleInTransactionLeak)
        return tr("Sessions went back to the pool (or were abandoned) with a transaction open.");
    if (rule == r::AppPoolCeiling)
        return tr("The queue is inside the application: its pool is full and every session is busy.");
    if (rule == r::PoolerSaturation)
        return tr("A pooler pool is full and clients queue for a server connection, or are refused.");
    if (rule == r::ServerConnectionCeiling)
        return tr("PostgreSQL's usable connection slots are (nearly) used up.");
    if (rule == r::DeadConnections)
        return tr("Pooled connections were killed or died; clients will see \"server closed the "
                  "connection unexpectedly\".");
    if (rule == r::ConnectionChurn)
        return tr("A new connection per request: many logins, young backends.");
    if (rule == r::LockPileup)
        return tr("Sessions wait behind a root blocker.");
    if (rule == r::LongTransaction)
        return tr("A transaction holds the xmin horizon back.");
    if (rule == r::PoolerDbMismatch)
        return tr("The pooler says busy while PostgreSQL says idle: servers held by idle clients.");
    return {};
}

QString FindingsModel::severityCount(Severity severity, int n)
{
    if (severity == Severity::Warning)
        return n == 1 ? tr("1 warning") : tr("%1 warnings").arg(n);
    return QStringLiteral("%1 %2").arg(n).arg(findings::severityName(severity));
}

QColor FindingsModel::severityColor(Severity severity)
{
    switch (severity) {
    case Severity::Critical:
        return QColor(0xd6, 0x28, 0x39);
    case Severity::Warning:
        return QColor(0xe0, 0x8a, 0x00);
    case Severity::Info:
        break;
    }
    return QColor(0x2b, 0x6c, 0xb0);
}

void FindingsModel::setFindings(const QList<Finding> &list, qint64 nowMs, double actionWatchS)
{
    m_nowMs = nowMs;
    QList<Row> next;
    next.reserve(list.size());
    for (qsizetype i = 0; i < list.size(); ++i)
        next.append(Row{list.at(i), int(i), statusWords(list.at(i), actionWatchS)});
    mergeRows(m_rows, next, [](const Row &r) { return QString::number(r.finding.id); });
    setNow(nowMs);
}

void FindingsModel::setNow(qint64 nowMs)
{
    m_nowMs = nowMs;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, SinceColumn), index(int(m_rows.size()) - 1, SinceColumn),
                           {Qt::DisplayRole, Qt::AccessibleTextRole});
}

const Finding *FindingsModel::findingAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? &m_rows.at(row).finding : nullptr;
}

int FindingsModel::rowOf(quint64 findingId) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows.at(i).finding.id == findingId)
            return int(i);
    }
    return -1;
}

int FindingsModel::openCount() const
{
    return int(
        std::count_if(m_rows.cbegin(), m_rows.cend(), [](const Row &r) { return r.finding.isOpen(); }));
}

int FindingsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int FindingsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SeverityColumn:
        return tr("Severity");
    case RuleColumn:
        return tr("Rule");
    case TargetColumn:
        return tr("Target");
    case SinceColumn:
        return tr("Since");
    case StatusColumn:
        return tr("Status");
    case SummaryColumn:
        return tr("What is happening");
    default:
        return {};
    }
}

QString FindingsModel::text(const Row &r, int column) const
{
    const Finding &f = r.finding;
    switch (column) {
    case SeverityColumn:
        return findings::severityName(f.severity);
    case RuleColumn:
        return f.rule;
    case TargetColumn:
        return f.target;
    case SinceColumn:
        return sinceWords(f, m_nowMs);
    case StatusColumn:
        return r.status;
    case SummaryColumn:
        return f.summary;
    default:
        return {};
    }
}

QVariant FindingsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows.at(index.row());
    const Finding &f = r.finding;
    switch (role) {
    case Qt::DisplayRole:
        return text(r, index.column());
    case Qt::AccessibleTextRole:
        return index.column() == SeverityColumn ? tr("%1, %2").arg(findings::severityName(f.severity), f.rule)
                                                : text(r, index.column());
    case Qt::ToolTipRole:
        switch (index.column()) {
        case RuleColumn:
            return ruleMeaning(f.rule);
        case TargetColumn:
            return f.targets.join(QStringLiteral("\n"));
        case StatusColumn:
            return f.actionTaken.isEmpty() ? QVariant() : QVariant(tr("Action: %1").arg(f.actionTaken));
        case SummaryColumn:
            return f.summary;
        default:
            return {};
        }
    case Qt::DecorationRole:
        if (index.column() == SeverityColumn)
            return f.isOpen() ? severityColor(f.severity) : EndedText;
        return {};
    case Qt::ForegroundRole:
        // Ended findings stay listed, greyed, below the open ones.
        if (!f.isOpen())
            return EndedText;
        if (index.column() == SeverityColumn && f.severity == Severity::Critical)
            return severityColor(f.severity);
        return {};
    case Qt::FontRole:
        if (index.column() == SeverityColumn && f.isOpen() && f.severity == Severity::Critical) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case FindingIdRole:
        return QVariant::fromValue(f.id);
    case SeverityRole:
        return int(f.severity);
    case OpenRole:
        return f.isOpen();
    case RankRole:
        return r.rank;
    default:
        return {};
    }
}

} // namespace poolscope::models
