#include "rollingrecording.h"

#include "recordingwriter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>

namespace poolscope::record {

RollingRecording::RollingRecording() = default;

RollingRecording::~RollingRecording() = default;

bool RollingRecording::isRecording() const
{
    return m_writer && m_writer->isOpen();
}

bool RollingRecording::start(const RollingOptions &options, QString *why)
{
    m_options = options;
    QDir().mkpath(QFileInfo(options.path).absolutePath());
    m_lock = std::make_unique<QLockFile>(options.path + QStringLiteral(".lock"));
    m_lock->setStaleLockTime(0); // a crashed PoolScope's lock is taken over (its process is gone)
    if (!m_lock->tryLock(0)) {
        *why = QStringLiteral("another PoolScope keeps the rolling recording %1").arg(options.path);
        m_lock.reset();
        return false;
    }
    // The previous run's recording stays available once, beside the new one.
    const QString previous = QFileInfo(options.path).path() + QLatin1Char('/') +
                             QFileInfo(options.path).completeBaseName() + QStringLiteral("-previous.") +
                             QFileInfo(options.path).suffix();
    if (QFileInfo::exists(options.path)) {
        QFile::remove(previous);
        QFile::remove(previous + QStringLiteral("-wal"));
        QFile::remove(previous + QStringLiteral("-shm"));
        QFile::rename(options.path, previous);
        QFile::rename(options.path + QStringLiteral("-wal"), previous + QStringLiteral("-wal"));
        QFile::remove(options.path + QStringLiteral("-shm"));
    }
    WriterOptions wo;
    wo.maxBytes = options.maxBytes;
    wo.auditPath = options.auditPath;
    wo.keyframeEvery = options.keyframeEvery;
    m_writer = std::make_unique<RecordingWriter>();
    if (!m_writer->create(options.path, {}, wo, why)) {
        m_writer.reset();
        m_lock.reset();
        return false;
    }
    return true;
}

void RollingRecording::addSample(int key, const QString &name, const TargetSnapshot &snapshot,
                                 const QList<findings::Finding> &found, qint64 nowMs)
{
    if (!isRecording())
        return;
    int id = m_ids.value(key);
    if (!id) {
        id = m_writer->addTarget(name);
        if (!id)
            return;
        m_ids.insert(key, id);
    }
    if (m_lastPruneMs == 0)
        m_lastPruneMs = nowMs;
    if (nowMs - m_lastPruneMs >= m_options.pruneEveryMs) {
        m_writer->pruneBefore(nowMs - m_options.keepMs);
        m_lastPruneMs = nowMs;
    }
    m_writer->addSample(id, snapshot, found, nowMs);
}

bool RollingRecording::saveLast(const QString &path, qint64 windowMs, qint64 nowMs, QString *error)
{
    if (!isRecording()) {
        *error = QStringLiteral("the rolling recording is off");
        return false;
    }
    return m_writer->saveCopy(path, nowMs - windowMs, error);
}

} // namespace poolscope::record
