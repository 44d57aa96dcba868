#pragma once

// Helpers of the load integration tests: run a scenario in-process while the test looks at the server and
// the pooler the way an engineer would (pg_stat_activity, SHOW POOLS).
#include "core/bouncerparsers.h"
#include "db/pg.h"
#include "load/loadrun.h"
#include "load/presets.h"

#include <QElapsedTimer>
#include <QMap>
#include <QSignalSpy>
#include <QTest>
#include <functional>
#include <memory>

namespace poolscope::test {

/// One load run driven from the test's thread; the test's own polling happens between event-loop turns.
class RunDriver
{
public:
    RunDriver(const QString &conninfo, load::Scenario scenario)
    {
        load::LoadRun::Options o;
        o.conninfo = conninfo;
        o.scenario = std::move(scenario);
        o.sampleIntervalMs = 500;
        run = std::make_unique<load::LoadRun>(o);
        QObject::connect(run.get(), &load::LoadRun::sampleReady, run.get(),
                         [this](const load::LoadSample &s) { samples.append(s); });
        QObject::connect(run.get(), &load::LoadRun::finished, run.get(), [this](const load::LoadSummary &s) {
            summary = s;
            done = true;
        });
        QObject::connect(run.get(), &load::LoadRun::failed, run.get(),
                         [this](load::LoadRun::Failure, const QString &message) {
                             failure = message;
                             done = true;
                         });
        QObject::connect(run.get(), &load::LoadRun::started, run.get(), [this] { running = true; });
    }

    /// Starts and waits until the engine runs (the setup done); false with `failure` otherwise.
    bool start()
    {
        run->start();
        QElapsedTimer t;
        t.start();
        while (!running && !done && t.elapsed() < 30000)
            QTest::qWait(20);
        return running;
    }

    /// Runs the event loop for `ms`, calling `poll` about every `everyMs` (poll returns false to stop early).
    void watch(int ms, int everyMs, const std::function<bool()> &poll)
    {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < ms && !done) {
            if (poll && !poll())
                return;
            QTest::qWait(everyMs);
        }
    }

    /// Waits for the end of the run (its duration, or after stop()).
    bool waitFinished(int ms = 30000)
    {
        QElapsedTimer t;
        t.start();
        while (!done && t.elapsed() < ms)
            QTest::qWait(20);
        return done && failure.isEmpty();
    }

    std::unique_ptr<load::LoadRun> run;
    QList<load::LoadSample> samples;
    load::LoadSummary summary;
    QString failure;
    bool running = false;
    bool done = false;
};

inline load::Scenario preset(const QString &name, double durationS)
{
    QString error;
    auto s = load::loadScenario(name, &error);
    if (!s)
        qFatal("preset %s: %s", qPrintable(name), qPrintable(error));
    load::Overrides o;
    o.durationS = durationS;
    return load::applyOverrides(*s, o);
}

inline db::PgConn connectOrDie(const QString &conninfo, const QByteArray &appName)
{
    db::ConnectOptions co;
    co.applicationName = appName;
    DbError e;
    db::PgConn c = db::connect(db::parseConnInfo(conninfo), co, &e);
    if (!c)
        qFatal("cannot connect: %s", qPrintable(e.message));
    return c;
}

/// Sessions of an application by state ("idle in transaction" -> 8), from pg_stat_activity.
inline QMap<QString, int> sessionsByState(PGconn *monitor, const QByteArray &applicationName)
{
    QMap<QString, int> out;
    const char *values[] = {applicationName.constData()};
    db::PgResult r(PQexecParams(monitor,
                                "SELECT coalesce(state, ''), count(*) FROM pg_stat_activity "
                                "WHERE application_name = $1 AND backend_type = 'client backend' GROUP BY 1",
                                1, nullptr, values, nullptr, nullptr, 0));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        qFatal("pg_stat_activity: %s", PQresultErrorMessage(r.get()));
    for (int i = 0; i < PQntuples(r.get()); ++i)
        out.insert(QString::fromUtf8(PQgetvalue(r.get(), i, 0)),
                   QByteArray(PQgetvalue(r.get(), i, 1)).toInt());
    return out;
}

inline int total(const QMap<QString, int> &byState)
{
    int n = 0;
    for (int v : byState)
        n += v;
    return n;
}

/// SHOW POOLS row of database `db`, user `user`.
inline PoolStats showPool(PGconn *console, const QString &dbName, const QString &user)
{
    DbError e;
    db::PgResult r = db::exec(console, "SHOW POOLS", &e);
    if (!r)
        qFatal("SHOW POOLS: %s", qPrintable(e.message));
    for (const PoolStats &p : parsers::parseShowPools(db::toTable(r.get()))) {
        if (p.database == dbName && p.user == user)
            return p;
    }
    return {};
}

inline std::uint64_t errorsOf(const load::LoadSummary &s, load::ErrorClass c)
{
    return s.totals.errors[size_t(c)];
}

inline QString errorsText(const load::LoadSummary &s)
{
    QStringList parts;
    for (int i = 0; i < load::ErrorClassCount; ++i) {
        if (s.totals.errors[size_t(i)] > 0)
            parts.append(load::errorClassName(load::ErrorClass(i)) + QLatin1Char('=') +
                         QString::number(s.totals.errors[size_t(i)]) + QStringLiteral(" (") +
                         s.totals.examples[size_t(i)] + QLatin1Char(')'));
    }
    return QStringLiteral("transactions=%1 errors: %2")
        .arg(s.totals.transactions)
        .arg(parts.join(QStringLiteral(", ")));
}

} // namespace poolscope::test
