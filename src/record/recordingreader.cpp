#include "recordingreader.h"

#include "recordingschema.h"
#include "sessioncodec.h"
#include "sqlitedb.h"

#include "core/sessionanalysis.h"

#include <QFileInfo>
#include <limits>
#include <sqlite3.h>

namespace poolscope::record {

namespace {

const char *const kSnapshotColumns =
    "SELECT s.id, s.target_id, s.t_ms, s.ok, s.kind, s.error, s.server_version, s.server_time, "
    "s.poolscope_sessions, s.max_connections, s.usable_connections, s.tps, s.commits_per_s, "
    "s.rollbacks_per_s, s.xact_commit, s.xact_rollback, s.sessions_killed, s.sessions_fatal, "
    "s.sessions_abandoned, t.name";

TargetKind kindFromName(const QString &name)
{
    for (const TargetKind k : {TargetKind::Postgres, TargetKind::PgBouncer, TargetKind::Pgpool})
        if (targetKindName(k) == name)
            return k;
    return TargetKind::Unknown;
}

/// The snapshot of the current row of a kSnapshotColumns statement, without sessions and pools.
TargetSnapshot snapshotOfRow(const Statement &s)
{
    TargetSnapshot t;
    t.target = s.text(19);
    t.sampledAtMs = s.int64(2);
    t.ok = s.int64(3) != 0;
    t.kind = kindFromName(s.text(4));
    if (!t.ok) {
        t.error.kind = ErrorKind::Connect;
        t.error.message = s.text(5);
    }
    t.serverVersion = s.text(6);
    t.tps = s.optReal(11);
    if (t.ok && !s.isNull(7)) {
        PostgresSample pg;
        pg.serverNow = s.real(7);
        pg.poolscopeSessions = int(s.optInt(8).value_or(0));
        if (const auto max = s.optInt(9)) {
            pg.maxConnections = int(*max);
            if (const auto usable = s.optInt(10))
                pg.superuserReserved = int(*max - *usable);
        }
        pg.commitsPerSecond = s.optReal(12);
        pg.rollbacksPerSecond = s.optReal(13);
        if (const auto v = s.optInt(14))
            pg.xactCommit = quint64(*v);
        if (const auto v = s.optInt(15))
            pg.xactRollback = quint64(*v);
        if (const auto v = s.optInt(16))
            pg.sessionsKilled = quint64(*v);
        if (const auto v = s.optInt(17))
            pg.sessionsFatal = quint64(*v);
        if (const auto v = s.optInt(18))
            pg.sessionsAbandoned = quint64(*v);
        t.postgres = pg;
    }
    return t;
}

} // namespace

RecordingReader::RecordingReader() : m_db(std::make_unique<SqliteDb>()) {}

RecordingReader::~RecordingReader() = default;

bool RecordingReader::open(const QString &path, QString *error)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        *error = QStringLiteral("%1: no such file").arg(path);
        return false;
    }
    if (!info.isFile() || !info.isReadable()) {
        *error = QStringLiteral("%1: cannot be read").arg(path);
        return false;
    }
    if (info.size() == 0) {
        *error = QStringLiteral("%1: not a PoolScope recording (the file is empty)").arg(path);
        return false;
    }
    QString why;
    if (!m_db->open(path, true, &why)) {
        *error = QStringLiteral("%1: cannot be opened: %2").arg(path, why);
        return false;
    }
    why = checkRecording(*m_db);
    if (!why.isEmpty()) {
        *error = QStringLiteral("%1: %2").arg(path, why);
        m_db->close();
        return false;
    }
    m_schemaVersion = int(m_db->scalar("PRAGMA user_version").value_or(0));
    return true;
}

QString RecordingReader::meta(const QString &key) const
{
    Statement s(*m_db, "SELECT value FROM meta WHERE key = ?");
    s.bind(0, key);
    return s.step() == SQLITE_ROW ? s.text(0) : QString();
}

QList<RecordedTarget> RecordingReader::targets() const
{
    QList<RecordedTarget> out;
    Statement s(*m_db, "SELECT id, name, kind FROM targets ORDER BY id");
    while (s.step() == SQLITE_ROW)
        out.append({int(s.int64(0)), s.text(1), s.text(2)});
    return out;
}

QList<RecordedSample> RecordingReader::samples(int targetId) const
{
    QList<RecordedSample> out;
    Statement s(*m_db,
                "SELECT id, target_id, t_ms, ok, kind, error, server_time, active, idle, "
                "idle_in_transaction, idle_in_transaction_aborted, other, hidden, sessions, "
                "usable_connections, tps FROM samples WHERE ?1 = 0 OR target_id = ?1 ORDER BY t_ms, id");
    s.bind(0, targetId);
    while (s.step() == SQLITE_ROW) {
        RecordedSample r;
        r.id = s.int64(0);
        r.targetId = int(s.int64(1));
        r.tMs = s.int64(2);
        r.ok = s.int64(3) != 0;
        r.kind = s.text(4);
        r.error = s.text(5);
        r.serverTime = s.optReal(6);
        if (!s.isNull(7)) {
            StateCounts c;
            for (int i = 0; i < SessionStateCount; ++i)
                c.byState[size_t(i)] = int(s.int64(7 + i));
            c.hidden = int(s.int64(12));
            r.counts = c;
        }
        if (const auto n = s.optInt(13))
            r.sessions = int(*n);
        if (const auto n = s.optInt(14))
            r.usableConnections = int(*n);
        r.tps = s.optReal(15);
        out.append(r);
    }
    return out;
}

qint64 RecordingReader::sampleCount() const
{
    return m_db->scalar("SELECT count(*) FROM samples").value_or(0);
}

std::optional<QList<Session>> RecordingReader::sessionsAt(qint64 sampleId, QString *error) const
{
    Statement sample(*m_db, "SELECT target_id, ok, server_time FROM samples WHERE id = ?");
    sample.bind(0, sampleId);
    if (sample.step() != SQLITE_ROW) {
        *error = QStringLiteral("no sample %1").arg(sampleId);
        return std::nullopt;
    }
    if (sample.int64(1) == 0 || sample.isNull(2)) {
        *error = QStringLiteral("sample %1 holds no sessions (a failed sample or a pooler)").arg(sampleId);
        return std::nullopt;
    }
    const qint64 targetId = sample.int64(0);
    Statement key(*m_db, "SELECT max(sample_id) FROM session_frames WHERE target_id = ? AND keyframe = 1 AND "
                         "sample_id <= ?");
    key.bind(0, targetId);
    key.bind(1, sampleId);
    if (key.step() != SQLITE_ROW || key.isNull(0)) {
        *error =
            QStringLiteral("no session keyframe before sample %1: the recording is damaged").arg(sampleId);
        return std::nullopt;
    }
    const qint64 from = key.int64(0);
    Statement frames(*m_db, "SELECT keyframe, data FROM session_frames WHERE target_id = ? AND sample_id "
                            "BETWEEN ? AND ? ORDER BY sample_id");
    frames.bind(0, targetId);
    frames.bind(1, from);
    frames.bind(2, sampleId);
    SessionFrameDecoder decoder;
    int rc = SQLITE_ROW;
    while ((rc = frames.step()) == SQLITE_ROW) {
        if (!decoder.apply(frames.blob(1), frames.int64(0) != 0, error))
            return std::nullopt;
    }
    if (rc != SQLITE_DONE) {
        *error = QStringLiteral("reading sessions: %1").arg(m_db->errorMessage());
        return std::nullopt;
    }
    return decoder.sessions();
}

QList<PoolStats> RecordingReader::poolsAt(qint64 sampleId) const
{
    QList<PoolStats> out;
    Statement s(*m_db, "SELECT database, user, pool_mode, pool_size, reserve_pool, cl_active, cl_waiting, "
                       "sv_active, sv_idle, sv_used, sv_tested, sv_login, maxwait_s, tps, qps FROM pools "
                       "WHERE sample_id = ? ORDER BY database, user");
    s.bind(0, sampleId);
    while (s.step() == SQLITE_ROW) {
        PoolStats p;
        p.database = s.text(0);
        p.user = s.text(1);
        if (!s.isNull(2))
            p.poolMode = s.text(2);
        p.poolSize = s.optInt(3);
        p.reservePool = s.optInt(4);
        p.clActive = s.optInt(5);
        p.clWaiting = s.optInt(6);
        p.svActive = s.optInt(7);
        p.svIdle = s.optInt(8);
        p.svUsed = s.optInt(9);
        p.svTested = s.optInt(10);
        p.svLogin = s.optInt(11);
        p.maxwaitSeconds = s.optReal(12);
        p.tps = s.optReal(13);
        p.qps = s.optReal(14);
        out.append(p);
    }
    return out;
}

QList<RecordingMarker> RecordingReader::markers() const
{
    QList<RecordingMarker> out;
    Statement s(*m_db, "SELECT t_ms, kind, target, label FROM markers ORDER BY t_ms, id");
    while (s.step() == SQLITE_ROW)
        out.append({s.int64(0), s.text(1), s.text(2), s.text(3)});
    return out;
}

std::optional<std::pair<qint64, PoolerRound>> RecordingReader::poolerRoundAt(int targetId, qint64 sampleId,
                                                                             QString *error) const
{
    if (m_schemaVersion < 2)
        return std::nullopt;
    Statement s(*m_db, "SELECT t_ms, data FROM pooler_rounds WHERE target_id = ? AND sample_id <= ? "
                       "ORDER BY sample_id DESC LIMIT 1");
    s.bind(0, targetId);
    s.bind(1, sampleId);
    if (s.step() != SQLITE_ROW)
        return std::nullopt;
    auto round = decodePoolerRound(s.blob(1), error);
    if (!round)
        return std::nullopt;
    return std::pair<qint64, PoolerRound>(s.int64(0), std::move(*round));
}

std::optional<TargetSnapshot> RecordingReader::snapshotAt(qint64 sampleId, QString *error) const
{
    const QByteArray sql = QByteArray(kSnapshotColumns) +
                           " FROM samples s JOIN targets t ON t.id = s.target_id "
                           "WHERE s.id = ?";
    Statement s(*m_db, sql.constData());
    s.bind(0, sampleId);
    if (s.step() != SQLITE_ROW) {
        *error = QStringLiteral("no sample %1").arg(sampleId);
        return std::nullopt;
    }
    TargetSnapshot t = snapshotOfRow(s);
    if (t.ok && t.serverVersion.isEmpty()) {
        // Written when it changed: the newest at or before this sample.
        Statement v(*m_db, "SELECT server_version FROM samples WHERE target_id = ? AND id <= ? AND "
                           "server_version IS NOT NULL ORDER BY id DESC LIMIT 1");
        v.bind(0, s.int64(1));
        v.bind(1, sampleId);
        if (v.step() == SQLITE_ROW)
            t.serverVersion = v.text(0);
    }
    if (t.postgres) {
        const auto sessions = sessionsAt(sampleId, error);
        if (!sessions)
            return std::nullopt;
        t.postgres->sessions = *sessions;
        analysis::summarizeSessions(*t.postgres);
    }
    if (t.ok && t.kind == TargetKind::PgBouncer) {
        t.bouncer = BouncerSample{};
        t.bouncer->pools = poolsAt(sampleId);
        QString why;
        if (const auto round = poolerRoundAt(int(s.int64(1)), sampleId, &why)) {
            t.bouncer->clients = round->second.clients;
            t.bouncer->servers = round->second.servers;
            t.bouncer->connectionsAtMs = round->first;
            t.bouncer->connectionsFresh = true; // a replay shows the round of each moment it shows
        } else if (!why.isEmpty()) {
            *error = why;
            return std::nullopt;
        }
    }
    return t;
}

bool RecordingReader::forEachSnapshot(int targetId, const std::function<void(const TargetSnapshot &)> &visit,
                                      QString *error) const
{
    return forEachSnapshot(targetId, std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max(),
                           visit, error);
}

bool RecordingReader::forEachSnapshot(int targetId, qint64 fromMs, qint64 toMs,
                                      const std::function<void(const TargetSnapshot &)> &visit,
                                      QString *error, const std::function<bool()> &stop) const
{
    // Frames are decoded from the newest keyframe at or before the first sample of the window.
    qint64 startId = 0;
    {
        Statement first(*m_db, "SELECT min(id) FROM samples WHERE target_id = ? AND t_ms >= ?");
        first.bind(0, targetId);
        first.bind(1, fromMs);
        if (first.step() != SQLITE_ROW || first.isNull(0))
            return true; // nothing in the window
        Statement key(*m_db, "SELECT max(sample_id) FROM session_frames WHERE target_id = ? AND keyframe = 1 "
                             "AND sample_id <= ?");
        key.bind(0, targetId);
        key.bind(1, first.int64(0));
        startId = key.step() == SQLITE_ROW && !key.isNull(0) ? key.int64(0) : first.int64(0);
    }
    const QByteArray sql = QByteArray(kSnapshotColumns) +
                           ", f.keyframe, f.data FROM samples s JOIN targets t ON t.id = s.target_id "
                           "LEFT JOIN session_frames f ON f.sample_id = s.id WHERE s.target_id = ? AND s.id "
                           ">= ? AND s.t_ms <= ? "
                           "ORDER BY s.id";
    Statement s(*m_db, sql.constData());
    s.bind(0, targetId);
    s.bind(1, startId);
    s.bind(2, toMs);
    SessionFrameDecoder decoder;
    // Written when it changed: the newest at or before the first sample read.
    QString version;
    {
        Statement v(*m_db, "SELECT server_version FROM samples WHERE target_id = ? AND id <= ? AND "
                           "server_version IS NOT NULL ORDER BY id DESC LIMIT 1");
        v.bind(0, targetId);
        v.bind(1, startId);
        if (v.step() == SQLITE_ROW)
            version = v.text(0);
    }
    int rc = SQLITE_ROW;
    while ((rc = s.step()) == SQLITE_ROW) {
        if (stop && stop()) {
            if (error)
                *error = QStringLiteral("cancelled");
            return false;
        }
        TargetSnapshot t = snapshotOfRow(s);
        if (!t.serverVersion.isEmpty())
            version = t.serverVersion;
        else if (t.ok)
            t.serverVersion = version;
        const bool inWindow = t.sampledAtMs >= fromMs;
        if (t.postgres) {
            if (!s.isNull(21) && !decoder.apply(s.blob(21), s.int64(20) != 0, error))
                return false;
            if (!inWindow)
                continue; // decoded for the frames after it; not shown
            t.postgres->sessions = decoder.sessions();
            analysis::summarizeSessions(*t.postgres);
        }
        if (!inWindow)
            continue;
        if (t.ok && t.kind == TargetKind::PgBouncer) {
            t.bouncer = BouncerSample{};
            t.bouncer->pools = poolsAt(s.int64(0));
        }
        visit(t);
    }
    if (rc != SQLITE_DONE) {
        *error = m_db->errorMessage();
        return false;
    }
    return true;
}

std::pair<qint64, qint64> RecordingReader::timeSpan() const
{
    Statement s(*m_db, "SELECT min(t_ms), max(t_ms) FROM samples");
    if (s.step() != SQLITE_ROW || s.isNull(0))
        return {0, 0};
    return {s.int64(0), s.int64(1)};
}

} // namespace poolscope::record
