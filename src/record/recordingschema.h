#pragma once

#include <QString>
#include <QtGlobal>

namespace poolscope::record {

class SqliteDb;

/// The recording file format (README "Recording"): a SQLite database in WAL mode whose application_id is
/// ApplicationId and whose user_version is the schema version. Readers refuse other files, and files of a
/// newer schema, with a clear message.
inline constexpr int ApplicationId = 0x50534352; // "PSCR"
/// 1: the first format. 2: adds pooler_rounds (SHOW CLIENTS / SHOW SERVERS); format 1 files are read as
/// they are (without connection rounds).
inline constexpr int SchemaVersion = 2;
/// A pooler's SHOW CLIENTS / SHOW SERVERS round is stored when it differs from the last one stored for the
/// target, and at most once per PoolerRoundEveryMs (rounds are taken every few seconds; a busy pooler's
/// differ every time).
inline constexpr qint64 PoolerRoundEveryMs = 15000;
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
