#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>

class QSettings;

namespace poolscope::readonly {

/// Read-only mode: PoolScope watches but never acts (no terminate, cancel, pooler command or
/// auto-remediation). Set from the `readOnly` key of the application's settings (core/targetconfig.h
/// openSettings()) and/or the global `--read-only` flag. Every action path checks isReadOnly() before
/// touching a server, and a refused action leaves an audit line whose result is refusalText(). Dry runs and
/// previews stay allowed: they change nothing. Thread-safe.
bool isReadOnly();
void setReadOnly(bool readOnly);

/// "refused: read-only"
QString refusalText();

/// The persisted setting (key `readOnly`, default false).
bool setting(QSettings &settings);
void setSetting(QSettings &settings, bool readOnly);
/// From the application's settings file (openSettings()).
bool settingFromAppSettings();

/// The flag and the setting combined, applied with setReadOnly(); returns the resulting mode.
bool applyStartup(bool flagGiven);

/// Records the refusal: one audit line {action, target, result:"refused: read-only", ...fields}.
void recordRefusal(const QString &action, const QString &target, const QJsonObject &fields = {});

/// Emits changed() on the thread that calls setReadOnly(), so windows can disable their actions visibly.
class Notifier : public QObject
{
    Q_OBJECT
public:
    static Notifier *instance();
Q_SIGNALS:
    void changed(bool readOnly);
};

} // namespace poolscope::readonly
