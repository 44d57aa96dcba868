#pragma once

#include "core/bouncersample.h"
#include "core/postgressample.h"
#include "core/targetsnapshot.h"
#include "poolercodec.h"

#include <QList>
#include <QString>
#include <functional>
#include <memory>
#include <optional>

namespace poolscope::record {

class SqliteDb;

struct RecordedTarget
{
    int id = 0;
    QString name;
    QString kind; // targetKindName()
};

/// One row of the samples table.
struct RecordedSample
{
    qint64 id = 0;
    int targetId = 0;
    qint64 tMs = 0;
    bool ok = false;
    QString kind;
    QString error;
    std::optional<double> serverTime;
    std::optional<StateCounts> counts; // PostgreSQL samples
    std::optional<int> sessions;
    std::optional<int> usableConnections;
    std::optional<double> tps;
};

struct RecordingMarker
{
    qint64 tMs = 0;
    QString
        kind; // recording_start, recording_stop, recording_paused, recording_resumed, load_start, load_stop
    QString target;
    QString label;
};

/// Reads a recording (README "Recording file format"). open() refuses, with a plain reason, anything that is
/// not an intact recording this build can read. The file is opened read-only; it may still be being written
/// (WAL): what is committed is read.
class RecordingReader
{
public:
    RecordingReader();
    ~RecordingReader();

    bool open(const QString &path, QString *error);
    int schemaVersion() const { return m_schemaVersion; }
    QString meta(const QString &key) const;
    QList<RecordedTarget> targets() const;
    /// Every sample of `targetId` (0: of every target), in time order.
    QList<RecordedSample> samples(int targetId = 0) const;
    qint64 sampleCount() const;
    /// The sessions of PostgreSQL sample `sampleId` as they were at that moment (decoded from the newest
    /// keyframe at or before it and the deltas after); nullopt with `error` when the sample has none (a
    /// failed sample, a pooler) or the frames are damaged.
    std::optional<QList<Session>> sessionsAt(qint64 sampleId, QString *error) const;
    /// The pools of PgBouncer sample `sampleId`.
    QList<PoolStats> poolsAt(qint64 sampleId) const;
    QList<RecordingMarker> markers() const;
    /// The pooler's SHOW CLIENTS / SHOW SERVERS round in force at sample `sampleId` of `targetId`: the
    /// newest one stored at or before it (format 2), with the time it was taken; nullopt when there is none
    /// (format 1, a PostgreSQL target, no round yet) and with `error` set when it is damaged.
    std::optional<std::pair<qint64, PoolerRound>> poolerRoundAt(int targetId, qint64 sampleId,
                                                                QString *error) const;
    /// Sample `sampleId` rebuilt as the sampler delivered it (sessions, their counts and groups, pools, the
    /// pooler's clients and servers as last stored), for the views of a replay; figures a recording does
    /// not keep (Pgpool-II nodes, per-database counters) are unknown. nullopt with `error` when the sample is
    /// missing or damaged.
    std::optional<TargetSnapshot> snapshotAt(qint64 sampleId, QString *error) const;
    /// Every sample of `targetId` in time order, rebuilt like snapshotAt() but decoding the session frames
    /// once, in order. False with `error` at a damaged frame.
    bool forEachSnapshot(int targetId, const std::function<void(const TargetSnapshot &)> &visit,
                         QString *error) const;
    /// The same for the samples of `targetId` taken in [fromMs, toMs] only: the session frames are decoded
    /// from the newest keyframe before fromMs, so a window of a day-long recording costs its own samples
    /// and at most one keyframe interval more.
    /// `stop`, asked before each sample, ends the reading early: false with `error` "cancelled".
    bool forEachSnapshot(int targetId, qint64 fromMs, qint64 toMs,
                         const std::function<void(const TargetSnapshot &)> &visit, QString *error,
                         const std::function<bool()> &stop = {}) const;
    /// The first and last sample times (ms) of the recording, every target together; {0, 0} when it has
    /// no samples.
    std::pair<qint64, qint64> timeSpan() const;

    SqliteDb &db() const { return *m_db; }

private:
    std::unique_ptr<SqliteDb> m_db;
    int m_schemaVersion = 0;
};

} // namespace poolscope::record
