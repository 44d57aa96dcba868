#pragma once

#include <QString>

namespace poolscope::record {

class SqliteDb;

/// The recording file format (README "Recording"): a SQLite database in WAL mode whose application_id is
/// ApplicationId and whose user_version is the schema version. Readers refuse other files, and files of a
/// newer schema, with a clear message.
inline constexpr int ApplicationId = 0x50534352; // "PSCR"
inline constexpr int SchemaVersion = 1;
/// A full session list is stored at least every KeyframeEvery session frames of a target (and after every
/// gap): replaying any moment decodes at most that many frames.
inline constexpr int KeyframeEvery = 300;

/// Creates the tables of SchemaVersion in an empty database; returns the SQLite result code.
int createSchema(SqliteDb &db);

/// Checks that `db` is a recording this build can read: a SQLite database (the header), PoolScope's
/// application_id, a schema version it knows, the pages intact (PRAGMA quick_check). Empty when fine;
/// otherwise the reason in plain words ("not a PoolScope recording", "damaged: ...").
QString checkRecording(SqliteDb &db);

} // namespace poolscope::record
