#include "targetlistmodel.h"

#include <QColor>

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

void TargetListModel::setState(int id, State state, const QString &error)
{
    const int row = rowOf(id);
    if (row < 0)
        return;
    const QString kept = state == State::Failed ? error : QString();
    if (m_rows[row].state == state && m_rows[row].error == kept)
        return;
    m_rows[row].state = state;
    m_rows[row].error = kept;
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
    case State::Failed:
        break;
    }
    return tr("failed");
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
        return tip;
    }
    case Qt::DecorationRole:
        // Same hues as the session states: live green, connecting amber, failed red.
        switch (r.state) {
        case State::Live:
            return QColor(0x2e, 0x9e, 0x4f);
        case State::Connecting:
            return QColor(0xf5, 0x9e, 0x0b);
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
    return names;
}

void TargetListModel::rowChanged(int row)
{
    const QModelIndex i = index(row, 0);
    Q_EMIT dataChanged(i, i);
}

} // namespace poolscope::models
