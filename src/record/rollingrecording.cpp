#include "rollingrecording.h"

#include "recordingwriter.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLockFile>
#include <QPointer>
#include <QSemaphore>
#include <QTimer>

namespace poolscope::record {

/// What the thread owns: the writer and the target ids. Used on the thread only.
struct RollingRecording::Worker
{
    RecordingWriter writer;
    QHash<int, int> ids; // the window's target id -> the recording's
    qint64 lastPruneMs = 0;
    RollingOptions options;
    QObject *context = nullptr; // the thread's: the commit timer runs there
    std::weak_ptr<Worker> self; // for the timer, which may outlive the worker
    bool commitArmed = false;

    void add(int key, const QString &name, const TargetSnapshot &snapshot,
             const QList<findings::Finding> &found, qint64 nowMs)
    {
        if (!writer.isOpen())
            return;
        int id = ids.value(key);
        if (!id) {
            id = writer.addTarget(name);
            if (!id)
                return;
            ids.insert(key, id);
        }
        if (lastPruneMs == 0)
            lastPruneMs = nowMs;
        if (nowMs - lastPruneMs >= options.pruneEveryMs) {
            writer.pruneBefore(nowMs - options.keepMs);
            lastPruneMs = nowMs;
        }
        writer.addSample(id, snapshot, found, nowMs);
        // The open transaction commits with a later sample, or after commitEveryMs when none comes.
        if (writer.hasUncommitted() && !commitArmed) {
            commitArmed = true;
            QTimer::singleShot(options.commitEveryMs, context, [weak = self] {
                if (const auto w = weak.lock()) {
                    w->commitArmed = false;
                    w->writer.flush(QDateTime::currentMSecsSinceEpoch());
                }
            });
        }
    }
};

RollingRecording::RollingRecording(QObject *parent) : QObject(parent), m_handOver(new QTimer(this))
{
    m_handOver->setSingleShot(true);
    m_handOver->setInterval(HandOverLastMs);
    connect(m_handOver, &QTimer::timeout, this, &RollingRecording::handOver);
}

RollingRecording::~RollingRecording()
{
    if (!m_thread)
        return;
    // Close on the thread, after what is queued; wait a bounded time (a save in progress may take longer:
    // the thread is then handed off and finishes on its own, owning the writer through the job).
    auto closed = std::make_shared<QSemaphore>();
    post([closed](Worker &w) {
        w.writer.close(QDateTime::currentMSecsSinceEpoch());
        closed->release();
    });
    closed->tryAcquire(1, OwnedThread::kRetireMs);
    QMetaObject::invokeMethod(
        m_context, [context = m_context] { delete context; }, Qt::QueuedConnection);
    m_thread->retire();
}

void RollingRecording::handOver()
{
    m_handOver->stop();
    if (m_waiting.empty())
        return;
    QMetaObject::invokeMethod(
        m_context,
        [worker = m_worker, jobs = std::exchange(m_waiting, {})] {
            for (const auto &job : jobs)
                job(*worker);
        },
        Qt::QueuedConnection);
}

void RollingRecording::post(std::function<void(Worker &)> job)
{
    handOver(); // the samples before it, first
    QMetaObject::invokeMethod(
        m_context, [worker = m_worker, job = std::move(job)] { job(*worker); }, Qt::QueuedConnection);
}

bool RollingRecording::start(const RollingOptions &options, QString *why)
{
    if (m_started)
        return true;
    m_options = options;
    QDir().mkpath(QFileInfo(options.path).absolutePath());
    m_lock = std::make_unique<QLockFile>(options.path + QStringLiteral(".lock"));
    m_lock->setStaleLockTime(0); // never stale by age; a crashed PoolScope's lock is (its process is gone)
    if (!m_lock->tryLock(0)) {
        *why = QStringLiteral("another PoolScope keeps the rolling recording %1").arg(options.path);
        m_lock.reset();
        return false;
    }
    // The previous run's recording stays available once, beside the new one.
    const QFileInfo info(options.path);
    const QString previous = info.path() + QLatin1Char('/') + info.completeBaseName() +
                             QStringLiteral("-previous.") + info.suffix();
    if (info.exists()) {
        for (const char *suffix : {"", "-wal", "-shm"})
            QFile::remove(previous + QLatin1String(suffix));
        QFile::rename(options.path, previous);
        QFile::rename(options.path + QStringLiteral("-wal"), previous + QStringLiteral("-wal"));
        QFile::remove(options.path + QStringLiteral("-shm"));
    }
    auto worker = std::make_shared<Worker>();
    worker->options = options;
    WriterOptions wo;
    wo.maxBytes = options.maxBytes;
    wo.auditPath = options.auditPath;
    wo.keyframeEvery = options.keyframeEvery;
    wo.commitEveryMs = options.commitEveryMs;
    if (!worker->writer.create(options.path, {}, wo, why)) {
        m_lock.reset();
        return false;
    }
    m_thread = std::make_unique<OwnedThread>(QStringLiteral("rolling-recording"));
    m_context = new QObject;
    m_context->moveToThread(m_thread->thread());
    worker->context = m_context;
    worker->self = worker;
    m_worker = std::move(worker);
    m_thread->start();
    m_started = true;
    return true;
}

void RollingRecording::addSample(int key, const QString &name, const TargetSnapshot &snapshot,
                                 const QList<findings::Finding> &found, qint64 nowMs)
{
    if (!m_started)
        return;
    if (m_queued->load() >= MaxQueued) {
        ++m_dropped;
        return;
    }
    ++*m_queued;
    m_waiting.push_back([queued = m_queued, key, name, snapshot, found, nowMs](Worker &w) {
        w.add(key, name, snapshot, found, nowMs);
        --*queued;
    });
    // Handed over by a sample, not a timer of its own (which would wake this thread instead): the timer only
    // brings the last samples when no more come.
    if (m_waiting.size() == 1) {
        m_firstWaiting.start();
        m_handOver->start();
    } else if (m_firstWaiting.elapsed() >= HandOverMs) {
        handOver();
    }
}

void RollingRecording::saveLast(const QString &path, qint64 windowMs, qint64 nowMs,
                                std::function<void(bool, const QString &)> done)
{
    if (!m_started) {
        done(false, QStringLiteral("the rolling recording is off"));
        return;
    }
    QPointer<RollingRecording> self(this);
    post([self, path, windowMs, nowMs, done = std::move(done)](Worker &w) {
        QString error;
        const bool ok = w.writer.saveCopy(path, nowMs - windowMs, &error);
        if (self) // this object waits for its thread's jobs before it goes (bounded; see the destructor)
            QMetaObject::invokeMethod(
                self.data(), [done, ok, error] { done(ok, error); }, Qt::QueuedConnection);
    });
}

} // namespace poolscope::record
