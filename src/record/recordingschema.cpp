#include "recordingschema.h"

#include "sqlitedb.h"

#include <sqlite3.h>

namespace poolscope::record {

namespace {

// Keep in step with the README's "Recording file format" table. Times: *_ms are client wall-clock
// milliseconds since the Unix epoch; server_time and session times are the server's epoch seconds.
const char *const kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE targets(id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE samples(
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES targets(id),
    t_ms INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    kind TEXT NOT NULL,
    error TEXT,
    server_version TEXT,
    server_time REAL,
    active INTEGER, idle INTEGER, idle_in_transaction INTEGER, idle_in_transaction_aborted INTEGER,
    other INTEGER, hidden INTEGER, sessions INTEGER,
    poolscope_sessions INTEGER, max_connections INTEGER, usable_connections INTEGER, lock_waiting INTEGER,
    oldest_xact_age_s REAL, tps REAL, commits_per_s REAL, rollbacks_per_s REAL,
    xact_commit INTEGER, xact_rollback INTEGER,
    sessions_killed INTEGER, sessions_fatal INTEGER, sessions_abandoned INTEGER);
CREATE INDEX samples_by_target_time ON samples(target_id, t_ms);
CREATE TABLE session_frames(
    sample_id INTEGER PRIMARY KEY REFERENCES samples(id),
    target_id INTEGER NOT NULL,
    keyframe INTEGER NOT NULL,
    changes INTEGER NOT NULL,
    data BLOB NOT NULL);
CREATE INDEX session_keyframes ON session_frames(target_id, sample_id) WHERE keyframe = 1;
CREATE TABLE pools(
    sample_id INTEGER NOT NULL REFERENCES samples(id),
    database TEXT NOT NULL, user TEXT NOT NULL, pool_mode TEXT,
    pool_size INTEGER, reserve_pool INTEGER,
    cl_active INTEGER, cl_waiting INTEGER, sv_active INTEGER, sv_idle INTEGER, sv_used INTEGER,
    sv_tested INTEGER, sv_login INTEGER, maxwait_s REAL, tps REAL, qps REAL,
    PRIMARY KEY(sample_id, database, user)) WITHOUT ROWID;
CREATE TABLE pooler_rounds(
    sample_id INTEGER PRIMARY KEY REFERENCES samples(id),
    target_id INTEGER NOT NULL,
    t_ms INTEGER NOT NULL,
    clients INTEGER NOT NULL, servers INTEGER NOT NULL,
    data BLOB NOT NULL);
CREATE INDEX pooler_rounds_by_target ON pooler_rounds(target_id, sample_id);
CREATE TABLE findings(
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL,
    rule TEXT NOT NULL, subject TEXT, severity TEXT NOT NULL, layer TEXT NOT NULL, status TEXT NOT NULL,
    since_ms INTEGER, raised_at_ms INTEGER NOT NULL, last_seen_ms INTEGER, ended_at_ms INTEGER,
    summary TEXT, json TEXT NOT NULL);
CREATE TABLE audit(id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL, action TEXT, target TEXT, json TEXT NOT NULL);
CREATE TABLE markers(id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT,
    label TEXT);
)sql";

} // namespace

int createSchema(SqliteDb &db)
{
    int rc = db.exec("BEGIN");
    if (rc == SQLITE_OK)
        rc = db.exec(kSchema);
    if (rc == SQLITE_OK) {
        const QByteArray pragmas = "PRAGMA application_id = " + QByteArray::number(ApplicationId) +
                                   "; PRAGMA user_version = " + QByteArray::number(SchemaVersion) + ";";
        rc = db.exec(pragmas.constData());
    }
    if (rc == SQLITE_OK)
        return db.exec("COMMIT");
    db.exec("ROLLBACK");
    return rc;
}

QString checkRecording(SqliteDb &db)
{
    // The header is read by the first statement: a file that is not SQLite fails here.
    Statement app(db, "PRAGMA application_id");
    const int rc0 = app.isValid() ? app.step() : app.prepareCode();
    if (rc0 == SQLITE_CORRUPT) // a SQLite header, pages missing or wrong: a recording cut short, overwritten
        return QStringLiteral("damaged: %1").arg(db.errorMessage());
    if (rc0 != SQLITE_ROW)
        return QStringLiteral("not a PoolScope recording (%1)").arg(db.errorMessage());
    if (app.int64(0) != ApplicationId)
        return QStringLiteral("not a PoolScope recording (a SQLite database of another application)");
    const auto version = db.scalar("PRAGMA user_version");
    if (!version)
        return QStringLiteral("damaged: %1").arg(db.errorMessage());
    if (*version > SchemaVersion)
        return QStringLiteral("recorded in format %1 by a newer PoolScope; this one reads up to format %2")
            .arg(*version)
            .arg(SchemaVersion);
    if (*version < 1)
        return QStringLiteral("not a PoolScope recording (no schema version)");
    Statement check(db, "PRAGMA quick_check");
    if (!check.isValid())
        return QStringLiteral("damaged: %1").arg(db.errorMessage());
    const int rc = check.step();
    if (rc != SQLITE_ROW)
        return QStringLiteral("damaged: %1").arg(db.errorMessage());
    const QString verdict = check.text(0);
    if (verdict != QLatin1String("ok"))
        return QStringLiteral("damaged: %1").arg(verdict.left(200));
    return {};
}

} // namespace poolscope::record
