#include "recordingwriter.h"

#include "poolercodec.h"
#include "sessioncodec.h"
#include "sqlitedb.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStorageInfo>
#include <sqlite3.h>

namespace poolscope::record {

namespace {

// Written for every sample: prepared once (SqliteDb::cached).
const char *const kBegin = "BEGIN IMMEDIATE";
const char *const kCommit = "COMMIT";
const char *const kUpdateKind = "UPDATE targets SET kind = ? WHERE id = ?";
const char *const kInsertAudit = "INSERT INTO audit(t_ms, action, target, json) VALUES(?,?,?,?)";
const char *const kInsertSample =
    "INSERT INTO samples(target_id, t_ms, ok, kind, error, server_version, server_time, active, idle, "
    "idle_in_transaction, idle_in_transaction_aborted, other, hidden, sessions, poolscope_sessions, "
    "max_connections, usable_connections, lock_waiting, oldest_xact_age_s, tps, commits_per_s, "
    "rollbacks_per_s, xact_commit, xact_rollback, sessions_killed, sessions_fatal, sessions_abandoned) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
const char *const kInsertFrame =
    "INSERT INTO session_frames(sample_id, target_id, keyframe, changes, data) VALUES(?,?,?,?,?)";
const char *const kInsertPool =
    "INSERT OR REPLACE INTO pools(sample_id, database, user, pool_mode, pool_size, reserve_pool, cl_active, "
    "cl_waiting, sv_active, sv_idle, sv_used, sv_tested, sv_login, maxwait_s, tps, qps) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
const char *const kInsertRound =
    "INSERT INTO pooler_rounds(sample_id, target_id, t_ms, clients, servers, data) VALUES(?,?,?,?,?,?)";
const char *const kUpsertFinding =
    "INSERT OR REPLACE INTO findings(id, target_id, rule, subject, severity, layer, status, since_ms, "
    "raised_at_ms, last_seen_ms, ended_at_ms, summary, json) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)";

bool succeeded(int rc)
{
    return rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW;
}

QString sizeText(qint64 bytes)
{
    if (bytes < 1024 * 1024)
        return QStringLiteral("%1 KiB").arg(bytes / 1024);
    return QStringLiteral("%1 MiB").arg(double(bytes) / 1048576.0, 0, 'f', 1);
}

} // namespace

struct RecordingWriter::Pending
{
    qint64 auditOffset = 0;
    std::optional<QString> version;  // written with this sample
    std::optional<QByteArray> round; // the pooler connection round written with this sample
};

RecordingWriter::RecordingWriter() = default;

RecordingWriter::~RecordingWriter()
{
    if (isOpen())
        close(QDateTime::currentMSecsSinceEpoch());
}

bool RecordingWriter::isOpen() const
{
    return m_db && m_db->isOpen();
}

bool RecordingWriter::create(const QString &path, const QStringList &targets, const WriterOptions &options,
                             QString *error)
{
    if (QFileInfo::exists(path)) {
        *error = QStringLiteral("%1 already exists; choose another file (a recording is never overwritten)")
                     .arg(path);
        return false;
    }
    m_db = std::make_unique<SqliteDb>();
    QString why;
    if (!m_db->open(path, false, &why)) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, why);
        m_db.reset();
        return false;
    }
    auto fail = [&](const QString &what) {
        *error = QStringLiteral("cannot create %1: %2: %3").arg(path, what, m_db->errorMessage());
        m_db.reset();
        QFile::remove(path);
        return false;
    };
    if (m_db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") != SQLITE_OK)
        return fail(QStringLiteral("WAL mode"));
    if (createSchema(*m_db) != SQLITE_OK)
        return fail(QStringLiteral("schema"));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    {
        Statement meta(*m_db, "INSERT INTO meta(key, value) VALUES(?, ?)");
        const QList<std::pair<QString, QString>> rows{
            {QStringLiteral("format"), QStringLiteral("poolscope-recording")},
            {QStringLiteral("schema_version"), QString::number(SchemaVersion)},
            {QStringLiteral("created_by"), QStringLiteral("poolscope " POOLSCOPE_VERSION)},
            {QStringLiteral("started_ms"), QString::number(now)},
            {QStringLiteral("interval_ms"), QString::number(options.intervalMs)},
            {QStringLiteral("keyframe_every"), QString::number(options.keyframeEvery)}};
        for (const auto &[k, v] : rows) {
            meta.bind(0, k);
            meta.bind(1, v);
            if (!succeeded(meta.run()))
                return fail(QStringLiteral("meta"));
        }
        Statement target(*m_db, "INSERT INTO targets(id, name, kind) VALUES(?, ?, 'unknown')");
        for (int i = 0; i < targets.size(); ++i) {
            target.bind(0, i + 1);
            target.bind(1, targets.at(i));
            if (!succeeded(target.run()))
                return fail(QStringLiteral("targets"));
        }
    }
    if (options.maxBytes > 0) {
        const qint64 pageSize = m_db->scalar("PRAGMA page_size").value_or(4096);
        const QByteArray pragma =
            "PRAGMA max_page_count = " + QByteArray::number(options.maxBytes / pageSize);
        m_db->exec(pragma.constData());
    }
    m_path = path;
    m_options = options;
    m_targets = targets;
    m_encoders.clear();
    for (int i = 0; i < targets.size(); ++i)
        m_encoders.push_back(std::make_unique<SessionFrameEncoder>());
    m_kinds.assign(size_t(targets.size()), QStringLiteral("unknown"));
    m_versions.assign(size_t(targets.size()), QString());
    if (!options.auditPath.isEmpty())
        m_auditOffset = QFileInfo(options.auditPath).size(); // actions from now on
    writeMarker(now, QStringLiteral("recording_start"), {}, {});
    return true;
}

int RecordingWriter::writeMarker(qint64 atMs, const QString &kind, const QString &target,
                                 const QString &label)
{
    Statement s(*m_db, "INSERT INTO markers(t_ms, kind, target, label) VALUES(?,?,?,?)");
    s.bind(0, atMs);
    s.bind(1, kind);
    if (target.isEmpty())
        s.bindNull(2);
    else
        s.bind(2, target);
    s.bind(3, label);
    return s.run();
}

int RecordingWriter::writeAudit(qint64 *newOffset, QList<QByteArray> *lines)
{
    *newOffset = m_auditOffset;
    if (m_options.auditPath.isEmpty())
        return SQLITE_OK;
    // Asked at every sample: a stat, and the file opened only when it grew.
    const QFileInfo info(m_options.auditPath);
    if (!info.exists() || info.size() == m_auditOffset)
        return SQLITE_OK; // no audit log yet, or nothing new
    QFile f(m_options.auditPath);
    if (!f.open(QIODevice::ReadOnly))
        return SQLITE_OK;
    if (f.size() < m_auditOffset)
        m_auditOffset = 0; // rotated or truncated
    if (f.size() == m_auditOffset)
        return SQLITE_OK;
    f.seek(m_auditOffset);
    const QByteArray chunk = f.read(f.size() - m_auditOffset);
    const qsizetype end = chunk.lastIndexOf('\n');
    if (end < 0)
        return SQLITE_OK; // a line being written: next time
    *newOffset = m_auditOffset + end + 1;
    Statement &audit = m_db->cached(kInsertAudit);
    for (const QByteArray &line : chunk.left(end).split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        const QDateTime t =
            QDateTime::fromString(o.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
        const qint64 ms = t.isValid() ? t.toMSecsSinceEpoch() : QDateTime::currentMSecsSinceEpoch();
        const QString action = o.value(QStringLiteral("action")).toString();
        const QString target = o.value(QStringLiteral("target")).toString();
        audit.bind(0, ms);
        audit.bind(1, action);
        audit.bind(2, target);
        audit.bind(3, QString::fromUtf8(line));
        if (const int rc = audit.run(); !succeeded(rc))
            return rc;
        if (action == QLatin1String("load_start") || action == QLatin1String("load_stop")) {
            const QString label = o.value(QStringLiteral("scenario")).toString();
            if (const int rc = writeMarker(ms, action, target, label); !succeeded(rc))
                return rc;
        }
        lines->append(line);
    }
    return SQLITE_OK;
}

int RecordingWriter::writeSample(int targetId, const TargetSnapshot &s, const QList<findings::Finding> &found,
                                 qint64 nowMs, Pending &pending)
{
    const QString kind = targetKindName(s.kind);
    if (s.ok && kind != m_kinds[size_t(targetId - 1)]) {
        Statement &k = m_db->cached(kUpdateKind);
        k.bind(0, kind);
        k.bind(1, targetId);
        if (const int rc = k.run(); !succeeded(rc))
            return rc;
    }
    Statement &ins = m_db->cached(kInsertSample);
    int c = 0;
    ins.bind(c++, targetId);
    ins.bind(c++, s.sampledAtMs);
    ins.bind(c++, s.ok ? 1 : 0);
    ins.bind(c++, kind);
    if (s.ok)
        ins.bindNull(c++);
    else
        ins.bind(c++, s.error.message);
    // The version once per change, not on every sample (it is ~30 bytes: 3 MiB a day at 1 Hz).
    QString &lastVersion = m_versions[size_t(targetId - 1)];
    if (s.ok && s.serverVersion != lastVersion) {
        ins.bind(c++, s.serverVersion);
        pending.version = s.serverVersion;
    } else {
        ins.bindNull(c++);
    }
    const PostgresSample *pg = s.ok && s.postgres ? &*s.postgres : nullptr;
    if (pg) {
        ins.bind(c++, pg->serverNow);
        for (const SessionState st : AllSessionStates)
            ins.bind(c++, pg->counts[st]);
        ins.bind(c++, pg->counts.hidden);
        ins.bind(c++, int(pg->sessions.size()));
        ins.bind(c++, pg->poolscopeSessions);
        ins.bind(c++, pg->maxConnections);
        ins.bind(c++, pg->usableConnections());
        ins.bind(c++, pg->lockWaiting);
        ins.bind(c++, pg->oldestXactAge());
        ins.bind(c++, s.tps);
        ins.bind(c++, pg->commitsPerSecond);
        ins.bind(c++, pg->rollbacksPerSecond);
        ins.bind(c++, pg->xactCommit);
        ins.bind(c++, pg->xactRollback);
        ins.bind(c++, pg->sessionsKilled);
        ins.bind(c++, pg->sessionsFatal);
        ins.bind(c++, pg->sessionsAbandoned);
    } else {
        for (; c < 27; ++c)
            ins.bindNull(c);
        ins.bind(19, s.tps);
    }
    if (const int rc = ins.run(); !succeeded(rc))
        return rc;
    const qint64 sampleId = sqlite3_last_insert_rowid(m_db->handle());

    SessionFrameEncoder &encoder = *m_encoders[size_t(targetId - 1)];
    if (pg) {
        if (const auto frame = encoder.encode(pg->sessions, m_options.keyframeEvery)) {
            Statement &f = m_db->cached(kInsertFrame);
            f.bind(0, sampleId);
            f.bind(1, targetId);
            f.bind(2, frame->keyframe ? 1 : 0);
            f.bind(3, frame->changes);
            f.bindBlob(4, frame->data);
            if (const int rc = f.run(); !succeeded(rc))
                return rc;
        }
    } else {
        encoder.reset(); // a gap: the next session list is stored whole
    }

    if (s.ok && s.bouncer) {
        Statement &p = m_db->cached(kInsertPool);
        for (const PoolStats &pool : s.bouncer->pools) {
            int i = 0;
            p.bind(i++, sampleId);
            p.bind(i++, pool.database);
            p.bind(i++, pool.user);
            p.bind(i++, pool.poolMode);
            p.bind(i++, pool.poolSize);
            p.bind(i++, pool.reservePool);
            p.bind(i++, pool.clActive);
            p.bind(i++, pool.clWaiting);
            p.bind(i++, pool.svActive);
            p.bind(i++, pool.svIdle);
            p.bind(i++, pool.svUsed);
            p.bind(i++, pool.svTested);
            p.bind(i++, pool.svLogin);
            p.bind(i++, pool.maxwaitSeconds);
            p.bind(i++, pool.tps);
            p.bind(i++, pool.qps);
            if (const int rc = p.run(); !succeeded(rc))
                return rc;
        }
    }

    if (s.ok && s.bouncer && s.bouncer->connectionsFresh && (s.bouncer->clients || s.bouncer->servers)) {
        const auto last = m_rounds.constFind(targetId);
        if (last == m_rounds.cend() || nowMs - last->atMs >= PoolerRoundEveryMs) {
            const QList<BouncerConnection> none;
            const QList<BouncerConnection> &clients = s.bouncer->clients ? *s.bouncer->clients : none;
            const QList<BouncerConnection> &servers = s.bouncer->servers ? *s.bouncer->servers : none;
            QByteArray data = encodePoolerRound(clients, servers);
            if (last == m_rounds.cend() || data != last->data) {
                Statement &r = m_db->cached(kInsertRound);
                r.bind(0, sampleId);
                r.bind(1, targetId);
                r.bind(2, s.bouncer->connectionsAtMs > 0 ? s.bouncer->connectionsAtMs : s.sampledAtMs);
                r.bind(3, int(clients.size()));
                r.bind(4, int(servers.size()));
                r.bindBlob(5, data);
                if (const int rc = r.run(); !succeeded(rc))
                    return rc;
                pending.round = std::move(data);
            }
        }
    }

    Statement &fs = m_db->cached(kUpsertFinding);
    for (const findings::Finding &f : found) {
        QByteArray signature = findings::statusName(f.status).toUtf8() + '|' +
                               findings::severityName(f.severity).toUtf8() + '|' +
                               QByteArray::number(f.lastSeenMs) + '|' +
                               QByteArray::number(f.endedAtMs.value_or(-1)) + '|' + f.summary.toUtf8();
        if (m_findingSignatures.value(f.id) == signature)
            continue;
        int i = 0;
        fs.bind(i++, qint64(f.id));
        fs.bind(i++, targetId);
        fs.bind(i++, f.rule);
        fs.bind(i++, f.subject);
        fs.bind(i++, findings::severityName(f.severity));
        fs.bind(i++, findings::layerName(f.layer));
        fs.bind(i++, findings::statusName(f.status));
        fs.bind(i++, f.sinceMs);
        fs.bind(i++, f.raisedAtMs);
        fs.bind(i++, f.lastSeenMs);
        fs.bind(i++, f.endedAtMs);
        fs.bind(i++, f.summary);
        fs.bind(i++, QString::fromUtf8(QJsonDocument(findings::toJson(f)).toJson(QJsonDocument::Compact)));
        if (const int rc = fs.run(); !succeeded(rc))
            return rc;
        m_findingSignatures.insert(f.id, signature);
    }

    QList<QByteArray> lines;
    if (const int rc = writeAudit(&pending.auditOffset, &lines); !succeeded(rc))
        return rc;
    Q_UNUSED(nowMs);
    if (s.ok)
        m_kinds[size_t(targetId - 1)] = kind;
    return SQLITE_OK;
}

bool RecordingWriter::addSample(int targetId, const TargetSnapshot &snapshot,
                                const QList<findings::Finding> &found, qint64 nowMs)
{
    if (!isOpen() || targetId < 1 || targetId > int(m_encoders.size()))
        return false;
    if (m_paused && nowMs - m_lastAttemptMs < m_options.retryMs) {
        ++m_lost;
        ++m_lostInPause;
        return false;
    }
    m_lastAttemptMs = nowMs;
    int rc = SQLITE_OK;
    if (!m_inBatch) {
        rc = m_db->cached(kBegin).run();
        if (!succeeded(rc)) {
            ++m_lost;
            ++m_lostInPause;
            pause(rc, m_db->errorMessage(), nowMs);
            return false;
        }
        m_inBatch = true;
        m_batchStartMs = nowMs;
        m_batchSamples = 0;
        m_batchAuditOffset = m_auditOffset;
    }
    Pending pending;
    if (m_paused) {
        rc = writeMarker(m_pausedAtMs, QStringLiteral("recording_paused"), {}, m_pauseReason);
        if (succeeded(rc))
            rc = writeMarker(nowMs, QStringLiteral("recording_resumed"), {},
                             QStringLiteral("%1 samples not recorded").arg(m_lostInPause));
    }
    if (succeeded(rc))
        rc = writeSample(targetId, snapshot, found, nowMs, pending);
    if (!succeeded(rc)) {
        abandonBatch(rc, nowMs, 1);
        return false;
    }
    m_auditOffset = pending.auditOffset;
    if (pending.version)
        m_versions[size_t(targetId - 1)] = *pending.version;
    if (pending.round)
        m_rounds.insert(targetId, {*pending.round, nowMs});
    m_paused = false;
    m_pauseReason.clear();
    m_lostInPause = 0;
    ++m_written;
    ++m_batchSamples;
    if (m_options.commitEveryMs <= 0 || nowMs - m_batchStartMs >= m_options.commitEveryMs)
        return flush(nowMs);
    return true;
}

bool RecordingWriter::flush(qint64 nowMs)
{
    if (!m_inBatch || !isOpen())
        return true;
    if (const int rc = m_db->cached(kCommit).run(); !succeeded(rc)) {
        abandonBatch(rc, nowMs, 0);
        return false;
    }
    m_inBatch = false;
    return true;
}

void RecordingWriter::abandonBatch(int rc, qint64 nowMs, int failedSamples)
{
    const QString why = m_db->errorMessage(); // before the rollback replaces it
    if (m_inBatch)
        m_db->exec("ROLLBACK");
    m_inBatch = false;
    // The samples of the transaction were counted as written: they were not.
    m_written -= m_batchSamples;
    m_lost += m_batchSamples + failedSamples;
    m_lostInPause += m_batchSamples + failedSamples;
    m_batchSamples = 0;
    m_auditOffset = m_batchAuditOffset;
    for (QString &k : m_kinds)
        k.clear(); // written again with the next sample
    pause(rc, why, nowMs);
}

void RecordingWriter::pause(int rc, const QString &why, qint64 nowMs)
{
    // What was held in memory may not be in the file: store everything whole again once writing resumes.
    for (auto &e : m_encoders)
        e->reset();
    m_findingSignatures.clear();
    m_rounds.clear();
    for (QString &v : m_versions)
        v.clear();
    if (m_paused)
        return;
    m_paused = true;
    m_pausedAtMs = nowMs;
    // SQLITE_FULL is both max_page_count reached and ENOSPC: with room left on the disk, it was the limit.
    const qint64 diskFree = QStorageInfo(QFileInfo(m_path).absolutePath()).bytesAvailable();
    if (rc == SQLITE_FULL && m_options.maxBytes > 0 && diskFree > 4 * 1024 * 1024)
        m_pauseReason =
            QStringLiteral("the file reached its size limit of %1").arg(sizeText(m_options.maxBytes));
    else if (rc == SQLITE_FULL)
        m_pauseReason = QStringLiteral("the disk is full (%1)").arg(why);
    else
        m_pauseReason = QStringLiteral("cannot write: %1").arg(why);
}

namespace {

int prune(SqliteDb &db, qint64 beforeMs)
{
    // Per target, the newest keyframe at or before the cutoff: samples from it on stay.
    const char *const steps[] = {
        "CREATE TEMP TABLE IF NOT EXISTS prune_keep(target_id INTEGER PRIMARY KEY, from_id INTEGER)",
        "DELETE FROM temp.prune_keep",
        "INSERT INTO temp.prune_keep SELECT t.id, coalesce((SELECT max(f.sample_id) FROM session_frames f "
        "JOIN samples s ON s.id = f.sample_id WHERE f.target_id = t.id AND f.keyframe = 1 AND s.t_ms <= ?1), "
        "(SELECT min(s.id) FROM samples s WHERE s.target_id = t.id AND s.t_ms > ?1), 1 << 62) FROM targets t",
        "DELETE FROM session_frames WHERE sample_id < (SELECT from_id FROM temp.prune_keep k WHERE "
        "k.target_id = session_frames.target_id)",
        "DELETE FROM pools WHERE sample_id IN (SELECT s.id FROM samples s JOIN temp.prune_keep k ON "
        "k.target_id = s.target_id WHERE s.id < k.from_id)",
        // The newest connection round at or before a target's first kept sample stays: it stands for the
        // samples until the next one.
        "DELETE FROM pooler_rounds WHERE sample_id < (SELECT coalesce(max(r.sample_id), 0) FROM "
        "pooler_rounds r JOIN temp.prune_keep k ON k.target_id = r.target_id WHERE r.target_id = "
        "pooler_rounds.target_id AND r.sample_id <= k.from_id)",
        "DELETE FROM samples WHERE id < (SELECT from_id FROM temp.prune_keep k WHERE k.target_id = "
        "samples.target_id)",
        "DELETE FROM findings WHERE ended_at_ms IS NOT NULL AND ended_at_ms < ?1",
        "DELETE FROM audit WHERE t_ms < ?1",
        "DELETE FROM markers WHERE t_ms < ?1",
    };
    int rc = db.exec("BEGIN IMMEDIATE");
    for (const char *sql : steps) {
        if (!succeeded(rc))
            break;
        Statement st(db, sql);
        if (!st.isValid()) {
            rc = st.prepareCode();
            break;
        }
        st.bind(0, beforeMs);
        rc = st.run();
    }
    if (succeeded(rc))
        return db.exec("COMMIT");
    db.exec("ROLLBACK");
    return rc;
}

} // namespace

int RecordingWriter::addTarget(const QString &name)
{
    if (!isOpen() || !flush(QDateTime::currentMSecsSinceEpoch()))
        return 0;
    Statement s(*m_db, "INSERT INTO targets(name, kind) VALUES(?, 'unknown')");
    s.bind(0, name);
    if (!succeeded(s.run()))
        return 0;
    const int id = int(sqlite3_last_insert_rowid(m_db->handle()));
    while (int(m_encoders.size()) < id) {
        m_encoders.push_back(std::make_unique<SessionFrameEncoder>());
        m_kinds.push_back(QStringLiteral("unknown"));
        m_versions.push_back(QString());
    }
    m_targets.append(name);
    return id;
}

int RecordingWriter::pruneBefore(qint64 beforeMs)
{
    if (!isOpen())
        return SQLITE_MISUSE;
    flush(QDateTime::currentMSecsSinceEpoch());
    return prune(*m_db, beforeMs);
}

bool RecordingWriter::saveCopy(const QString &path, qint64 sinceMs, QString *error)
{
    if (!isOpen()) {
        *error = QStringLiteral("no recording");
        return false;
    }
    flush(QDateTime::currentMSecsSinceEpoch()); // VACUUM INTO copies what is committed
    if (QFileInfo::exists(path)) {
        *error = QStringLiteral("%1 already exists").arg(path);
        return false;
    }
    Statement copy(*m_db, "VACUUM INTO ?");
    copy.bind(0, path);
    if (!succeeded(copy.run())) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, m_db->errorMessage());
        QFile::remove(path);
        return false;
    }
    SqliteDb saved;
    QString why;
    if (!saved.open(path, false, &why) || !succeeded(prune(saved, sinceMs)) ||
        !succeeded(saved.exec("VACUUM"))) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, why.isEmpty() ? saved.errorMessage() : why);
        saved.close();
        QFile::remove(path);
        return false;
    }
    Statement meta(saved, "INSERT OR REPLACE INTO meta(key, value) VALUES('ended_ms', ?)");
    meta.bind(0, QString::number(QDateTime::currentMSecsSinceEpoch()));
    meta.run();
    return true;
}

qint64 RecordingWriter::fileBytes() const
{
    return QFileInfo(m_path).size() + QFileInfo(m_path + QStringLiteral("-wal")).size();
}

void RecordingWriter::close(qint64 nowMs)
{
    if (!isOpen())
        return;
    flush(nowMs);
    if (!m_paused) {
        writeMarker(nowMs, QStringLiteral("recording_stop"), {}, {});
        Statement meta(*m_db, "INSERT OR REPLACE INTO meta(key, value) VALUES('ended_ms', ?)");
        meta.bind(0, QString::number(nowMs));
        meta.run();
    }
    m_db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    m_db->close(); // the last connection: SQLite removes the WAL
    m_db.reset();
}

} // namespace poolscope::record
