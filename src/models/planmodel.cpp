#include "planmodel.h"

#include <cmath>

namespace poolscope::models {

namespace {

bool wholeAtLeast(const QVariant &v, int min, int *out)
{
    bool ok = false;
    const double d = v.toDouble(&ok);
    if (!ok || d != std::floor(d) || d < min || d > 10'000'000)
        return false;
    *out = int(d);
    return true;
}

} // namespace

PlanModel::PlanModel(Rows rows, QObject *parent) : QAbstractTableModel(parent), m_rows(rows) {}

void PlanModel::setPlan(plan::Plan *plan)
{
    beginResetModel();
    m_plan = plan;
    endResetModel();
}

void PlanModel::refresh()
{
    // Rows come and go only through setPlan(); a what-if slider changes values.
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

int PlanModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_plan)
        return 0;
    return int(m_rows == Rows::Apps ? m_plan->apps.size() : m_plan->poolers.size());
}

int PlanModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return m_rows == Rows::Apps ? AppColumnCount : PoolerColumnCount;
}

QVariant PlanModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    if (m_rows == Rows::Apps) {
        // Short headers: the tooltips say what each is.
        static const QStringList names{tr("Application"), tr("Inst."), tr("Procs"), tr("Pool"),
                                       tr("Overflow"),    tr("Via"),   tr("Req/s"), tr("Hold ms")};
        static const QStringList tips{
            tr("application_name"),
            tr("Instances (pods, VMs) of the application"),
            tr("Processes per instance, each with its own pool"),
            tr("Each process's pool_size (SQLAlchemy pool_size, psycopg_pool max_size, psycopg2 maxconn)"),
            tr("SQLAlchemy max_overflow: connections opened above the pool size when it is busy"),
            tr("The pooler it connects through, or postgres (direct)"),
            tr("Requests per second over all instances (blank: no queueing estimate)"),
            tr("How long a request holds its connection, on average")};
        return role == Qt::DisplayRole ? names.value(section) : tips.value(section);
    }
    static const QStringList names{tr("Pooler"),  tr("Inst."),       tr("Mode"),      tr("Pool"),
                                   tr("Reserve"), tr("Max clients"), tr("Max per db")};
    static const QStringList tips{tr("The pooler's name in the plan"),
                                  tr("PgBouncer processes or pods, each with its own pools"),
                                  tr("pool_mode: session pins a server per client; transaction shares them"),
                                  tr("default_pool_size: server connections per database/user pair"),
                                  tr("reserve_pool_size: extra connections after reserve_pool_timeout"),
                                  tr("max_client_conn per instance"),
                                  tr("max_db_connections per instance (0: unlimited)")};
    return role == Qt::DisplayRole ? names.value(section) : tips.value(section);
}

QVariant PlanModel::data(const QModelIndex &index, int role) const
{
    if (!m_plan || !index.isValid() || index.row() >= rowCount())
        return {};
    if (role == Qt::TextAlignmentRole)
        return index.column() == 0 ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    if (m_rows == Rows::Apps) {
        const plan::AppSpec &a = m_plan->apps.at(index.row());
        switch (index.column()) {
        case AppName:
            return a.name;
        case AppInstances:
            return a.instances;
        case AppProcesses:
            return a.processes;
        case AppPoolSize:
            return a.poolSize;
        case AppMaxOverflow:
            return a.maxOverflow;
        case AppVia:
            return a.via;
        case AppRate:
            return a.traffic ? QVariant(a.traffic->arrivalRatePerS) : QVariant(QString());
        case AppHoldMs:
            return a.traffic ? QVariant(a.traffic->meanHoldMs) : QVariant(QString());
        default:
            return {};
        }
    }
    const plan::PoolerSpec &p = m_plan->poolers.at(index.row());
    switch (index.column()) {
    case PoolerName:
        return p.name;
    case PoolerInstances:
        return p.instances;
    case PoolerMode:
        return p.poolMode;
    case PoolerDefaultPoolSize:
        return p.defaultPoolSize;
    case PoolerReserve:
        return p.reservePoolSize;
    case PoolerMaxClientConn:
        return p.maxClientConn;
    case PoolerMaxDbConnections:
        return p.maxDbConnections;
    default:
        return {};
    }
}

Qt::ItemFlags PlanModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (!index.isValid())
        return f;
    // Names and links stay as the plan says (a file edit renames); numbers and modes are the what-ifs.
    const bool fixed = index.column() == 0 || (m_rows == Rows::Apps && index.column() == AppVia);
    return fixed ? f : f | Qt::ItemIsEditable;
}

bool PlanModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!m_plan || role != Qt::EditRole || !index.isValid() || !(flags(index) & Qt::ItemIsEditable))
        return false;
    int n = 0;
    bool ok = true;
    if (m_rows == Rows::Apps) {
        plan::AppSpec &a = m_plan->apps[index.row()];
        switch (index.column()) {
        case AppInstances:
            ok = wholeAtLeast(value, 0, &a.instances);
            break;
        case AppProcesses:
            ok = wholeAtLeast(value, 1, &a.processes);
            break;
        case AppPoolSize:
            ok = wholeAtLeast(value, 1, &a.poolSize);
            break;
        case AppMaxOverflow:
            ok = wholeAtLeast(value, 0, &a.maxOverflow);
            break;
        case AppRate:
        case AppHoldMs: {
            const QString text = value.toString().trimmed();
            if (text.isEmpty()) {
                a.traffic.reset(); // no traffic: no queueing estimate
                break;
            }
            const double d = text.toDouble(&ok);
            ok = ok && std::isfinite(d) && d >= 0 && (index.column() == AppRate || d > 0);
            if (!ok)
                break;
            plan::Traffic t = a.traffic.value_or(plan::Traffic{0, 20});
            (index.column() == AppRate ? t.arrivalRatePerS : t.meanHoldMs) = d;
            a.traffic = t;
            break;
        }
        default:
            ok = false;
        }
    } else {
        plan::PoolerSpec &p = m_plan->poolers[index.row()];
        switch (index.column()) {
        case PoolerInstances:
            ok = wholeAtLeast(value, 1, &p.instances);
            break;
        case PoolerMode: {
            const QString mode = value.toString().trimmed();
            ok = mode == QLatin1String("session") || mode == QLatin1String("transaction") ||
                 mode == QLatin1String("statement");
            if (ok)
                p.poolMode = mode;
            break;
        }
        case PoolerDefaultPoolSize:
            ok = wholeAtLeast(value, 0, &p.defaultPoolSize);
            break;
        case PoolerReserve:
            ok = wholeAtLeast(value, 0, &p.reservePoolSize);
            break;
        case PoolerMaxClientConn:
            ok = wholeAtLeast(value, 1, &p.maxClientConn);
            break;
        case PoolerMaxDbConnections:
            ok = wholeAtLeast(value, 0, &n);
            if (ok)
                p.maxDbConnections = n;
            break;
        default:
            ok = false;
        }
    }
    if (!ok)
        return false; // the old value stays: nothing lost on bad input
    Q_EMIT dataChanged(index.siblingAtColumn(0), index.siblingAtColumn(columnCount() - 1));
    Q_EMIT planEdited();
    return true;
}

} // namespace poolscope::models
