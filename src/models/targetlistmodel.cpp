#include "targetlistmodel.h"

#include <QColor>
#include <QDateTime>
#include <algorithm>

namespace poolscope::models {

TargetListModel::TargetListModel(QObject *parent) : QAbstractListModel(parent) {}

int TargetListModel::addTarget(int id, const QString &label)
{
    if (const int existing = rowOf(id); existing >= 0)
        return existing;
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(Row{id, label, TargetKind::Unknown, State::Connecting, {}});
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

void TargetListModel::setState(int id, State state, const QString &error, int attempts, qint64 nextRetryAtMs)
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

TargetListModel::State TargetListModel::stateOf(int id) const
{
    const int row = rowOf(id);
    return row < 0 ? State::Connecting : m_rows[row].state;
}

QString TargetListModel::stateText(State state)
{
    switch (state) {
    case State::Connecting:
        return tr("connecting");
    case State::Live:
        return tr("live");
    case State::Stalled:
        return tr("stalled");
    case State::Reconnecting:
        return tr("reconnecting");
    case State::Failed:
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
    case TargetKind::Unknown:
        break;
    }
    return tr("unknown kind");
}

int TargetListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant TargetListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        // Two lines in the dock: who, then what and how it is doing.
        return QString(r.label + QLatin1Char('\n') + kindText(r.kind) + QStringLiteral(" · ") +
                       stateText(r.state));
    case Qt::ToolTipRole: {
        QString tip =
            r.label + QLatin1Char('\n') + kindText(r.kind) + QStringLiteral(", ") + stateText(r.state);
        if (!r.error.isEmpty())
            tip += QLatin1Char('\n') + tr("Last error: %1").arg(r.error);
        if (const QString retry = retryText(r); !retry.isEmpty())
            tip += QLatin1Char('\n') + retry;
        return tip;
    }
    case Qt::DecorationRole:
        // Same hues as the session states: live green, connecting amber, failed red; stalled (no reply, the
        // server may be hung) deep orange, between amber and red; reconnecting yellow (trying again).
        switch (r.state) {
        case State::Live:
            return QColor(0x2e, 0x9e, 0x4f);
        case State::Connecting:
            return QColor(0xf5, 0x9e, 0x0b);
        case State::Stalled:
            return QColor(0xe8, 0x59, 0x0c);
        case State::Reconnecting:
            return QColor(0xea, 0xc5, 0x08);
        case State::Failed:
            return QColor(0xd6, 0x28, 0x39);
        }
        return {};
    case Qt::AccessibleTextRole:
        return QString(r.label + QStringLiteral(", ") + kindText(r.kind) + QStringLiteral(", ") +
                       stateText(r.state));
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
    default:
        return {};
    }
}

QHash<int, QByteArray> TargetListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(IdRole, "targetId");
    names.insert(LabelRole, "label");
    names.insert(KindRole, "kind");
    names.insert(StateRole, "state");
    names.insert(ErrorRole, "error");
    names.insert(AttemptRole, "attempts");
    names.insert(NextRetryAtRole, "nextRetryAt");
    return names;
}

void TargetListModel::rowChanged(int row)
{
    const QModelIndex i = index(row, 0);
    Q_EMIT dataChanged(i, i);
}

} // namespace poolscope::models
