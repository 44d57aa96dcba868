#include "targetlistmodel.h"

#include "core/fleetsummary.h"

#include <QColor>
#include <QDateTime>
#include <QRegularExpression>
#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscope::models {

TargetListModel::TargetListModel(QObject *parent) : QAbstractTableModel(parent) {}

int TargetListModel::addTarget(int id, const QString &label)
{
    if (const int existing = rowOf(id); existing >= 0)
        return existing;
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(Row{id, label, TargetKind::Unknown, TargetState::Connecting, {}});
    endInsertRows();
    return row;
}

void TargetListModel::removeTarget(int id)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
}

void TargetListModel::setLabel(int id, const QString &label)
{
    const int row = rowOf(id);
    if (row < 0 || m_rows[row].label == label)
        return;
    m_rows[row].label = label;
    rowChanged(row);
}

void TargetListModel::setKind(int id, TargetKind kind)
{
    const int row = rowOf(id);
    if (row < 0 || m_rows[row].kind == kind)
        return;
    m_rows[row].kind = kind;
    rowChanged(row);
}

void TargetListModel::setState(int id, TargetState state, const QString &error, int attempts,
                               qint64 nextRetryAtMs)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    const bool trouble = isTrouble(state);
    const QString keptError = trouble ? error : QString();
    const int keptAttempts = trouble ? attempts : 0;
    const qint64 keptRetry = trouble ? nextRetryAtMs : 0;
    Row &r = m_rows[row];
    if (r.state == state && r.error == keptError && r.attempts == keptAttempts &&
        r.nextRetryAtMs == keptRetry)
        return;
    r.state = state;
    r.error = keptError;
    r.attempts = keptAttempts;
    r.nextRetryAtMs = keptRetry;
    rowChanged(row);
}

void TargetListModel::setHint(int id, const QString &hint)
{
    const int row = rowOf(id);
    if (row < 0 || m_rows[row].hint == hint)
        return;
    m_rows[row].hint = hint;
    rowChanged(row);
}

void TargetListModel::setVia(int id, const QString &via, const QString &detail)
{
    const int row = rowOf(id);
    if (row < 0 || (m_rows[row].via == via && m_rows[row].viaDetail == detail))
        return;
    m_rows[row].via = via;
    m_rows[row].viaDetail = detail;
    rowChanged(row);
}

namespace {

// NaN (a gap) equal to NaN: the line drawn is the same.
bool sameHistory(const QList<double> &a, const QList<double> &b)
{
    return a.size() == b.size() && std::equal(a.cbegin(), a.cend(), b.cbegin(), [](double x, double y) {
               return x == y || (std::isnan(x) && std::isnan(y));
           });
}

} // namespace

void TargetListModel::setSample(int id, const TargetSnapshot &snapshot)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Row &r = m_rows[row];
    const double troubleBefore = trouble(r);
    const FleetFigures f = fleetFigures(snapshot); // all unknown for a failed sample
    const bool sameFigures = r.occupancy == f.occupancy && r.headroom == f.headroom &&
                             r.waiting == f.waiting && r.idleInTransaction == f.idleInTransaction &&
                             r.attention == f.attention;
    const QList<double> historyBefore = r.history;
    r.occupancy = f.occupancy;
    r.headroom = f.headroom;
    r.waiting = f.waiting;
    r.idleInTransaction = f.idleInTransaction;
    r.attention = f.attention;
    r.history.append(f.occupancy.value_or(std::numeric_limits<double>::quiet_NaN()));
    if (r.history.size() > HistoryLength)
        r.history.remove(0, r.history.size() - HistoryLength);
    // The figures' columns, when they or the history line changed (a quiet target's full history of equal
    // points does not); the target's own column (the dock's list, the fleet's worst-first order) only when
    // its rank moved: the list is not laid out again at every sample.
    if (!sameFigures || !sameHistory(historyBefore, r.history))
        Q_EMIT dataChanged(index(row, OccupancyColumn), index(row, ColumnCount - 1));
    if (trouble(r) != troubleBefore)
        Q_EMIT dataChanged(index(row, TargetColumn), index(row, TargetColumn));
}

QString TargetListModel::findingText(const QList<findings::Finding> &open)
{
    if (open.isEmpty())
        return {};
    const findings::Finding &worst = open.first();
    QString text = worst.rule + QStringLiteral(": ") + worst.summary;
    if (open.size() > 1)
        text += tr(" (+%n more)", nullptr, int(open.size()) - 1);
    return text;
}

void TargetListModel::setFindings(int id, const QList<findings::Finding> &open)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    Row &r = m_rows[row];
    const QString text = findingText(open);
    const std::optional<findings::Severity> worst =
        open.isEmpty() ? std::nullopt : std::optional(open.first().severity);
    if (r.findingAttention == text && r.worstFinding == worst)
        return;
    r.findingAttention = text;
    r.worstFinding = worst;
    rowChanged(row);
}

double TargetListModel::trouble(const Row &r)
{
    // Connection trouble outranks everything a live target can show; then queueing (someone is waiting
    // right now), then how full it is, then idle-in-transaction sessions holding connections.
    double score = 0;
    switch (r.state) {
    case TargetState::Failed:
        score = 5000;
        break;
    case TargetState::Stalled:
        score = 4000;
        break;
    case TargetState::Reconnecting:
        score = 3000;
        break;
    case TargetState::Connecting:
    case TargetState::Live:
        break;
    }
    if (r.headroom && *r.headroom <= 0)
        score += 1500;
    if (r.waiting && *r.waiting > 0)
        score += 1000 + std::min<qint64>(*r.waiting, 499);
    score += std::min(r.occupancy.value_or(0), 100.0) * 4;
    score += double(std::min<qint64>(r.idleInTransaction.value_or(0), 99));
    // A named failure mode ranks with the queue: a critical one above a full server, below a target that
    // does not answer.
    if (r.worstFinding) {
        switch (*r.worstFinding) {
        case findings::Severity::Critical:
            score += 2000;
            break;
        case findings::Severity::Warning:
            score += 1200;
            break;
        case findings::Severity::Info:
            score += 100;
            break;
        }
    }
    return score;
}

int TargetListModel::rowOf(int id) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id == id)
            return int(i);
    }
    return -1;
}

int TargetListModel::idAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].id : -1;
}

TargetState TargetListModel::stateOf(int id) const
{
    const int row = rowOf(id);
    return row < 0 ? TargetState::Connecting : m_rows[row].state;
}

QString TargetListModel::stateText(TargetState state)
{
    switch (state) {
    case TargetState::Connecting:
        return tr("connecting");
    case TargetState::Live:
        return tr("live");
    case TargetState::Stalled:
        return tr("stalled");
    case TargetState::Reconnecting:
        return tr("reconnecting");
    case TargetState::Failed:
        break;
    }
    return tr("failed");
}

QString TargetListModel::retryText(const Row &r) const
{
    if (!isTrouble(r.state) || r.nextRetryAtMs <= 0)
        return {};
    // Computed when shown: a tooltip asks again each time it opens.
    const qint64 inMs = std::max<qint64>(0, r.nextRetryAtMs - QDateTime::currentMSecsSinceEpoch());
    const QString when = inMs < 1000 ? tr("now") : tr("in %1 s").arg((inMs + 999) / 1000);
    if (r.attempts == 1)
        return tr("Next retry %1 (1 failed attempt so far)").arg(when);
    if (r.attempts > 1)
        return tr("Next retry %1 (%2 failed attempts so far)").arg(when).arg(r.attempts);
    return tr("Next retry %1").arg(when);
}

QString TargetListModel::kindText(TargetKind kind)
{
    switch (kind) {
    case TargetKind::Postgres:
        return tr("PostgreSQL");
    case TargetKind::PgBouncer:
        return tr("PgBouncer");
    case TargetKind::Pgpool:
        return tr("Pgpool-II");
    case TargetKind::Unknown:
        break;
    }
    return tr("unknown kind");
}

int TargetListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TargetListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TargetListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case TargetColumn:
            return tr("Target");
        case OccupancyColumn:
            return tr("Occupancy");
        case HeadroomColumn:
            return tr("Headroom");
        case WaitingColumn:
            return tr("Waiting");
        case IdleInTransactionColumn:
            return tr("Idle in txn");
        case AttentionColumn:
            return tr("Needs attention");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case OccupancyColumn:
            return tr("PostgreSQL: client connections / connections usable by non-superusers.\n"
                      "PgBouncer: the fullest pool's open server connections / its pool_size.\n"
                      "The line shows the last %1 samples; gaps are failed samples.")
                .arg(HistoryLength);
        case HeadroomColumn:
            return tr("PostgreSQL: connections non-superusers can still open.\n"
                      "PgBouncer: free server slots in the fullest pool.");
        case WaitingColumn:
            return tr("PostgreSQL: sessions waiting on a lock.\nPgBouncer: clients queued for a server "
                      "connection.");
        case IdleInTransactionColumn:
            return tr("PostgreSQL sessions idle in transaction (aborted included): each holds a connection, "
                      "its locks and the xmin horizon.");
        default:
            return {};
        }
    }
    return {};
}

QString TargetListModel::errorCause(const QString &error)
{
    // libpq says where before what: 'connection to server at "db1" (10.0.0.5), port 5432 failed: FATAL:
    // password authentication failed for user "app"'. The cell keeps the what (the tooltip has it all).
    static const QRegularExpression where(
        QStringLiteral("^connection to server (?:at|on socket) .*? failed: (?:FATAL: +)?"));
    QString cause = error.section(QLatin1Char('\n'), 0, 0);
    cause.remove(where);
    if (const int advice = cause.indexOf(QLatin1String(" Is the server running")); advice > 0)
        cause.truncate(advice);
    return cause.isEmpty() ? error : cause;
}

QVariant TargetListModel::cellText(const Row &r, int column) const
{
    const auto number = [](const std::optional<qint64> &v) -> QVariant {
        return v ? QVariant(QString::number(*v)) : QVariant(QStringLiteral("–"));
    };
    switch (column) {
    case OccupancyColumn:
        return r.occupancy ? QVariant(QStringLiteral("%1%").arg(qRound(*r.occupancy)))
                           : QVariant(QStringLiteral("–"));
    case HeadroomColumn:
        return number(r.headroom);
    case WaitingColumn:
        return number(r.waiting);
    case IdleInTransactionColumn:
        return number(r.idleInTransaction);
    case AttentionColumn:
        if (isTrouble(r.state))
            return r.error.isEmpty() ? stateText(r.state) : errorCause(r.error);
        return r.findingAttention.isEmpty() ? r.attention : r.findingAttention;
    default:
        return {};
    }
}

QVariant TargetListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[index.row()];
    if (index.column() != TargetColumn) {
        switch (role) {
        case Qt::DisplayRole:
        case Qt::AccessibleTextRole:
            return cellText(r, index.column());
        case Qt::ToolTipRole:
            if (index.column() != AttentionColumn)
                return {};
            if (isTrouble(r.state) && !r.error.isEmpty()) {
                // The whole error (the cell elides it in the middle), what to check, and when it is tried
                // again.
                QString tip = r.error;
                if (r.state != TargetState::Live && !r.hint.isEmpty())
                    tip += QLatin1Char('\n') + tr("What to check: %1").arg(r.hint);
                if (const QString retry = retryText(r); !retry.isEmpty())
                    tip += QLatin1Char('\n') + retry;
                return tip;
            }
            return cellText(r, AttentionColumn);
        case Qt::TextAlignmentRole:
            return index.column() == AttentionColumn ? QVariant()
                                                     : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
        case Qt::ForegroundRole:
            if ((index.column() == WaitingColumn && r.waiting.value_or(0) > 0) ||
                (index.column() == HeadroomColumn && r.headroom && *r.headroom <= 0) ||
                (index.column() == AttentionColumn &&
                 (isTrouble(r.state) || !r.attention.isEmpty() || !r.findingAttention.isEmpty())))
                return QColor(0xd6, 0x28, 0x39);
            return {};
        case SortRole:
            switch (index.column()) {
            case OccupancyColumn:
                return r.occupancy.value_or(-1);
            case HeadroomColumn: // least headroom first when sorted ascending; unknown last
                return r.headroom ? double(*r.headroom) : std::numeric_limits<double>::max();
            case WaitingColumn:
                return double(r.waiting.value_or(-1));
            case IdleInTransactionColumn:
                return double(r.idleInTransaction.value_or(-1));
            default:
                return trouble(r);
            }
        case HistoryRole:
            return QVariant::fromValue(r.history);
        case IdRole:
            return r.id;
        case TroubleRole:
            return trouble(r);
        default:
            return {};
        }
    }
    switch (role) {
    case Qt::DisplayRole:
        // Two lines in the dock: who, then what and how it is doing (and where it is read from).
        return QString(r.label + QLatin1Char('\n') + kindText(r.kind) + QStringLiteral(" · ") +
                       stateText(r.state) + (r.via.isEmpty() ? QString() : QStringLiteral(" · ") + r.via));
    case Qt::ToolTipRole: {
        QString tip =
            r.label + QLatin1Char('\n') + kindText(r.kind) + QStringLiteral(", ") + stateText(r.state);
        if (!r.viaDetail.isEmpty())
            tip += QLatin1Char('\n') + r.viaDetail;
        if (!r.error.isEmpty())
            tip += QLatin1Char('\n') + tr("Last error: %1").arg(r.error);
        if (!r.error.isEmpty() && !r.hint.isEmpty())
            tip += QLatin1Char('\n') + tr("What to check: %1").arg(r.hint);
        if (const QString retry = retryText(r); !retry.isEmpty())
            tip += QLatin1Char('\n') + retry;
        return tip;
    }
    case Qt::DecorationRole:
        // Same hues as the session states: live green, connecting amber, failed red; stalled (no reply, the
        // server may be hung) deep orange, between amber and red; reconnecting yellow (trying again).
        switch (r.state) {
        case TargetState::Live:
            return QColor(0x2e, 0x9e, 0x4f);
        case TargetState::Connecting:
            return QColor(0xf5, 0x9e, 0x0b);
        case TargetState::Stalled:
            return QColor(0xe8, 0x59, 0x0c);
        case TargetState::Reconnecting:
            return QColor(0xea, 0xc5, 0x08);
        case TargetState::Failed:
            return QColor(0xd6, 0x28, 0x39);
        }
        return {};
    case Qt::AccessibleTextRole:
        return QString(r.label + QStringLiteral(", ") + kindText(r.kind) + QStringLiteral(", ") +
                       stateText(r.state) + (r.via.isEmpty() ? QString() : QStringLiteral(", ") + r.via));
    case ViaRole:
        return r.via;
    case IdRole:
        return r.id;
    case LabelRole:
        return r.label;
    case KindRole:
        return int(r.kind);
    case StateRole:
        return int(r.state);
    case ErrorRole:
        return r.error;
    case AttemptRole:
        return r.attempts;
    case NextRetryAtRole:
        return r.nextRetryAtMs;
    case TroubleRole:
    case SortRole:
        return trouble(r);
    case HistoryRole:
        return QVariant::fromValue(r.history);
    default:
        return {};
    }
}

QHash<int, QByteArray> TargetListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(IdRole, "targetId");
    names.insert(LabelRole, "label");
    names.insert(KindRole, "kind");
    names.insert(StateRole, "state");
    names.insert(ErrorRole, "error");
    names.insert(AttemptRole, "attempts");
    names.insert(NextRetryAtRole, "nextRetryAt");
    names.insert(TroubleRole, "trouble");
    names.insert(HistoryRole, "history");
    names.insert(SortRole, "sortValue");
    names.insert(ViaRole, "via");
    return names;
}

void TargetListModel::rowChanged(int row)
{
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

} // namespace poolscope::models
