#include "poolerlinks.h"

#include "db/conninfo.h"
#include "models/sessionsmodel.h"

#include <QCoreApplication>
#include <QStringList>
#include <algorithm>

namespace poolscope::widgets {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("poolscope::widgets::PoolerLinks", text);
}

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString ageText(qint64 ms)
{
    return models::SessionsModel::ageText(double(std::max<qint64>(0, ms)) / 1000.0);
}

} // namespace

const PoolerLinks::Target *PoolerLinks::find(int id) const
{
    for (const Target &t : m_targets) {
        if (t.id == id)
            return &t;
    }
    return nullptr;
}

PoolerLinks::Target *PoolerLinks::find(int id)
{
    for (Target &t : m_targets) {
        if (t.id == id)
            return &t;
    }
    return nullptr;
}

void PoolerLinks::addTarget(int id, const QString &conninfo, const QString &name)
{
    Target t;
    t.id = id;
    t.name = name;
    const db::HostPort reached = db::hostPort(conninfo);
    t.host = reached.host;
    t.port = reached.port;
    m_targets.append(t);
    relink();
}

void PoolerLinks::setConfig(int id, const QString &configId, const QString &linkedConfigId)
{
    if (Target *t = find(id)) {
        t->configId = configId;
        t->linkedConfigId = linkedConfigId;
    }
    relink();
}

void PoolerLinks::setName(int id, const QString &name)
{
    if (Target *t = find(id))
        t->name = name;
}

void PoolerLinks::removeTarget(int id)
{
    m_targets.removeIf([id](const Target &t) { return t.id == id; });
    relink();
}

bool PoolerLinks::onSnapshot(int id, const TargetSnapshot &snapshot, TargetKind kind)
{
    Target *t = find(id);
    if (!t)
        return false;
    const bool kindChanged = t->kind != kind;
    t->kind = kind;
    bool chainChanged = false;
    if (snapshot.ok && snapshot.bouncer) {
        BouncerSample databases;
        databases.flavor = snapshot.bouncer->flavor;
        databases.databases = snapshot.bouncer->databases;
        t->databases = std::move(databases);
        if (snapshot.bouncer->connectionsFresh) {
            t->sawRound = true;
            t->roundRefused = !snapshot.bouncer->clients || !snapshot.bouncer->servers;
            t->chain = chainOf(snapshot);
            t->chain->pooler = t->name;
            if (t->chain->takenAtMs == 0)
                t->chain->takenAtMs = snapshot.bouncer->connectionsAtMs;
            chainChanged = true;
        }
    } else if (snapshot.ok && snapshot.pgpool) {
        t->sawRound = true;
        t->chain = chainOf(snapshot);
        t->chain->pooler = t->name;
        if (t->chain->takenAtMs == 0)
            t->chain->takenAtMs = snapshot.sampledAtMs;
        chainChanged = true;
    }
    const bool linksChanged = relink();
    // A new chain matters only to the PostgreSQL targets that use it (and a Pgpool-II target uses its own).
    const bool used = chainChanged && (kind == TargetKind::Pgpool || m_links.contains(id));
    return kindChanged || linksChanged || used;
}

bool PoolerLinks::relink()
{
    QHash<int, QList<int>> links;
    QHash<int, bool> manual;
    for (const Target &pooler : std::as_const(m_targets)) {
        if (!isPooler(pooler))
            continue;
        QList<int> to;
        if (!pooler.linkedConfigId.isEmpty()) {
            // Manual: whatever the pooler's SHOW DATABASES says (a DNS name, a service, a proxy between).
            for (const Target &pg : std::as_const(m_targets)) {
                if (pg.configId == pooler.linkedConfigId && pg.id != pooler.id && !isPooler(pg))
                    to.append(pg.id);
            }
            manual.insert(pooler.id, true);
        } else if (pooler.databases) {
            for (const Target &pg : std::as_const(m_targets)) {
                if (pg.kind == TargetKind::Postgres && poolerPointsAt(*pooler.databases, pg.host, pg.port))
                    to.append(pg.id);
            }
        }
        if (!to.isEmpty())
            links.insert(pooler.id, to);
    }
    const bool changed = links != m_links || manual != m_manual;
    m_links = links;
    m_manual = manual;
    return changed;
}

QList<int> PoolerLinks::poolersOf(int pgId) const
{
    QList<int> out;
    for (const Target &t : m_targets) {
        if (m_links.value(t.id).contains(pgId))
            out.append(t.id);
    }
    return out;
}

QList<int> PoolerLinks::postgresOf(int poolerId) const
{
    return m_links.value(poolerId);
}

bool PoolerLinks::isManual(int poolerId) const
{
    return m_manual.value(poolerId);
}

std::optional<double> PoolerLinks::trafficTo(int poolerId, int pgId, const BouncerSample &sample) const
{
    const Target *pg = find(pgId);
    if (!pg || !m_links.value(poolerId).contains(pgId))
        return std::nullopt;
    return poolerTrafficTo(sample, pg->host, pg->port, isManual(poolerId));
}

std::optional<PoolerChain> PoolerLinks::chainFor(int id) const
{
    const Target *self = find(id);
    if (!self)
        return std::nullopt;
    if (self->kind == TargetKind::Pgpool)
        return self->chain ? self->chain : std::optional<PoolerChain>(PoolerChain{self->name, 0, {}});
    const QList<int> poolers = poolersOf(id);
    if (poolers.isEmpty())
        return std::nullopt;
    PoolerChain merged;
    QStringList names;
    for (int poolerId : poolers) {
        const Target *p = find(poolerId);
        names.append(p->name);
        if (!p->chain)
            continue;
        // The oldest round among them: "as of" never claims more freshness than the data has.
        merged.takenAtMs =
            merged.takenAtMs == 0 ? p->chain->takenAtMs : std::min(merged.takenAtMs, p->chain->takenAtMs);
        for (auto it = p->chain->byBackendPid.cbegin(); it != p->chain->byBackendPid.cend(); ++it)
            merged.byBackendPid.insert(it.key(), it.value());
    }
    merged.pooler = names.join(QStringLiteral(", "));
    return merged;
}

QString PoolerLinks::linkText(int id) const
{
    const Target *self = find(id);
    if (!self)
        return {};
    const auto how = [this](int poolerId) {
        return isManual(poolerId) ? tr("manual") : tr("automatic");
    };
    if (self->kind == TargetKind::Pgpool)
        return tr("Sessions are sampled through this Pgpool-II: each backend's child comes from its "
                  "SHOW POOL_POOLS.");
    if (isPooler(*self)) {
        const QList<int> pgs = postgresOf(id);
        if (pgs.isEmpty()) {
            if (!self->linkedConfigId.isEmpty())
                return tr("In front of a PostgreSQL target that is not running (File → Targets… → Pooler in "
                          "front of…).");
            return {};
        }
        QStringList names;
        for (int pgId : pgs)
            names.append(QStringLiteral("<b>%1</b>").arg(esc(find(pgId)->name)));
        return tr("In front of: %1 (%2). Its sessions tab shows which client holds each backend.")
            .arg(names.join(QStringLiteral(", ")), how(id));
    }
    const QList<int> poolers = poolersOf(id);
    if (poolers.isEmpty())
        return {};
    QStringList parts;
    for (int poolerId : poolers)
        parts.append(QStringLiteral("<b>%1</b> (%2)").arg(esc(find(poolerId)->name), how(poolerId)));
    return tr("Linked pooler: %1").arg(parts.join(QStringLiteral(", ")));
}

QString PoolerLinks::detailHtml(int id, const Session &s, qint64 nowMs) const
{
    const Target *self = find(id);
    if (!self)
        return {};
    QList<int> poolers;
    if (self->kind == TargetKind::Pgpool)
        poolers.append(id);
    else
        poolers = poolersOf(id);
    if (poolers.isEmpty()) {
        return QStringLiteral("<p><i>%1</i></p>")
            .arg(esc(tr("No pooler is linked to this target. Add the PgBouncer console in front of it as a "
                        "target (database pgbouncer): it links by itself when its SHOW DATABASES host and "
                        "port are this server's. Otherwise pick this target under File → Targets… → “Pooler "
                        "in front of…” on the pooler's entry.")));
    }
    const std::optional<PoolerChain> chain = chainFor(id);
    QStringList names;
    bool anyRound = false;
    bool refused = false;
    for (int poolerId : poolers) {
        const Target *p = find(poolerId);
        names.append(p->name);
        anyRound = anyRound || (p->chain && p->chain->takenAtMs > 0);
        refused = refused || p->roundRefused;
    }
    const QString poolerNames = esc(names.join(QStringLiteral(", ")));
    if (!chain || !anyRound) {
        return QStringLiteral("<p>%1</p>")
            .arg(tr("Linked pooler: <b>%1</b>. Waiting for its first SHOW CLIENTS / SHOW SERVERS round "
                    "(taken every 5 s).")
                     .arg(poolerNames));
    }
    const QString asOf = tr("as of %1 ago").arg(ageText(nowMs - chain->takenAtMs));
    if (refused && chain->isEmpty()) {
        return QStringLiteral("<p>%1</p>")
            .arg(tr("Linked pooler: <b>%1</b>, but its console answered no SHOW CLIENTS / SHOW SERVERS (%2): "
                    "the console user may lack the rights.")
                     .arg(poolerNames, esc(asOf)));
    }
    const ChainLink *link = chain->find(s.pid, s.backendStart);
    if (!link) {
        return QStringLiteral("<p>%1</p>")
            .arg(tr("Not held through <b>%1</b> %2: no server connection of the pooler has backend pid %3. "
                    "It is a direct connection, or the pooler opened it after that round.")
                     .arg(poolerNames, esc(asOf))
                     .arg(s.pid));
    }
    const auto row = [](const QString &label, const QString &valueHtml) {
        return QStringLiteral("<tr><td style=\"padding-right:10px\"><b>%1</b></td><td>%2</td></tr>")
            .arg(label.toHtmlEscaped(), valueHtml);
    };
    const QString none = QStringLiteral("<i>%1</i>").arg(esc(tr("none")));
    QString html = QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    html += row(tr("Pooler"), poolerNames);
    html += row(tr("Pool"), esc(models::SessionsModel::poolText(*link)));
    if (!link->hasClient && !link->pgpoolChildPid) {
        html += row(tr("Client"), esc(link->idleInPool(s.stateClass())
                                          ? tr("no client: idle in the pool")
                                          : models::SessionsModel::poolerClientText(*link, s.stateClass())));
    } else {
        QString addr;
        if (!link->clientAddr.isEmpty()) {
            addr = link->clientAddr;
            if (link->clientPort && *link->clientPort > 0)
                addr += QLatin1Char(':') + QString::number(*link->clientPort);
        }
        // Pgpool-II before 4.7 names no client address or application: the child is all there is.
        if (!addr.isEmpty() || !link->pgpoolChildPid)
            html += row(tr("Client"), addr.isEmpty() ? none : esc(addr));
        if (!link->clientApplicationName.isEmpty() || !link->pgpoolChildPid)
            html += row(tr("Application"),
                        link->clientApplicationName.isEmpty() ? none : esc(link->clientApplicationName));
        if (link->clientId)
            html += row(tr("Client id"), QString::number(*link->clientId));
        else if (!link->pgpoolChildPid)
            html += row(tr("Client id"), esc(tr("— (PgBouncer 1.24+)")));
        if (link->pgpoolChildPid)
            html += row(tr("Pgpool-II child"), QString::number(*link->pgpoolChildPid));
        if (!link->clientState.isEmpty())
            html += row(tr("Client state"), esc(link->clientState));
        if (link->clientConnectTime)
            html += row(tr("Client connected"),
                        esc(tr("%1 ago").arg(ageText(nowMs - qint64(*link->clientConnectTime * 1000)))));
    }
    if (!link->serverState.isEmpty())
        html += row(tr("Server state"), esc(link->serverState));
    html += QStringLiteral("</table>");
    html += QStringLiteral("<p><small>%1</small></p>")
                .arg(esc((self->kind == TargetKind::Pgpool ? tr("%1; refreshed with every sample.")
                                                           : tr("%1; the chain is refreshed every 5 s."))
                             .arg(asOf.at(0).toUpper() + asOf.mid(1))));
    return html;
}

} // namespace poolscope::widgets
