#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <functional>

namespace poolscope::widgets {

/// Remembered passwords, in the OS keychain (QtKeychain: Secret Service / KWallet) under the target's id.
/// Never in QSettings, never in logs. Asynchronous; the callbacks run on the GUI thread. A machine without a
/// keychain (headless, no Secret Service) reports an error and the password is simply not remembered.
class PasswordStore : public QObject
{
    Q_OBJECT
public:
    explicit PasswordStore(QObject *parent = nullptr);

    using ReadDone = std::function<void(const QByteArray &password, const QString &error)>;
    using WriteDone = std::function<void(const QString &error)>;
    void read(const QString &targetId, ReadDone done);
    void write(const QString &targetId, const QByteArray &password, WriteDone done = {});
    void remove(const QString &targetId);

    static QString serviceName() { return QStringLiteral("PoolScope"); }
};

} // namespace poolscope::widgets
