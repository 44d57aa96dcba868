#pragma once

#include "core/finding.h"
#include "core/targetsnapshot.h"

#include <QHash>
#include <QString>
#include <memory>

class QLockFile;

namespace poolscope::record {

class RecordingWriter;

struct RollingOptions
{
    QString path;             // the rolling file; a lock file beside it keeps it to one PoolScope at a time
    qint64 keepMs = 86400000; // 24 h
    qint64 maxBytes = 1024LL * 1024 * 1024;
    qint64 pruneEveryMs = 600000; // 10 min
    int keyframeEvery = 300;      // recordingschema.h KeyframeEvery
    QString auditPath;
};

/// The always-on recording of the window: every sample of every target into a file that keeps the last
/// keepMs (older samples are pruned every pruneEveryMs, and the file is bounded by maxBytes: when full it
/// pauses until pruning makes room). The previous run's file is kept beside it as "<name>-previous". Only
/// one PoolScope records at a time (QLockFile): another one's start() says so and does nothing.
class RollingRecording
{
public:
    RollingRecording();
    ~RollingRecording();

    /// False with `why` when it does not record (another PoolScope does; the file cannot be created).
    bool start(const RollingOptions &options, QString *why);
    bool isRecording() const;
    /// Target `key` (the window's id for it) was sampled; its name is used the first time.
    void addSample(int key, const QString &name, const TargetSnapshot &snapshot,
                   const QList<findings::Finding> &findings, qint64 nowMs);
    /// Writes the last `windowMs` (from the keyframe before it) into a new recording at `path`.
    bool saveLast(const QString &path, qint64 windowMs, qint64 nowMs, QString *error);
    const RecordingWriter *writer() const { return m_writer.get(); }

private:
    RollingOptions m_options;
    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<RecordingWriter> m_writer;
    QHash<int, int> m_ids; // the window's target id -> the recording's
    qint64 m_lastPruneMs = 0;
};

} // namespace poolscope::record
