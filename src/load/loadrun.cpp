#include "loadrun.h"

#include "core/auditlog.h"
#include "core/logging.h"
#include "core/taskpool.h"
#include "db/asyncconnection.h"
#include "load/requirements.h"
#include "load/target.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <algorithm>

namespace poolscope::load {

namespace {

constexpr int FinishPollMs = 50;
constexpr int SetupConnectTimeoutS = 10;
// Past a setup statement's deadline it is cancelled; a server that does not answer the cancel either loses
// the connection after this long.
constexpr int SetupCancelGraceMs = 2000;

QJsonObject summaryFields(const LoadSummary &s)
{
    QJsonObject errors;
    for (int i = 0; i < ErrorClassCount; ++i) {
        if (s.totals.errors[size_t(i)] > 0)
            errors.insert(errorClassName(ErrorClass(i)), double(s.totals.errors[size_t(i)]));
    }
    return {{QStringLiteral("scenario"), s.scenario},
            {QStringLiteral("duration_s"), std::round(s.durationS * 10) / 10},
            {QStringLiteral("stopped_early"), s.stoppedEarly},
            {QStringLiteral("transactions"), double(s.totals.transactions)},
            {QStringLiteral("connections_max"), s.connectionsMax},
            {QStringLiteral("errors"), errors}};
}

} // namespace

struct LoadRun::SetupConnection
{
    db::Interrupt interrupt;
    db::AsyncConnection conn{&interrupt};

    /// Any thread, never blocks: the task stops waiting at once, and cancels the statement it was running.
    void abort() { interrupt.trigger(); }
};

LoadRun::LoadRun(Options options, QObject *parent) : QObject(parent), m_options(std::move(options))
{
    qRegisterMetaType<LoadSample>();
    qRegisterMetaType<LoadSummary>();
    m_target = db::describe(db::parseConnInfo(m_options.conninfo));
    m_sampleTimer.setInterval(std::max(100, m_options.sampleIntervalMs));
    m_finishTimer.setInterval(FinishPollMs);
    connect(&m_sampleTimer, &QTimer::timeout, this, &LoadRun::onTick);
    connect(&m_finishTimer, &QTimer::timeout, this, [this] {
        if (m_engine && m_engine->isFinished())
            finish();
    });
}

LoadRun::~LoadRun()
{
    if (m_setup)
        m_setup->abort(); // the task ends on its own; its result goes nowhere
    if (m_state == State::Running) {
        m_engine->stop();
        m_stopRequested = true;
        finish(); // the audit log gets its end line; nobody listens any more
    }
}

double LoadRun::elapsedS() const
{
    return m_engine ? m_engine->elapsedS() : 0;
}

void LoadRun::start()
{
    if (m_state != State::Idle)
        return;
    m_state = State::Checking;
    m_summary = {};
    m_summary.scenario = m_options.scenario.name;
    m_summary.target = m_target;
    m_summary.clients = m_options.scenario.totalWorkers();
    // DNS, the setup connection and the user's setup SQL block: a task, reporting back through the event
    // loop.
    m_setup = std::make_shared<SetupConnection>();
    TaskPool::run(
        this, [options = m_options, setup = m_setup] { return preflight(options, *setup); },
        [this](const Preflight &result) { onPreflight(result); });
}

LoadRun::Preflight LoadRun::preflight(const Options &options, SetupConnection &setup)
{
    Preflight out;
    QString error;
    if (!validate(options.scenario, &error)) {
        out.failure = Failure::BadScenario;
        out.message = error;
        return out;
    }
    const db::ConnSpec spec = db::parseConnInfo(options.conninfo);
    if (!spec.isValid()) {
        out.failure = Failure::BadConnInfo;
        out.message = spec.parseError;
        return out;
    }
    const TargetCheck check = checkTarget(spec);
    if (!check.error.isEmpty()) {
        out.failure = Failure::Connect;
        out.message = check.error;
        return out;
    }
    if (!check.loopback && !options.allowRemote) {
        out.failure = Failure::RemoteNotAllowed;
        out.message =
            QStringLiteral("%1 is not on this machine (host %2). Simulated load is for systems you own: "
                           "confirm it (--allow-remote on the command line) to go ahead.")
                .arg(db::describe(spec), check.remoteHost);
        return out;
    }
    db::ConnectOptions co;
    co.applicationName = "poolscope-load-setup";
    co.connectTimeoutS = SetupConnectTimeoutS;
    DbError dbError;
    // Notices ("already exists, skipping") stay in the connection, never on stderr.
    db::AsyncConnection &conn = setup.conn;
    if (!conn.connect(spec, co, &dbError)) {
        out.failure = Failure::Connect;
        out.message = dbError.message;
        if (!dbError.hint.isEmpty())
            out.message += QLatin1Char(' ') + dbError.hint;
        out.interrupted = setup.interrupt.isTriggered();
        return out;
    }
    const QString version = QString::fromUtf8(PQparameterStatus(conn.handle(), "server_version"));
    out.serverKind = version.endsWith(QLatin1String("/bouncer")) ? QStringLiteral("pgbouncer")
                                                                 : QStringLiteral("postgres");
    if (out.serverKind == QLatin1String("pgbouncer") && QByteArray(PQdb(conn.handle())) == "pgbouncer") {
        out.failure = Failure::Connect;
        out.message =
            QStringLiteral("that is PgBouncer's admin console: point the load at a database behind it");
        return out;
    }
    if (!options.scenario.needs.isEmpty()) {
        const TargetFacts facts =
            readTargetFacts(options.scenario, conn, out.serverKind, spec, options.poolerConsoles,
                            &setup.interrupt, SetupConnectTimeoutS * 1000);
        const RequirementCheck check = checkRequirements(options.scenario, facts);
        out.unmet = check.wontHappen + check.unchecked;
        if (!check.wontHappen.isEmpty() && !options.force) {
            out.failure = Failure::Requirements;
            out.message = check.wontHappen.join(QLatin1Char('\n'));
            out.interrupted = setup.interrupt.isTriggered();
            return out;
        }
    }
    // statement_timeout only where the connection is ours alone: through a transaction pooler the setting
    // would stay on a server connection that the load's clients get next. Our own deadline holds anyway; on a
    // direct connection it comes after the server's, whose error message is the better one.
    const bool direct = out.serverKind == QLatin1String("postgres");
    const int deadlineMs = options.setupTimeoutMs + (direct ? SetupCancelGraceMs : 0);
    auto run = [&](const QByteArray &sql) {
        if (setup.interrupt.isTriggered()) {
            dbError = DbError{ErrorKind::Query, {}, QStringLiteral("interrupted")};
            return false;
        }
        const bool ok =
            bool(conn.run(sql, nullptr, QDeadlineTimer(deadlineMs), SetupCancelGraceMs, &dbError));
        // Cut short by stop(): the statement may still run (or wait for a lock) on the server, and closing
        // the socket does not stop it. Cancelled here, whenever the interrupt came; nobody waits for the
        // cancel.
        if (conn.lastRun().interrupted)
            TaskPool::post([request = conn.cancelRequest()] { request.send(); });
        return ok;
    };
    auto failed = [&](const QString &what) {
        out.failure = Failure::Setup;
        out.message =
            conn.lastRun().deadlinePassed
                ? QStringLiteral("%1 did not finish within %2 s").arg(what).arg(options.setupTimeoutMs / 1000)
                : QStringLiteral("%1 failed: %2").arg(what, dbError.message);
        out.interrupted = setup.interrupt.isTriggered();
        return out;
    };
    if (direct && !run("SET statement_timeout = " + QByteArray::number(options.setupTimeoutMs)))
        return failed(QStringLiteral("setting statement_timeout"));
    for (qsizetype i = 0; i < options.scenario.setup.size(); ++i) {
        if (!run(options.scenario.setup.at(i)))
            return failed(QStringLiteral("setup statement %1").arg(i + 1));
    }
    out.ok = true;
    return out;
}

void LoadRun::onPreflight(const Preflight &result)
{
    m_setup.reset();
    if (!result.ok || m_stopRequested) {
        m_state = State::Done;
        // A preflight that stop() cut short is a run stopped early, not a failure.
        if (!result.ok && !(result.interrupted && m_stopRequested)) {
            logging::get("load")->warn("load on {} not started: {}", m_target.toStdString(),
                                       result.message.toStdString());
            Q_EMIT failed(result.failure, result.message);
        } else {
            m_summary.stoppedEarly = true;
            Q_EMIT finished(m_summary);
        }
        return;
    }
    EngineOptions eo;
    eo.conninfo = m_options.conninfo;
    eo.scenario = m_options.scenario;
    eo.limits = m_options.limits;
    eo.threads = m_options.threads;
    m_engine = std::make_unique<Engine>(eo);
    QString error;
    if (!m_engine->start(&error)) {
        m_engine.reset();
        m_state = State::Done;
        Q_EMIT failed(Failure::BadScenario, error);
        return;
    }
    m_state = State::Running;
    m_lastElapsed = 0;
    m_warnings = result.unmet;
    for (const QString &w : std::as_const(m_warnings))
        logging::get("load")->warn("{}", w.toStdString());
    audit::record(QStringLiteral("load_start"), m_target,
                  {{QStringLiteral("scenario"), m_options.scenario.name},
                   {QStringLiteral("unmet_requirements"), QJsonArray::fromStringList(m_warnings)},
                   {QStringLiteral("clients"), m_summary.clients},
                   {QStringLiteral("duration_s"),
                    std::min(m_options.scenario.durationS, m_options.limits.maxDurationS)},
                   {QStringLiteral("server"), result.serverKind},
                   {QStringLiteral("connection_cap"), m_engine->connectionCap()}});
    m_sampleTimer.start();
    m_finishTimer.start();
    Q_EMIT started(m_target, result.serverKind);
}

void LoadRun::stop()
{
    if (m_state == State::Checking) {
        m_stopRequested = true;
        if (m_setup)
            m_setup->abort();
        return;
    }
    if (m_state != State::Running || m_stopRequested)
        return;
    m_stopRequested = true;
    logging::get("load")->info("load on {}: stop requested", m_target.toStdString());
    m_engine->requestStop();
}

void LoadRun::onTick()
{
    if (!m_engine)
        return;
    const Counters c = m_engine->takeCounters();
    m_summary.totals.merge(c);
    LoadSample s;
    s.timeMs = QDateTime::currentMSecsSinceEpoch();
    s.elapsedS = m_engine->elapsedS();
    s.durationS = std::min(m_options.scenario.durationS, m_options.limits.maxDurationS);
    // The last sample of a run may cover a sliver of a second: its rates are taken over at least 0.2 s so a
    // handful of transactions does not read as a spike.
    const double dt = std::max(0.2, s.elapsedS - m_lastElapsed);
    m_lastElapsed = s.elapsedS;
    s.tps = double(c.transactions) / dt;
    s.transactions = m_summary.totals.transactions;
    s.failed = m_summary.totals.failed;
    s.latency = percentiles(c.latency);
    s.hasLatency = c.latency.count() > 0;
    s.poolWait = percentiles(c.poolWait);
    s.hasPoolWait = c.poolWait.count() > 0;
    s.connectionsOpen = m_engine->openConnections();
    s.connectionsMax = m_engine->maxOpenConnections();
    s.workersActive = m_engine->activeWorkers();
    for (size_t i = 0; i < s.errorsPerSecond.size(); ++i) {
        s.errorsPerSecond[i] = double(c.errors[i]) / dt;
        s.errorsTotal[i] = m_summary.totals.errors[i];
    }
    Q_EMIT sampleReady(s);
}

void LoadRun::finish()
{
    m_sampleTimer.stop();
    m_finishTimer.stop();
    m_engine->stop(); // already finished: joins threads that have closed every connection
    onTick();         // the last part-second, so the samples add up to the summary
    m_summary.durationS = m_engine->elapsedS();
    m_summary.stoppedEarly = m_stopRequested;
    m_summary.connectionsMax = m_engine->maxOpenConnections();
    m_state = State::Done;
    audit::record(QStringLiteral("load_stop"), m_target, summaryFields(m_summary));
    logging::get("load")->info("load on {} ended: {} transactions in {:.1f} s, {} errors",
                               m_target.toStdString(), m_summary.totals.transactions, m_summary.durationS,
                               m_summary.totals.errorTotal());
    Q_EMIT finished(m_summary);
}

} // namespace poolscope::load
