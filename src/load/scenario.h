#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

namespace poolscope::load {

/// The application-side pool a simulated app process uses, modelled on the Python pools where the incidents
/// happen (see the data sources reference, section 7). Each keeps its library's behaviour:
/// - None: every worker owns one connection, opened on first use and kept across requests ("disconnect"
///   closes it: connection churn).
/// - QueuePool (SQLAlchemy): at most pool_size + max_overflow checked out; further checkouts wait up to
///   `timeout` and fail with "QueuePool limit of size N overflow M reached, connection timed out". Only
///   pool_size idle connections are kept; overflow connections are closed when returned.
/// - Threaded (psycopg2 ThreadedConnectionPool): opens minconn at start; getconn() with maxconn in use
///   raises "connection pool exhausted" at once (no wait); connections beyond minconn close on putconn.
/// - PsycopgPool (psycopg_pool.ConnectionPool): keeps min_size open (re-opened in the background with
///   backoff when they fail), grows to max_size in the background; getconn() waits up to `timeout`
///   ("couldn't get a connection after N sec"), or fails at once with max_waiting requests already queued.
enum class PoolKind
{
    None,
    QueuePool,
    Threaded,
    PsycopgPool,
};

/// What a pool does with a connection given back inside a transaction. Rollback: what the libraries do
/// (SQLAlchemy reset_on_return, psycopg2 putconn, psycopg_pool's "rolling back returned connection").
/// None: hand-rolled reuse, so the next borrower inherits the open transaction (the INTRANS leak).
enum class ResetOnReturn
{
    Rollback,
    None,
};

struct PoolConfig
{
    PoolKind kind = PoolKind::None;
    int size = 5;          // QueuePool pool_size, Threaded minconn, PsycopgPool min_size
    int maxOverflow = 10;  // QueuePool only; -1: unlimited
    int maxSize = 0;       // Threaded maxconn, PsycopgPool max_size (0: same as size)
    int timeoutMs = 30000; // QueuePool / PsycopgPool: how long a checkout waits
    int maxWaiting = 0;    // PsycopgPool: requests allowed to queue, 0 unlimited
    bool prePing = false;  // test an idle connection with SELECT 1 before handing it out; replace it if dead
    ResetOnReturn reset = ResetOnReturn::Rollback;

    /// Connections the pool may have open at once (INT_MAX when unlimited).
    int capacity() const;
    /// Idle connections kept when one is returned; the rest are closed.
    int keepIdle() const;
    /// Connections opened when the app process starts.
    int openAtStart() const;
    /// A failed checkout waits (QueuePool, PsycopgPool) rather than failing at once (Threaded).
    bool waits() const { return kind == PoolKind::QueuePool || kind == PoolKind::PsycopgPool; }
};

/// Retries with exponential backoff and jitter: attempt k (from 1) waits min(maxMs, baseMs * 2^(k-1)),
/// shortened by up to `jitter` of itself at random (0: none, 1: "full jitter").
struct RetryPolicy
{
    int attempts = 0; // retries after the first failure; 0: none
    int baseMs = 100;
    int maxMs = 10000;
    double jitter = 0.5;

    /// The wait before retry `attempt` (1-based) for a uniform random number `unit` in [0, 1).
    int delayMs(int attempt, double unit) const;
};

/// N identical app processes, each with its own pool (SQLAlchemy engine, psycopg2 pool...).
struct AppConfig
{
    QString name; // also the connections' application_name (see applicationName())
    int processes = 1;
    int startSpreadMs = 0; // processes start at random times over this span; 0: all at once
    PoolConfig pool;
    RetryPolicy initRetry; // the pool's own (re)connects at start: psycopg_pool's reconnect backoff

    QByteArray applicationName() const; // "poolscope-load-<name>", at most 63 bytes
};

enum class StepKind
{
    Checkout,    // take a connection from the app pool now (SQL steps do it implicitly)
    Return,      // give it back (the pool resets it per its reset policy)
    Query,       // run `sql` (any statement, simple protocol)
    Think,       // wait ms +- jitterMs, holding whatever is checked out (idle, or idle in transaction)
    Leak,        // forget the connection without returning it: its slot and session stay taken for good
    Disconnect,  // close the connection (the pool's slot frees up): with pool "none", churn
    RequireIdle, // fail unless the connection is outside a transaction (psycopg's "can't change
                 // 'autocommit' now: connection in transaction status INTRANS")
};

/// One step of a workload's request. In JSON also "begin" / "commit" / "rollback" (queries), "hold" (think)
/// and "slow_query" with "ms" (SELECT pg_sleep).
struct Step
{
    StepKind kind = StepKind::Query;
    QByteArray sql;
    int ms = 0;
    int jitterMs = 0;
    // think/hold: "distribution": "exponential", ms is the mean (the planner's M/M/c)
    bool exponential = false;
    double chance = 1.0; // the step runs with this probability (e.g. a leak in 1 request of 20)
};

/// The number of workers running from `atS` seconds into the run; with rampS > 0 the count moves linearly
/// from the previous phase's count over that many seconds.
struct Phase
{
    double atS = 0;
    int workers = 0;
    double rampS = 0;
};

/// Workers that repeat `steps` (one request, counted as one transaction when every step succeeded).
struct Workload
{
    QString name;
    QString app;           // AppConfig::name
    int workers = 1;       // per app process
    double rate = 0;       // requests per second over all the workload's workers (Poisson); 0: closed loop
    QList<Phase> phases;   // workers per process over time; empty: all of them from the start
    RetryPolicy retry;     // a failed request is retried from its first step
    int errorPauseMs = 50; // after a request failed for good, before the next one (a client's pace)
    QList<Step> steps;

    /// Workers per process wanted at `t` seconds into the run.
    int workersAt(double t) const;
};

/// Where a scenario can reproduce what it models ("requires" in JSON). A run checks its target against
/// them first (load/requirements.h) and says what will not happen.
struct Requirements
{
    QString server;                   // "pgbouncer": a PgBouncer in front; "postgres": PostgreSQL itself
    QString poolMode;                 // PgBouncer's pool_mode for the target database: "session", ...
    bool reachMaxConnections = false; // its connections must fill the server's max_connections

    bool isEmpty() const { return server.isEmpty() && poolMode.isEmpty() && !reachMaxConnections; }
};

struct Scenario
{
    QString name;        // preset or file name, e.g. "psycopg2-leak"
    QString title;       // one line for people
    QString description; // what it models
    QString expect;      // what to look for on the charts (client errors, server / pooler signature)
    double durationS = 30;
    QList<QByteArray> setup; // statements run once, in order, before the run (CREATE TABLE IF NOT EXISTS...)
    QList<AppConfig> apps;
    QList<Workload> workloads;
    Requirements needs;

    const AppConfig *app(const QString &name) const;
    /// Workers over all workloads and processes (at their largest phase).
    int totalWorkers() const;
    /// Connections it may hold open at once over all apps (INT_MAX when a leak without a pool makes it
    /// unbounded): each process's pool capacity, or its workers when fewer.
    int maxConnections() const;
};

/// Parses and validates a scenario (the JSON format is described in README.md, "Simulated load"). Every
/// problem is reported with its path, e.g. "workloads[0].steps[2]: unknown step \"qurey\"".
std::optional<Scenario> scenarioFromJson(const QJsonObject &json, QString *error);
std::optional<Scenario> scenarioFromJson(const QByteArray &json, QString *error);
/// The same format, so a preset can be saved, edited and read back.
QJsonObject toJson(const Scenario &scenario);

/// Checks limits and references; scenarioFromJson() calls it, and so must anyone who edits a Scenario.
bool validate(const Scenario &scenario, QString *error);

/// Command-line and GUI overrides: `clients` sets the first workload's workers over all its processes
/// (phases scaled alike), `rate` its request rate, `durationS` the run's length.
struct Overrides
{
    std::optional<int> clients;
    std::optional<double> rate;
    std::optional<double> durationS;
};
Scenario applyOverrides(Scenario scenario, const Overrides &overrides);

QString poolKindName(PoolKind kind); // "none", "queuepool", "psycopg2", "psycopg_pool"
QString stepKindName(StepKind kind);

} // namespace poolscope::load
