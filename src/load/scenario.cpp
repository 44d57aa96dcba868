#include "scenario.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <algorithm>
#include <climits>
#include <cmath>

namespace poolscope::load {

namespace {

constexpr int MaxProcesses = 1000;
constexpr int MaxWorkersTotal = 100000;
constexpr double MaxDurationS = 86400;
constexpr int MaxStepMs = 86400000;

struct PoolKindName
{
    PoolKind kind;
    const char *name;
};
constexpr PoolKindName kPoolKinds[] = {
    {PoolKind::None, "none"},
    {PoolKind::QueuePool, "queuepool"},
    {PoolKind::Threaded, "psycopg2"},
    {PoolKind::PsycopgPool, "psycopg_pool"},
};

struct StepKindName
{
    StepKind kind;
    const char *name;
};
constexpr StepKindName kStepKinds[] = {
    {StepKind::Checkout, "checkout"},
    {StepKind::Return, "return"},
    {StepKind::Query, "query"},
    {StepKind::Think, "think"},
    {StepKind::Leak, "leak"},
    {StepKind::Disconnect, "disconnect"},
    {StepKind::RequireIdle, "require_idle"},
};

QString number(double v)
{
    return QString::number(v, 'g', 10);
}

/// Reads one JSON object, remembering the path for messages and rejecting keys it was not asked about (a
/// typo in a scenario must not silently fall back to a default).
class Reader
{
public:
    Reader(const QJsonObject &object, QString path, QString *error)
        : m_object(object), m_path(std::move(path)), m_error(error)
    {}

    bool ok() const { return m_error->isEmpty(); }
    QString path(const QString &key) const
    {
        return m_path.isEmpty() ? key : m_path + QLatin1Char('.') + key;
    }

    void fail(const QString &key, const QString &message)
    {
        if (m_error->isEmpty())
            *m_error = (key.isEmpty() ? m_path : path(key)) + QStringLiteral(": ") + message;
    }

    bool has(const char *key)
    {
        m_seen.insert(QLatin1String(key));
        return m_object.contains(QLatin1String(key));
    }

    QJsonValue value(const char *key)
    {
        m_seen.insert(QLatin1String(key));
        return m_object.value(QLatin1String(key));
    }

    QString string(const char *key, const QString &fallback = {})
    {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (!v.isString()) {
            fail(QLatin1String(key), QStringLiteral("must be a string"));
            return fallback;
        }
        return v.toString();
    }

    double real(const char *key, double fallback, double min, double max)
    {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (!v.isDouble() || !std::isfinite(v.toDouble())) {
            fail(QLatin1String(key), QStringLiteral("must be a number"));
            return fallback;
        }
        const double d = v.toDouble();
        if (d < min || d > max) {
            fail(QLatin1String(key),
                 QStringLiteral("must be from %1 to %2 (got %3)").arg(number(min), number(max), number(d)));
            return fallback;
        }
        return d;
    }

    int integer(const char *key, int fallback, int min, int max)
    {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return fallback;
        const double d = v.toDouble(std::nan(""));
        if (!v.isDouble() || d != std::floor(d)) {
            fail(QLatin1String(key), QStringLiteral("must be a whole number"));
            return fallback;
        }
        if (d < min || d > max) {
            fail(QLatin1String(key),
                 QStringLiteral("must be from %1 to %2 (got %3)").arg(min).arg(max).arg(number(d)));
            return fallback;
        }
        return int(d);
    }

    bool boolean(const char *key, bool fallback)
    {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return fallback;
        if (!v.isBool()) {
            fail(QLatin1String(key), QStringLiteral("must be true or false"));
            return fallback;
        }
        return v.toBool();
    }

    QJsonArray array(const char *key)
    {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isArray()) {
            fail(QLatin1String(key), QStringLiteral("must be a list"));
            return {};
        }
        return v.toArray();
    }

    QJsonObject object(const char *key)
    {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isObject()) {
            fail(QLatin1String(key), QStringLiteral("must be an object"));
            return {};
        }
        return v.toObject();
    }

    /// Call last: any key not read is a mistake.
    void rejectUnknown()
    {
        for (auto it = m_object.constBegin(); it != m_object.constEnd(); ++it) {
            if (!m_seen.contains(it.key())) {
                fail(it.key(), QStringLiteral("unknown key"));
                return;
            }
        }
    }

private:
    QJsonObject m_object;
    QString m_path;
    QString *m_error;
    QSet<QString> m_seen;
};

QString indexed(const QString &path, qsizetype i)
{
    return path + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
}

QJsonObject objectAt(const QJsonArray &array, qsizetype i, const QString &path, QString *error)
{
    if (!array.at(i).isObject()) {
        if (error->isEmpty())
            *error = indexed(path, i) + QStringLiteral(": must be an object");
        return {};
    }
    return array.at(i).toObject();
}

RetryPolicy readRetry(Reader &parent, const char *key, RetryPolicy fallback, QString *error)
{
    if (!parent.has(key))
        return fallback;
    Reader r(parent.object(key), parent.path(QLatin1String(key)), error);
    RetryPolicy p;
    p.attempts = r.integer("attempts", fallback.attempts, 0, 1000);
    p.baseMs = r.integer("base_ms", fallback.baseMs, 0, 3600000);
    p.maxMs = r.integer("max_ms", fallback.maxMs, 0, 3600000);
    p.jitter = r.real("jitter", fallback.jitter, 0, 1);
    r.rejectUnknown();
    return p;
}

QJsonObject retryJson(const RetryPolicy &p)
{
    return {{QStringLiteral("attempts"), p.attempts},
            {QStringLiteral("base_ms"), p.baseMs},
            {QStringLiteral("max_ms"), p.maxMs},
            {QStringLiteral("jitter"), p.jitter}};
}

ResetOnReturn readReset(Reader &r, const char *key)
{
    const QString s = r.string(key, QStringLiteral("rollback"));
    if (s == QLatin1String("rollback"))
        return ResetOnReturn::Rollback;
    if (s == QLatin1String("none"))
        return ResetOnReturn::None;
    r.fail(QLatin1String(key), QStringLiteral("must be \"rollback\" or \"none\""));
    return ResetOnReturn::Rollback;
}

QString resetName(ResetOnReturn reset)
{
    return reset == ResetOnReturn::None ? QStringLiteral("none") : QStringLiteral("rollback");
}

// Pool keys are each library's own parameter names, so a user can copy them from the application's code.
PoolConfig readPool(const QJsonObject &json, const QString &path, QString *error)
{
    Reader r(json, path, error);
    PoolConfig p;
    const QString kind = r.string("kind", QStringLiteral("none"));
    const auto *found = std::find_if(std::begin(kPoolKinds), std::end(kPoolKinds),
                                     [&](const PoolKindName &k) { return kind == QLatin1String(k.name); });
    if (found == std::end(kPoolKinds)) {
        r.fail(QStringLiteral("kind"),
               QStringLiteral("unknown pool \"%1\" (none, queuepool, psycopg2, psycopg_pool)").arg(kind));
        return p;
    }
    p.kind = found->kind;
    switch (p.kind) {
    case PoolKind::None:
        break;
    case PoolKind::QueuePool:
        p.size = r.integer("pool_size", 5, 0, 100000);
        p.maxOverflow = r.integer("max_overflow", 10, -1, 100000);
        p.timeoutMs = int(std::lround(r.real("timeout", 30, 0, 86400) * 1000));
        p.prePing = r.boolean("pre_ping", false);
        p.reset = readReset(r, "reset_on_return");
        if (p.size == 0 && p.maxOverflow == 0)
            r.fail({}, QStringLiteral("pool_size and max_overflow cannot both be 0"));
        break;
    case PoolKind::Threaded:
        p.size = r.integer("minconn", 1, 0, 100000);
        p.maxSize = r.integer("maxconn", 10, 1, 100000);
        if (p.size > p.maxSize)
            r.fail(QStringLiteral("minconn"), QStringLiteral("must not exceed maxconn"));
        break;
    case PoolKind::PsycopgPool:
        p.size = r.integer("min_size", 4, 0, 100000);
        p.maxSize = r.integer("max_size", std::max(p.size, 1), 1, 100000);
        p.timeoutMs = int(std::lround(r.real("timeout", 30, 0, 86400) * 1000));
        p.maxWaiting = r.integer("max_waiting", 0, 0, 1000000);
        p.prePing = r.boolean("check", false);
        p.reset = readReset(r, "reset");
        if (p.size > p.maxSize)
            r.fail(QStringLiteral("min_size"), QStringLiteral("must not exceed max_size"));
        break;
    }
    r.rejectUnknown();
    return p;
}

QJsonObject poolJson(const PoolConfig &p)
{
    QJsonObject o{{QStringLiteral("kind"), poolKindName(p.kind)}};
    switch (p.kind) {
    case PoolKind::None:
        break;
    case PoolKind::QueuePool:
        o.insert(QStringLiteral("pool_size"), p.size);
        o.insert(QStringLiteral("max_overflow"), p.maxOverflow);
        o.insert(QStringLiteral("timeout"), p.timeoutMs / 1000.0);
        o.insert(QStringLiteral("pre_ping"), p.prePing);
        o.insert(QStringLiteral("reset_on_return"), resetName(p.reset));
        break;
    case PoolKind::Threaded:
        o.insert(QStringLiteral("minconn"), p.size);
        o.insert(QStringLiteral("maxconn"), p.maxSize);
        break;
    case PoolKind::PsycopgPool:
        o.insert(QStringLiteral("min_size"), p.size);
        o.insert(QStringLiteral("max_size"), p.maxSize);
        o.insert(QStringLiteral("timeout"), p.timeoutMs / 1000.0);
        o.insert(QStringLiteral("max_waiting"), p.maxWaiting);
        o.insert(QStringLiteral("check"), p.prePing);
        o.insert(QStringLiteral("reset"), resetName(p.reset));
        break;
    }
    return o;
}

Step readStep(const QJsonObject &json, const QString &path, QString *error)
{
    Reader r(json, path, error);
    Step s;
    const QString kind = r.string("step");
    s.chance = r.real("chance", 1.0, 0, 1);
    if (kind == QLatin1String("begin") || kind == QLatin1String("commit") ||
        kind == QLatin1String("rollback")) {
        s.kind = StepKind::Query;
        s.sql = kind.toUpper().toUtf8();
    } else if (kind == QLatin1String("slow_query")) {
        s.kind = StepKind::Query;
        const int ms = r.integer("ms", 1000, 0, MaxStepMs);
        s.sql = "SELECT pg_sleep(" + QByteArray::number(ms / 1000.0, 'f', 3) + ")";
    } else if (kind == QLatin1String("hold")) {
        s.kind = StepKind::Think;
    } else {
        const auto *found =
            std::find_if(std::begin(kStepKinds), std::end(kStepKinds),
                         [&](const StepKindName &k) { return kind == QLatin1String(k.name); });
        if (found == std::end(kStepKinds)) {
            r.fail(QStringLiteral("step"),
                   kind.isEmpty()
                       ? QStringLiteral("missing (query, begin, commit, rollback, slow_query, think, "
                                        "hold, checkout, return, leak, disconnect, require_idle)")
                       : QStringLiteral("unknown step \"%1\"").arg(kind));
            return s;
        }
        s.kind = found->kind;
    }
    if (s.kind == StepKind::Query && s.sql.isEmpty()) {
        s.sql = r.string("sql").trimmed().toUtf8();
        if (s.sql.isEmpty())
            r.fail(QStringLiteral("sql"), QStringLiteral("a query step needs its SQL"));
    }
    if (s.kind == StepKind::Think) {
        s.ms = r.integer("ms", 0, 0, MaxStepMs);
        s.jitterMs = r.integer("jitter_ms", 0, 0, MaxStepMs);
        const QString distribution = r.string("distribution", QStringLiteral("uniform"));
        if (distribution == QLatin1String("exponential"))
            s.exponential = true;
        else if (distribution != QLatin1String("uniform"))
            r.fail(QStringLiteral("distribution"),
                   QStringLiteral("\"uniform\" (ms ± jitter_ms) or \"exponential\" (mean ms)"));
        if (s.exponential && s.jitterMs > 0)
            r.fail(QStringLiteral("jitter_ms"),
                   QStringLiteral("an exponential hold has no jitter: ms is its mean"));
    }
    r.rejectUnknown();
    return s;
}

QJsonObject stepJson(const Step &s)
{
    QJsonObject o{{QStringLiteral("step"), stepKindName(s.kind)}};
    if (s.kind == StepKind::Query)
        o.insert(QStringLiteral("sql"), QString::fromUtf8(s.sql));
    if (s.kind == StepKind::Think) {
        o.insert(QStringLiteral("ms"), s.ms);
        if (s.jitterMs > 0)
            o.insert(QStringLiteral("jitter_ms"), s.jitterMs);
        if (s.exponential)
            o.insert(QStringLiteral("distribution"), QStringLiteral("exponential"));
    }
    if (s.chance < 1.0)
        o.insert(QStringLiteral("chance"), s.chance);
    return o;
}

} // namespace

int PoolConfig::capacity() const
{
    switch (kind) {
    case PoolKind::None:
        return 1;
    case PoolKind::QueuePool:
        return maxOverflow < 0 ? INT_MAX : size + maxOverflow;
    case PoolKind::Threaded:
    case PoolKind::PsycopgPool:
        return std::max(maxSize, size);
    }
    return 1;
}

int PoolConfig::keepIdle() const
{
    switch (kind) {
    case PoolKind::None:
        return 1;
    case PoolKind::QueuePool:
    case PoolKind::Threaded:
        return size;
    case PoolKind::PsycopgPool:
        return capacity(); // keeps what it opened (max_idle, 10 min, is beyond a load run's horizon)
    }
    return 1;
}

int PoolConfig::openAtStart() const
{
    return kind == PoolKind::Threaded || kind == PoolKind::PsycopgPool ? size : 0;
}

int RetryPolicy::delayMs(int attempt, double unit) const
{
    const double exp = std::min(30, std::max(0, attempt - 1));
    const double full = std::min(double(maxMs), double(baseMs) * std::pow(2.0, exp));
    return int(std::lround(full * (1.0 - jitter * unit)));
}

QByteArray AppConfig::applicationName() const
{
    QByteArray n = "poolscope-load-" + name.toUtf8();
    if (n.size() > 63) {
        n.truncate(63);
        // Do not leave half a UTF-8 sequence at the end.
        while (!n.isEmpty() && (uchar(n.back()) & 0xC0) == 0x80)
            n.chop(1);
        if (!n.isEmpty() && uchar(n.back()) >= 0xC0)
            n.chop(1);
    }
    return n;
}

int Workload::workersAt(double t) const
{
    if (phases.isEmpty())
        return workers;
    int previous = 0;
    double previousAt = 0;
    int current = 0;
    bool started = false;
    for (const Phase &p : phases) {
        if (t < p.atS)
            break;
        previous = started ? current : 0;
        previousAt = p.atS;
        current = p.workers;
        started = true;
        if (p.rampS > 0 && t < p.atS + p.rampS) {
            const double f = (t - previousAt) / p.rampS;
            current = int(std::lround(previous + (p.workers - previous) * f));
        }
    }
    return std::min(current, workers);
}

const AppConfig *Scenario::app(const QString &appName) const
{
    for (const AppConfig &a : apps) {
        if (a.name == appName)
            return &a;
    }
    return nullptr;
}

int Scenario::totalWorkers() const
{
    qint64 total = 0;
    for (const Workload &w : workloads) {
        const AppConfig *a = app(w.app);
        total += qint64(w.workers) * (a ? a->processes : 1);
    }
    return int(std::min<qint64>(total, INT_MAX));
}

int Scenario::maxConnections() const
{
    qint64 total = 0;
    for (const AppConfig &a : apps) {
        qint64 workers = 0;
        bool leaks = false;
        for (const Workload &w : workloads) {
            if (w.app != a.name)
                continue;
            workers += w.workers;
            for (const Step &step : w.steps)
                leaks = leaks || step.kind == StepKind::Leak;
        }
        if (leaks && a.pool.kind == PoolKind::None)
            return INT_MAX; // a leaked connection is replaced by a new one, without end
        const qint64 capacity = a.pool.capacity();
        const qint64 perProcess = a.pool.kind == PoolKind::None
                                      ? workers
                                      : std::min(capacity, std::max(workers, qint64(a.pool.openAtStart())));
        total += perProcess * a.processes;
    }
    return int(std::min<qint64>(total, INT_MAX));
}

QString poolKindName(PoolKind kind)
{
    for (const auto &k : kPoolKinds) {
        if (k.kind == kind)
            return QLatin1String(k.name);
    }
    return {};
}

QString stepKindName(StepKind kind)
{
    for (const auto &k : kStepKinds) {
        if (k.kind == kind)
            return QLatin1String(k.name);
    }
    return {};
}

bool validate(const Scenario &s, QString *error)
{
    auto fail = [error](const QString &message) {
        *error = message;
        return false;
    };
    if (!(s.durationS > 0) || s.durationS > MaxDurationS)
        return fail(QStringLiteral("duration_s: must be more than 0 and at most %1").arg(MaxDurationS));
    if (s.apps.isEmpty())
        return fail(QStringLiteral("apps: at least one app is needed"));
    if (s.workloads.isEmpty())
        return fail(QStringLiteral("workloads: at least one workload is needed"));
    QSet<QString> names;
    for (qsizetype i = 0; i < s.apps.size(); ++i) {
        const AppConfig &a = s.apps.at(i);
        const QString path = indexed(QStringLiteral("apps"), i);
        if (a.name.isEmpty())
            return fail(path + QStringLiteral(".name: missing"));
        if (names.contains(a.name))
            return fail(path + QStringLiteral(".name: \"%1\" is used twice").arg(a.name));
        names.insert(a.name);
        if (a.processes < 1 || a.processes > MaxProcesses)
            return fail(path + QStringLiteral(".processes: must be from 1 to %1").arg(MaxProcesses));
    }
    qint64 total = 0;
    for (qsizetype i = 0; i < s.workloads.size(); ++i) {
        const Workload &w = s.workloads.at(i);
        const QString path = indexed(QStringLiteral("workloads"), i);
        const AppConfig *a = s.app(w.app);
        if (!a)
            return fail(path + QStringLiteral(".app: no app named \"%1\"").arg(w.app));
        if (w.workers < 0)
            return fail(path + QStringLiteral(".workers: must not be negative"));
        if (w.steps.isEmpty())
            return fail(path + QStringLiteral(".steps: a workload needs at least one step"));
        if (w.rate < 0)
            return fail(path + QStringLiteral(".rate: must not be negative"));
        double at = -1;
        for (qsizetype p = 0; p < w.phases.size(); ++p) {
            if (w.phases.at(p).atS < at)
                return fail(indexed(path + QStringLiteral(".phases"), p) +
                            QStringLiteral(".at_s: phases must be in time order"));
            at = w.phases.at(p).atS;
            if (w.phases.at(p).workers > w.workers)
                return fail(indexed(path + QStringLiteral(".phases"), p) +
                            QStringLiteral(".workers: more than the workload's %1 workers").arg(w.workers));
        }
        total += qint64(w.workers) * a->processes;
    }
    if (total > MaxWorkersTotal)
        return fail(
            QStringLiteral("workers: %1 in all is more than the %2 allowed").arg(total).arg(MaxWorkersTotal));
    return true;
}

std::optional<Scenario> scenarioFromJson(const QJsonObject &json, QString *errorOut)
{
    QString error;
    Reader r(json, {}, &error);
    Scenario s;
    s.name = r.string("name");
    s.title = r.string("title");
    s.description = r.string("description");
    s.expect = r.string("expect");
    s.durationS = r.real("duration_s", 30, 0, MaxDurationS);
    const QJsonArray setup = r.array("setup");
    for (qsizetype i = 0; i < setup.size() && error.isEmpty(); ++i) {
        if (!setup.at(i).isString() || setup.at(i).toString().trimmed().isEmpty())
            error = indexed(QStringLiteral("setup"), i) + QStringLiteral(": must be an SQL statement");
        else
            s.setup.append(setup.at(i).toString().toUtf8());
    }

    const QJsonArray apps = r.array("apps");
    for (qsizetype i = 0; i < apps.size() && error.isEmpty(); ++i) {
        const QString path = indexed(QStringLiteral("apps"), i);
        Reader a(objectAt(apps, i, QStringLiteral("apps"), &error), path, &error);
        if (!error.isEmpty())
            break;
        AppConfig app;
        app.name = a.string("name");
        app.processes = a.integer("processes", 1, 1, MaxProcesses);
        app.startSpreadMs = a.integer("start_spread_ms", 0, 0, MaxStepMs);
        if (a.has("pool"))
            app.pool = readPool(a.object("pool"), a.path(QStringLiteral("pool")), &error);
        // psycopg_pool's own reconnect: 1 s doubling, 10 % jitter (it gives up after reconnect_timeout).
        RetryPolicy initDefault{1000, 1000, 30000, 0.1};
        app.initRetry = readRetry(a, "init_retry", initDefault, &error);
        a.rejectUnknown();
        s.apps.append(app);
    }
    if (apps.isEmpty() && error.isEmpty()) {
        AppConfig app;
        app.name = QStringLiteral("app");
        s.apps.append(app);
    }

    const QJsonArray workloads = r.array("workloads");
    for (qsizetype i = 0; i < workloads.size() && error.isEmpty(); ++i) {
        const QString path = indexed(QStringLiteral("workloads"), i);
        Reader w(objectAt(workloads, i, QStringLiteral("workloads"), &error), path, &error);
        if (!error.isEmpty())
            break;
        Workload wl;
        wl.name = w.string("name", QStringLiteral("workload %1").arg(i + 1));
        wl.app = w.string("app", s.apps.isEmpty() ? QString() : s.apps.first().name);
        wl.workers = w.integer("workers", 1, 0, MaxWorkersTotal);
        wl.rate = w.real("rate", 0, 0, 1e7);
        wl.errorPauseMs = w.integer("error_pause_ms", 50, 0, MaxStepMs);
        wl.retry = readRetry(w, "retry", RetryPolicy{}, &error);
        const QJsonArray phases = w.array("phases");
        for (qsizetype p = 0; p < phases.size() && error.isEmpty(); ++p) {
            Reader ph(objectAt(phases, p, w.path(QStringLiteral("phases")), &error),
                      indexed(w.path(QStringLiteral("phases")), p), &error);
            if (!error.isEmpty())
                break;
            Phase phase;
            phase.atS = ph.real("at_s", 0, 0, MaxDurationS);
            phase.workers = ph.integer("workers", 0, 0, MaxWorkersTotal);
            phase.rampS = ph.real("ramp_s", 0, 0, MaxDurationS);
            ph.rejectUnknown();
            wl.phases.append(phase);
        }
        const QJsonArray steps = w.array("steps");
        for (qsizetype k = 0; k < steps.size() && error.isEmpty(); ++k) {
            const QJsonObject step = objectAt(steps, k, w.path(QStringLiteral("steps")), &error);
            if (error.isEmpty())
                wl.steps.append(readStep(step, indexed(w.path(QStringLiteral("steps")), k), &error));
        }
        w.rejectUnknown();
        s.workloads.append(wl);
    }
    if (r.has("requires") && error.isEmpty()) {
        Reader q(r.object("requires"), QStringLiteral("requires"), &error);
        s.needs.server = q.string("server");
        s.needs.poolMode = q.string("pool_mode");
        s.needs.reachMaxConnections = q.boolean("reach_max_connections", false);
        q.rejectUnknown();
        if (!s.needs.server.isEmpty() && s.needs.server != QLatin1String("pgbouncer") &&
            s.needs.server != QLatin1String("postgres") && error.isEmpty())
            error = QStringLiteral("requires.server: \"pgbouncer\" or \"postgres\"");
        if (!s.needs.poolMode.isEmpty() && s.needs.poolMode != QLatin1String("session") &&
            s.needs.poolMode != QLatin1String("transaction") &&
            s.needs.poolMode != QLatin1String("statement") && error.isEmpty())
            error = QStringLiteral("requires.pool_mode: \"session\", \"transaction\" or \"statement\"");
    }
    r.rejectUnknown();
    if (error.isEmpty())
        validate(s, &error);
    if (!error.isEmpty()) {
        if (errorOut)
            *errorOut = error;
        return std::nullopt;
    }
    return s;
}

std::optional<Scenario> scenarioFromJson(const QByteArray &json, QString *error)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError) {
        // Line and column help more than an offset in an editor.
        int line = 1, column = 1;
        for (int i = 0; i < pe.offset && i < json.size(); ++i) {
            if (json.at(i) == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        if (error)
            *error = QStringLiteral("not valid JSON at line %1, column %2: %3")
                         .arg(line)
                         .arg(column)
                         .arg(pe.errorString());
        return std::nullopt;
    }
    if (!doc.isObject()) {
        if (error)
            *error = QStringLiteral("a scenario is a JSON object");
        return std::nullopt;
    }
    return scenarioFromJson(doc.object(), error);
}

QJsonObject toJson(const Scenario &s)
{
    QJsonObject o;
    o.insert(QStringLiteral("name"), s.name);
    if (!s.title.isEmpty())
        o.insert(QStringLiteral("title"), s.title);
    if (!s.description.isEmpty())
        o.insert(QStringLiteral("description"), s.description);
    if (!s.expect.isEmpty())
        o.insert(QStringLiteral("expect"), s.expect);
    o.insert(QStringLiteral("duration_s"), s.durationS);
    if (!s.needs.isEmpty()) {
        QJsonObject needs;
        if (!s.needs.server.isEmpty())
            needs.insert(QStringLiteral("server"), s.needs.server);
        if (!s.needs.poolMode.isEmpty())
            needs.insert(QStringLiteral("pool_mode"), s.needs.poolMode);
        if (s.needs.reachMaxConnections)
            needs.insert(QStringLiteral("reach_max_connections"), true);
        o.insert(QStringLiteral("requires"), needs);
    }
    if (!s.setup.isEmpty()) {
        QJsonArray setup;
        for (const QByteArray &sql : s.setup)
            setup.append(QString::fromUtf8(sql));
        o.insert(QStringLiteral("setup"), setup);
    }
    QJsonArray apps;
    for (const AppConfig &a : s.apps) {
        QJsonObject app{{QStringLiteral("name"), a.name},
                        {QStringLiteral("processes"), a.processes},
                        {QStringLiteral("pool"), poolJson(a.pool)}};
        if (a.startSpreadMs > 0)
            app.insert(QStringLiteral("start_spread_ms"), a.startSpreadMs);
        app.insert(QStringLiteral("init_retry"), retryJson(a.initRetry));
        apps.append(app);
    }
    o.insert(QStringLiteral("apps"), apps);
    QJsonArray workloads;
    for (const Workload &w : s.workloads) {
        QJsonObject wl{{QStringLiteral("name"), w.name},
                       {QStringLiteral("app"), w.app},
                       {QStringLiteral("workers"), w.workers}};
        if (w.rate > 0)
            wl.insert(QStringLiteral("rate"), w.rate);
        if (w.errorPauseMs != 50)
            wl.insert(QStringLiteral("error_pause_ms"), w.errorPauseMs);
        if (w.retry.attempts > 0)
            wl.insert(QStringLiteral("retry"), retryJson(w.retry));
        if (!w.phases.isEmpty()) {
            QJsonArray phases;
            for (const Phase &p : w.phases) {
                QJsonObject ph{{QStringLiteral("at_s"), p.atS}, {QStringLiteral("workers"), p.workers}};
                if (p.rampS > 0)
                    ph.insert(QStringLiteral("ramp_s"), p.rampS);
                phases.append(ph);
            }
            wl.insert(QStringLiteral("phases"), phases);
        }
        QJsonArray steps;
        for (const Step &st : w.steps)
            steps.append(stepJson(st));
        wl.insert(QStringLiteral("steps"), steps);
        workloads.append(wl);
    }
    o.insert(QStringLiteral("workloads"), workloads);
    return o;
}

Scenario applyOverrides(Scenario s, const Overrides &o)
{
    if (o.durationS)
        s.durationS = *o.durationS;
    if (s.workloads.isEmpty())
        return s;
    Workload &w = s.workloads.first();
    if (o.clients) {
        const AppConfig *a = s.app(w.app);
        const int processes = a ? a->processes : 1;
        const int perProcess = std::max(0, (*o.clients + processes - 1) / processes);
        const int old = w.workers;
        w.workers = perProcess;
        for (Phase &p : w.phases)
            p.workers = old > 0 ? int(std::lround(double(p.workers) * perProcess / old)) : perProcess;
    }
    if (o.rate)
        w.rate = *o.rate;
    return s;
}

} // namespace poolscope::load
