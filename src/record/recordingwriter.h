#pragma once

#include "core/finding.h"
#include "core/targetsnapshot.h"
#include "recordingschema.h"

#include <QHash>
#include <QList>
#include <QString>
#include <memory>
#include <vector>

namespace poolscope::record {

class SqliteDb;
class SessionFrameEncoder;

struct WriterOptions
{
    /// The file may grow to this many bytes (SQLite max_page_count); 0: until the disk is full.
    qint64 maxBytes = 0;
    /// Audit log to copy new lines from (actions, load runs) into the recording; empty: none.
    QString auditPath;
    int intervalMs = 1000;
    int keyframeEvery = KeyframeEvery;
    /// While paused (disk full), a write is tried again after this long.
    qint64 retryMs = 5000;
    /// Samples share one transaction until it is this old (by their nowMs), then it commits: a crash loses
    /// at most this long; readers see samples this much later. 0: one transaction per sample.
    qint64 commitEveryMs = 0;
};

/// Writes a recording: every sample of every target, in one transaction each, or one per commitEveryMs (a
/// crash loses at most the sample being written, or the open transaction: WAL, synchronous=NORMAL). When a
/// write fails (the disk or the size limit is full) the recording pauses: samples keep coming and are counted
/// as not recorded, a write is retried every retryMs, and once it succeeds the gap is marked
/// ("recording_paused", "recording_resumed"). Single-threaded.
class RecordingWriter
{
public:
    RecordingWriter();
    ~RecordingWriter(); // close()

    /// Creates `path` (which must not exist) with the targets, in the order their ids (1, 2, ...) follow.
    bool create(const QString &path, const QStringList &targets, const WriterOptions &options,
                QString *error);
    /// Target `targetId` (1-based) was sampled; `findings` are the findings raised on it (open and recently
    /// ended), as the engine has them after this sample. Returns false while the recording is paused.
    bool addSample(int targetId, const TargetSnapshot &snapshot, const QList<findings::Finding> &findings,
                   qint64 nowMs);
    /// Adds a target after create() (a rolling recording follows the window's targets); returns its id, 0
    /// when it cannot be written.
    int addTarget(const QString &name);
    /// Deletes what is older than `beforeMs`: samples (each target keeps its newest keyframe at or before it,
    /// so every remaining sample can be rebuilt), their frames and pools, findings that ended, audit lines
    /// and markers. Freed pages are reused: the file stops growing. Returns the SQLite result code.
    int pruneBefore(qint64 beforeMs);
    /// Writes a recording of everything from `sinceMs` on (from the keyframe before it) to `path`, which must
    /// not exist: a consistent copy (VACUUM INTO) pruned to the window. False with `error` on failure.
    bool saveCopy(const QString &path, qint64 sinceMs, QString *error);
    /// Marks the end, checkpoints the WAL into the file and closes it.
    void close(qint64 nowMs);
    /// Commits the samples written since the last commit (with commitEveryMs); false when that failed (the
    /// recording pauses and counts them as not written).
    bool flush(qint64 nowMs);
    /// Samples written but not committed yet.
    bool hasUncommitted() const { return m_inBatch; }

    bool isOpen() const;
    bool paused() const { return m_paused; }
    /// Why the recording is paused ("the file reached its size limit of 1.0 MiB", "disk full: ...").
    QString pauseReason() const { return m_pauseReason; }
    qint64 samplesWritten() const { return m_written; }
    qint64 samplesNotWritten() const { return m_lost; }
    /// The file's size with its WAL, in bytes.
    qint64 fileBytes() const;
    QString path() const { return m_path; }

private:
    struct Pending;
    int writeSample(int targetId, const TargetSnapshot &snapshot, const QList<findings::Finding> &findings,
                    qint64 nowMs, Pending &pending);
    int writeAudit(qint64 *newOffset, QList<QByteArray> *lines);
    int writeMarker(qint64 atMs, const QString &kind, const QString &target, const QString &label);
    void pause(int rc, const QString &why, qint64 nowMs);
    /// Rolls the open transaction back and pauses: its samples, and `failedSamples` more, were not written.
    void abandonBatch(int rc, qint64 nowMs, int failedSamples);

    std::unique_ptr<SqliteDb> m_db;
    WriterOptions m_options;
    QString m_path;
    QStringList m_targets;
    std::vector<std::unique_ptr<SessionFrameEncoder>> m_encoders;
    std::vector<QString> m_kinds;
    std::vector<QString> m_versions; // the server version last written, per target
    struct StoredRound
    {
        QByteArray data;
        qint64 atMs = 0;
    };
    QHash<int, StoredRound> m_rounds; // the pooler connection round last written, by target id
    QHash<quint64, QByteArray> m_findingSignatures;
    qint64 m_auditOffset = 0;
    bool m_paused = false;
    QString m_pauseReason;
    qint64 m_pausedAtMs = 0;
    qint64 m_lastAttemptMs = 0;
    qint64 m_lostInPause = 0;
    qint64 m_written = 0;
    qint64 m_lost = 0;
    // The open transaction (commitEveryMs): when it began, its samples, the audit offset before it.
    bool m_inBatch = false;
    qint64 m_batchStartMs = 0;
    qint64 m_batchSamples = 0;
    qint64 m_batchAuditOffset = 0;
};

} // namespace poolscope::record
