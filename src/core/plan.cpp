#include "plan.h"

#include "jsonlocator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <cmath>

namespace poolscope::plan {

namespace {

/// Reads one plan file, failing at the first problem with its key path and line.
class Reader
{
public:
    Reader(const JsonLocator &locator, ParseError *error) : m_locator(locator), m_error(error) {}

    bool failed() const { return m_failed; }

    bool fail(const QString &path, const QString &message)
    {
        if (!m_failed && m_error) {
            m_error->key = path;
            m_error->line = m_locator.line(path);
            m_error->message = message;
        }
        m_failed = true;
        return false;
    }

    static QString join(const QString &path, const QString &key)
    {
        return path.isEmpty() ? key : path + QLatin1Char('.') + key;
    }

    /// Every key of `o` must be one of `allowed`.
    bool keys(const QJsonObject &o, const QString &path, const QStringList &allowed)
    {
        for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
            if (!allowed.contains(it.key()))
                return fail(join(path, it.key()), QStringLiteral("unknown key; expected one of %1")
                                                      .arg(allowed.join(QStringLiteral(", "))));
        }
        return true;
    }

    /// A whole number >= `min`, or `fallback` when absent.
    int integer(const QJsonObject &o, const QString &path, const QString &key, int min, int fallback)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return fallback;
        const double d = v.toDouble(-1);
        if (!v.isDouble() || d != std::floor(d) || d < min || d > 10'000'000) {
            fail(join(path, key), QStringLiteral("needs a whole number >= %1").arg(min));
            return fallback;
        }
        return int(d);
    }

    double number(const QJsonObject &o, const QString &path, const QString &key, double min)
    {
        const QJsonValue v = o.value(key);
        if (!v.isDouble() || !std::isfinite(v.toDouble()) || v.toDouble() < min) {
            fail(join(path, key), v.isUndefined() ? QStringLiteral("is required (a number >= %1)").arg(min)
                                                  : QStringLiteral("needs a number >= %1").arg(min));
            return min;
        }
        return v.toDouble();
    }

    QString text(const QJsonObject &o, const QString &path, const QString &key, const QString &fallback,
                 bool required = false)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined()) {
            if (required)
                fail(join(path, key), QStringLiteral("is required"));
            return fallback;
        }
        if (!v.isString() || v.toString().isEmpty()) {
            fail(join(path, key), QStringLiteral("needs a non-empty string"));
            return fallback;
        }
        return v.toString();
    }

    QJsonObject object(const QJsonValue &v, const QString &path)
    {
        if (!v.isObject())
            fail(path, QStringLiteral("needs an object {...}"));
        return v.toObject();
    }

    QJsonArray array(const QJsonObject &o, const QString &path, const QString &key)
    {
        const QJsonValue v = o.value(key);
        if (v.isUndefined())
            return {};
        if (!v.isArray())
            fail(join(path, key), QStringLiteral("needs an array [...]"));
        return v.toArray();
    }

    QString mode(const QJsonObject &o, const QString &path, const QString &key, const QString &fallback)
    {
        const QString m = text(o, path, key, fallback);
        if (!m_failed && m != QLatin1String("session") && m != QLatin1String("transaction") &&
            m != QLatin1String("statement"))
            fail(join(path, key), QStringLiteral("needs \"session\", \"transaction\" or \"statement\""));
        return m;
    }

private:
    const JsonLocator &m_locator;
    ParseError *m_error;
    bool m_failed = false;
};

} // namespace

const PoolerSpec *Plan::pooler(const QString &name) const
{
    for (const PoolerSpec &p : poolers) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

QString ParseError::text() const
{
    if (key.isEmpty())
        return line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(message) : message;
    return line > 0 ? QStringLiteral("%1 (line %2): %3").arg(key).arg(line).arg(message)
                    : QStringLiteral("%1: %2").arg(key, message);
}

std::optional<Plan> parsePlan(const QByteArray &json, ParseError *error)
{
    QJsonParseError pe{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        if (error)
            *error = {QString(), JsonLocator::lineOfOffset(json, pe.offset),
                      QStringLiteral("not valid JSON: ") + pe.errorString()};
        return std::nullopt;
    }
    const JsonLocator locator(json);
    Reader r(locator, error);
    if (!doc.isObject()) {
        r.fail(QString(),
               QStringLiteral("a plan is a JSON object {\"postgres\":…, \"poolers\":[…], \"apps\":[…]}"));
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    Plan plan;
    r.keys(root, QString(), {QStringLiteral("postgres"), QStringLiteral("poolers"), QStringLiteral("apps")});

    if (root.contains(QStringLiteral("postgres"))) {
        const QString path = QStringLiteral("postgres");
        const QJsonObject pg = r.object(root.value(path), path);
        r.keys(pg, path,
               {QStringLiteral("max_connections"), QStringLiteral("superuser_reserved_connections"),
                QStringLiteral("reserved_connections"), QStringLiteral("other_sessions")});
        PostgresSpec &s = plan.postgres;
        s.maxConnections = r.integer(pg, path, QStringLiteral("max_connections"), 1, s.maxConnections);
        s.superuserReserved =
            r.integer(pg, path, QStringLiteral("superuser_reserved_connections"), 0, s.superuserReserved);
        s.reserved = r.integer(pg, path, QStringLiteral("reserved_connections"), 0, s.reserved);
        s.otherSessions = r.integer(pg, path, QStringLiteral("other_sessions"), 0, s.otherSessions);
        if (!r.failed() && s.superuserReserved + s.reserved >= s.maxConnections)
            r.fail(Reader::join(path, QStringLiteral("superuser_reserved_connections")),
                   QStringLiteral("superuser_reserved_connections + reserved_connections must stay below "
                                  "max_connections (PostgreSQL refuses to start otherwise)"));
    }

    QSet<QString> poolerNames;
    const QJsonArray poolers = r.array(root, QString(), QStringLiteral("poolers"));
    for (int i = 0; i < poolers.size() && !r.failed(); ++i) {
        const QString path = QStringLiteral("poolers[%1]").arg(i);
        const QJsonObject o = r.object(poolers.at(i), path);
        r.keys(o, path,
               {QStringLiteral("name"), QStringLiteral("instances"), QStringLiteral("pool_mode"),
                QStringLiteral("default_pool_size"), QStringLiteral("reserve_pool_size"),
                QStringLiteral("max_client_conn"), QStringLiteral("max_db_connections"),
                QStringLiteral("max_user_connections"), QStringLiteral("pools")});
        PoolerSpec p;
        p.name = r.text(o, path, QStringLiteral("name"), QString(), true);
        if (!r.failed() && (p.name == QLatin1String("postgres") || poolerNames.contains(p.name)))
            r.fail(
                Reader::join(path, QStringLiteral("name")),
                p.name == QLatin1String("postgres")
                    ? QStringLiteral("\"postgres\" means a direct connection; give the pooler another name")
                    : QStringLiteral("another pooler already has this name"));
        poolerNames.insert(p.name);
        p.instances = r.integer(o, path, QStringLiteral("instances"), 1, p.instances);
        p.poolMode = r.mode(o, path, QStringLiteral("pool_mode"), p.poolMode);
        p.defaultPoolSize = r.integer(o, path, QStringLiteral("default_pool_size"), 0, p.defaultPoolSize);
        p.reservePoolSize = r.integer(o, path, QStringLiteral("reserve_pool_size"), 0, p.reservePoolSize);
        p.maxClientConn = r.integer(o, path, QStringLiteral("max_client_conn"), 1, p.maxClientConn);
        p.maxDbConnections = r.integer(o, path, QStringLiteral("max_db_connections"), 0, p.maxDbConnections);
        p.maxUserConnections =
            r.integer(o, path, QStringLiteral("max_user_connections"), 0, p.maxUserConnections);
        const QJsonArray pools = r.array(o, path, QStringLiteral("pools"));
        for (int j = 0; j < pools.size() && !r.failed(); ++j) {
            const QString ppath = path + QStringLiteral(".pools[%1]").arg(j);
            const QJsonObject po = r.object(pools.at(j), ppath);
            r.keys(po, ppath,
                   {QStringLiteral("database"), QStringLiteral("user"), QStringLiteral("pool_size"),
                    QStringLiteral("pool_mode")});
            PoolSpec pool;
            pool.database = r.text(po, ppath, QStringLiteral("database"), QString(), true);
            pool.user = r.text(po, ppath, QStringLiteral("user"), QString(), true);
            if (po.contains(QStringLiteral("pool_size")))
                pool.poolSize = r.integer(po, ppath, QStringLiteral("pool_size"), 0, 0);
            if (po.contains(QStringLiteral("pool_mode")))
                pool.poolMode = r.mode(po, ppath, QStringLiteral("pool_mode"), p.poolMode);
            p.pools.append(pool);
        }
        plan.poolers.append(p);
    }

    const QJsonArray apps = r.array(root, QString(), QStringLiteral("apps"));
    for (int i = 0; i < apps.size() && !r.failed(); ++i) {
        const QString path = QStringLiteral("apps[%1]").arg(i);
        const QJsonObject o = r.object(apps.at(i), path);
        r.keys(o, path,
               {QStringLiteral("name"), QStringLiteral("instances"), QStringLiteral("processes"),
                QStringLiteral("pool_size"), QStringLiteral("max_overflow"), QStringLiteral("via"),
                QStringLiteral("database"), QStringLiteral("user"), QStringLiteral("traffic")});
        AppSpec a;
        a.name = r.text(o, path, QStringLiteral("name"), QString(), true);
        a.instances = r.integer(o, path, QStringLiteral("instances"), 0, a.instances);
        a.processes = r.integer(o, path, QStringLiteral("processes"), 1, a.processes);
        if (!r.failed() && !o.contains(QStringLiteral("pool_size")))
            r.fail(Reader::join(path, QStringLiteral("pool_size")),
                   QStringLiteral("is required: the size of each process's connection pool"));
        a.poolSize = r.integer(o, path, QStringLiteral("pool_size"), 1, 1);
        a.maxOverflow = r.integer(o, path, QStringLiteral("max_overflow"), 0, a.maxOverflow);
        a.via = r.text(o, path, QStringLiteral("via"), a.via);
        if (!r.failed() && !a.direct() && !poolerNames.contains(a.via))
            r.fail(Reader::join(path, QStringLiteral("via")),
                   QStringLiteral("names no pooler of the plan; use \"postgres\" for a direct connection"));
        a.database = r.text(o, path, QStringLiteral("database"), QString(), !a.direct());
        a.user = r.text(o, path, QStringLiteral("user"), QString(), !a.direct());
        if (o.contains(QStringLiteral("traffic")) && !r.failed()) {
            const QString tpath = Reader::join(path, QStringLiteral("traffic"));
            const QJsonObject t = r.object(o.value(QStringLiteral("traffic")), tpath);
            r.keys(t, tpath, {QStringLiteral("arrival_rate_per_s"), QStringLiteral("mean_hold_ms")});
            Traffic traffic;
            traffic.arrivalRatePerS = r.number(t, tpath, QStringLiteral("arrival_rate_per_s"), 0);
            traffic.meanHoldMs = r.number(t, tpath, QStringLiteral("mean_hold_ms"), 0);
            if (!r.failed() && traffic.meanHoldMs <= 0)
                r.fail(Reader::join(tpath, QStringLiteral("mean_hold_ms")),
                       QStringLiteral("needs a number > 0"));
            a.traffic = traffic;
        }
        plan.apps.append(a);
    }
    if (r.failed())
        return std::nullopt;
    return plan;
}

QJsonObject toJson(const Plan &plan)
{
    QJsonObject pg{{QStringLiteral("max_connections"), plan.postgres.maxConnections},
                   {QStringLiteral("superuser_reserved_connections"), plan.postgres.superuserReserved},
                   {QStringLiteral("reserved_connections"), plan.postgres.reserved},
                   {QStringLiteral("other_sessions"), plan.postgres.otherSessions}};
    QJsonArray poolers;
    for (const PoolerSpec &p : plan.poolers) {
        QJsonArray pools;
        for (const PoolSpec &pool : p.pools) {
            QJsonObject o{{QStringLiteral("database"), pool.database}, {QStringLiteral("user"), pool.user}};
            if (pool.poolSize)
                o.insert(QStringLiteral("pool_size"), *pool.poolSize);
            if (pool.poolMode)
                o.insert(QStringLiteral("pool_mode"), *pool.poolMode);
            pools.append(o);
        }
        poolers.append(QJsonObject{{QStringLiteral("name"), p.name},
                                   {QStringLiteral("instances"), p.instances},
                                   {QStringLiteral("pool_mode"), p.poolMode},
                                   {QStringLiteral("default_pool_size"), p.defaultPoolSize},
                                   {QStringLiteral("reserve_pool_size"), p.reservePoolSize},
                                   {QStringLiteral("max_client_conn"), p.maxClientConn},
                                   {QStringLiteral("max_db_connections"), p.maxDbConnections},
                                   {QStringLiteral("max_user_connections"), p.maxUserConnections},
                                   {QStringLiteral("pools"), pools}});
    }
    QJsonArray apps;
    for (const AppSpec &a : plan.apps) {
        QJsonObject o{{QStringLiteral("name"), a.name},
                      {QStringLiteral("instances"), a.instances},
                      {QStringLiteral("processes"), a.processes},
                      {QStringLiteral("pool_size"), a.poolSize},
                      {QStringLiteral("max_overflow"), a.maxOverflow},
                      {QStringLiteral("via"), a.via}};
        if (!a.database.isEmpty())
            o.insert(QStringLiteral("database"), a.database);
        if (!a.user.isEmpty())
            o.insert(QStringLiteral("user"), a.user);
        if (a.traffic)
            o.insert(QStringLiteral("traffic"),
                     QJsonObject{{QStringLiteral("arrival_rate_per_s"), a.traffic->arrivalRatePerS},
                                 {QStringLiteral("mean_hold_ms"), a.traffic->meanHoldMs}});
        apps.append(o);
    }
    return QJsonObject{{QStringLiteral("postgres"), pg},
                       {QStringLiteral("poolers"), poolers},
                       {QStringLiteral("apps"), apps}};
}

} // namespace poolscope::plan
