#pragma once

#include "core/snapshot.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QThread>
#include <QTimer>
#include <memory>

namespace poolscope::db {

class Sampler;

enum class TargetState
{
    Connecting,
    Live,
    Failed,
};
QString targetStateName(TargetState state);

/// Lives on its target's own thread and owns the Sampler (and so the PGconn). Never touched by the GUI thread
/// except through queued calls.
class TargetWorker : public QObject
{
    Q_OBJECT
public:
    TargetWorker(const QString &conninfo, int queryTextLength);
    ~TargetWorker() override;
    /// Thread-safe: cancels the query in flight (PQcancel).
    void cancel();

public Q_SLOTS:
    void poll(quint64 ticket);
    void shutdown();

Q_SIGNALS:
    void sampled(quint64 ticket, const poolscope::TargetSnapshot &snapshot);

private:
    std::unique_ptr<Sampler> m_sampler;
};

/// GUI-thread handle of one monitored target: one worker thread, one poll in flight, the timer re-armed when
/// the reply arrives so a slow server never piles polls up.
class TargetController : public QObject
{
    Q_OBJECT
public:
    explicit TargetController(const QString &conninfo, QObject *parent = nullptr);
    ~TargetController() override; // cancel, quit, wait

    void start();
    void setIntervalMs(int ms);
    int intervalMs() const { return m_intervalMs; }

    QString target() const { return m_target; }
    TargetKind kind() const { return m_kind; }
    TargetState state() const { return m_state; }
    QString lastError() const { return m_lastError; }

Q_SIGNALS:
    void snapshotReady(const poolscope::TargetSnapshot &snapshot);
    void stateChanged(poolscope::db::TargetState state);

private:
    void pollNow();
    void onSampled(quint64 ticket, const poolscope::TargetSnapshot &snapshot);
    void setState(TargetState state);

    QThread m_thread;
    TargetWorker *m_worker = nullptr; // lives on m_thread, deleted there
    QTimer m_timer;
    QElapsedTimer m_pollStarted;
    quint64 m_ticket = 0;
    bool m_inFlight = false;
    int m_intervalMs = 1000;
    QString m_target;
    TargetKind m_kind = TargetKind::Unknown;
    TargetState m_state = TargetState::Connecting;
    QString m_lastError;
};

} // namespace poolscope::db
