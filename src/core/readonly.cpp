#include "readonly.h"

#include "auditlog.h"
#include "logging.h"
#include "targetconfig.h"

#include <QSettings>
#include <atomic>

namespace poolscope::readonly {

namespace {
std::atomic<bool> g_readOnly{false};
const QString kKey = QStringLiteral("readOnly");
} // namespace

bool isReadOnly()
{
    return g_readOnly.load();
}

void setReadOnly(bool readOnly)
{
    if (g_readOnly.exchange(readOnly) == readOnly)
        return;
    logging::get("audit")->info("read-only mode {}", readOnly ? "on" : "off");
    Q_EMIT Notifier::instance()->changed(readOnly);
}

QString refusalText()
{
    return QStringLiteral("refused: read-only");
}

bool setting(QSettings &settings)
{
    return settings.value(kKey, false).toBool();
}

void setSetting(QSettings &settings, bool readOnly)
{
    settings.setValue(kKey, readOnly);
    settings.sync();
}

bool settingFromAppSettings()
{
    auto settings = openSettings();
    return setting(*settings);
}

bool applyStartup(bool flagGiven)
{
    const bool on = flagGiven || settingFromAppSettings();
    setReadOnly(on);
    return on;
}

void recordRefusal(const QString &action, const QString &target, const QJsonObject &fields)
{
    QJsonObject f = fields;
    f.insert(QStringLiteral("result"), refusalText());
    audit::record(action, target, f);
}

Notifier *Notifier::instance()
{
    static Notifier notifier;
    return &notifier;
}

} // namespace poolscope::readonly
