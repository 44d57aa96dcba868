#pragma once

#include <QString>
#include <QThread>
#include <functional>

namespace poolscope {

/// Concurrency idiom 1 of 2 (README, "Threads"): a long-lived thread that one object owns for its whole
/// life. Either an event loop for a QObject worker moved to it (a target's sampler), or one function that
/// runs until told to stop (a load engine shard's epoll loop, a demo load worker).
///
/// The contract that keeps the owner's thread (usually the GUI thread) from hanging: everything the thread
/// does is bounded or interruptible (deadlines, db::Interrupt, a stop flag), the owner interrupts it first,
/// then retire()s it with a bound. A thread still running past the bound (stuck in a call that ignores its
/// interrupt, like a slow DNS lookup) is handed off: it deletes itself when it ends, so whatever it uses
/// must be owned by it (the worker object, shared_ptr captures), never borrowed from the owner.
///
/// The other idiom is TaskPool (one-shot tasks whose result comes back to a QObject).
class OwnedThread
{
public:
    /// How long owners wait by default: long enough for an interrupted thread, short enough for a window.
    static constexpr int kRetireMs = 1000;

    /// An event loop (QThread::exec) for QObjects moved to thread().
    explicit OwnedThread(const QString &name);
    /// Runs `body` once, no event loop; its captures are released as soon as it returns.
    OwnedThread(const QString &name, std::function<void()> body);
    ~OwnedThread(); // retire(kRetireMs)
    OwnedThread(OwnedThread &&other) noexcept;
    OwnedThread &operator=(OwnedThread &&other) noexcept;
    OwnedThread(const OwnedThread &) = delete;
    OwnedThread &operator=(const OwnedThread &) = delete;

    /// Null once retired.
    QThread *thread() const { return m_thread; }
    void start();
    bool isRunning() const { return m_thread && m_thread->isRunning(); }
    /// quit() (ends an event loop; a body must have been told to stop already), then waits at most `boundMs`.
    /// True when the thread had ended; false when it was handed off. Idempotent.
    bool retire(int boundMs = kRetireMs);

private:
    QThread *m_thread = nullptr; // ours until retired
};

} // namespace poolscope
