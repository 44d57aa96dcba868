#pragma once

#include "core/finding.h"
#include "core/ownedthread.h"
#include "core/targetsnapshot.h"

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class QLockFile;
class QTimer;

namespace poolscope::record {

struct RollingOptions
{
    QString path;             // the rolling file; a lock file beside it keeps it to one PoolScope at a time
    qint64 keepMs = 86400000; // 24 h
    qint64 maxBytes = 1024LL * 1024 * 1024;
    qint64 pruneEveryMs = 600000; // 10 min
    int keyframeEvery = 300;      // recordingschema.h KeyframeEvery
    /// Samples share a transaction this long (WriterOptions::commitEveryMs); a second at most after the
    /// last sample it commits anyway.
    qint64 commitEveryMs = 1000;
    QString auditPath;
};

/// The always-on recording of the window: every sample of every target into a file that keeps the last
/// keepMs (older samples are pruned every pruneEveryMs, and the file is bounded by maxBytes: when full it
/// pauses until pruning makes room). The previous run's file is kept beside it as "<name>-previous". Only
/// one PoolScope records at a time (QLockFile): another one's start() says so and does nothing.
///
/// Writing happens on a thread of its own (OwnedThread): addSample() only queues (a copy of the sample, its
/// lists implicitly shared) and never waits; when more than MaxQueued samples wait, new ones are dropped and
/// counted. Samples are handed to the thread together, by the first sample HandOverMs after the first of them
/// (a timer after HandOverLastMs when no other sample comes) or before any other request, rather than waking
/// the thread at every sample. The object lives on the thread that created it
/// (the GUI thread).
class RollingRecording : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxQueued = 1000;
    static constexpr int HandOverMs = 250;
    static constexpr int HandOverLastMs = 500;

    explicit RollingRecording(QObject *parent = nullptr);
    /// Writes what is queued and closes the file, waiting at most OwnedThread::kRetireMs plus the retire
    /// bound.
    ~RollingRecording() override;

    /// False with `why` when it does not record (another PoolScope does; the file cannot be created).
    bool start(const RollingOptions &options, QString *why);
    bool isRecording() const { return m_started; }
    /// The rolling file (readable while it is written: RecordingReader).
    QString path() const { return m_options.path; }
    /// Target `key` (the window's id for it) was sampled; `name` names it in the recording the first time.
    void addSample(int key, const QString &name, const TargetSnapshot &snapshot,
                   const QList<findings::Finding> &findings, qint64 nowMs);
    /// Writes the last `windowMs` before `nowMs` (from the keyframe before it) into a new recording at
    /// `path`, after what is queued, on the recording's thread; then `done(ok, error)` on this object's
    /// thread.
    void saveLast(const QString &path, qint64 windowMs, qint64 nowMs,
                  std::function<void(bool ok, const QString &error)> done);
    /// Samples dropped because the thread fell behind.
    qint64 dropped() const { return m_dropped.load(); }

private:
    struct Worker;
    void post(std::function<void(Worker &)> job);
    /// Posts the samples waiting for the hand-over, in order.
    void handOver();

    RollingOptions m_options;
    std::unique_ptr<QLockFile> m_lock;
    std::shared_ptr<Worker> m_worker;
    std::unique_ptr<OwnedThread> m_thread;
    QObject *m_context = nullptr; // lives on the thread: queued jobs run there
    bool m_started = false;
    std::shared_ptr<std::atomic<int>> m_queued = std::make_shared<std::atomic<int>>(0);
    std::atomic<qint64> m_dropped{0};
    std::vector<std::function<void(Worker &)>> m_waiting; // samples not handed over yet
    QTimer *m_handOver = nullptr;                         // HandOverLastMs after the first waiting sample
    QElapsedTimer m_firstWaiting;
};

} // namespace poolscope::record
