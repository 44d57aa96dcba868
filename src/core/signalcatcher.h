#pragma once

#include <QObject>
#include <QSocketNotifier>
#include <memory>

namespace poolscope {

/// Turns SIGINT, SIGTERM and SIGHUP into a Qt signal on the thread that created it (self-pipe: the handler
/// only writes a byte; the event loop does the work), so Ctrl+C ends in a clean shutdown (sandbox stopped,
/// files removed). One instance per process; the previous handlers are restored on destruction.
class SignalCatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalCatcher(QObject *parent = nullptr);
    ~SignalCatcher() override;

    bool isOk() const { return m_ok; }

Q_SIGNALS:
    void caught(int signal);

private:
    bool m_ok = false;
    std::unique_ptr<QSocketNotifier> m_notifier;
};

} // namespace poolscope
