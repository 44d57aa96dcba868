#include "targetconfig.h"

#include <QSettings>
#include <QUuid>
#include <algorithm>

namespace poolscope {

namespace {

TargetKind kindFromName(const QString &name)
{
    if (name == QLatin1String("postgres"))
        return TargetKind::Postgres;
    if (name == QLatin1String("pgbouncer"))
        return TargetKind::PgBouncer;
    if (name == QLatin1String("pgpool"))
        return TargetKind::Pgpool;
    return TargetKind::Unknown;
}

} // namespace

std::unique_ptr<QSettings> openSettings()
{
    return std::make_unique<QSettings>(QSettings::NativeFormat, QSettings::UserScope,
                                       QStringLiteral("poolscope"), QStringLiteral("poolscope"));
}

QString TargetConfig::newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QList<TargetConfig> loadTargets(QSettings &settings)
{
    QList<TargetConfig> targets;
    const int n = settings.beginReadArray(QStringLiteral("targets"));
    for (int i = 0; i < n; ++i) {
        settings.setArrayIndex(i);
        TargetConfig t;
        t.id = settings.value(QStringLiteral("id")).toString();
        t.name = settings.value(QStringLiteral("name")).toString();
        t.group = settings.value(QStringLiteral("group")).toString();
        t.conninfo = settings.value(QStringLiteral("conninfo")).toString();
        t.kindOverride = kindFromName(settings.value(QStringLiteral("kind")).toString());
        t.intervalMs = std::clamp(settings.value(QStringLiteral("interval_ms"), 1000).toInt(), 100, 60000);
        t.rememberPassword = settings.value(QStringLiteral("remember_password"), false).toBool();
        t.autoRemediation.enabled =
            settings.value(QStringLiteral("auto_remediation_enabled"), false).toBool();
        t.autoRemediation.olderThanS = std::clamp(
            settings.value(QStringLiteral("auto_remediation_older_than_s"), 300).toInt(), 1, 604800);
        t.autoRemediation.dryRun = settings.value(QStringLiteral("auto_remediation_dry_run"), true).toBool();
        t.autoRemediation.application =
            settings.value(QStringLiteral("auto_remediation_application")).toString();
        if (t.conninfo.trimmed().isEmpty())
            continue;
        if (t.id.isEmpty())
            t.id = TargetConfig::newId();
        targets.append(t);
    }
    settings.endArray();
    return targets;
}

void saveTargets(QSettings &settings, const QList<TargetConfig> &targets)
{
    settings.remove(QStringLiteral("targets"));
    settings.beginWriteArray(QStringLiteral("targets"), int(targets.size()));
    for (int i = 0; i < targets.size(); ++i) {
        const TargetConfig &t = targets.at(i);
        settings.setArrayIndex(i);
        settings.setValue(QStringLiteral("id"), t.id);
        settings.setValue(QStringLiteral("name"), t.name);
        settings.setValue(QStringLiteral("group"), t.group);
        settings.setValue(QStringLiteral("conninfo"), t.conninfo);
        settings.setValue(QStringLiteral("kind"), t.kindOverride == TargetKind::Unknown
                                                      ? QStringLiteral("auto")
                                                      : targetKindName(t.kindOverride));
        settings.setValue(QStringLiteral("interval_ms"), t.intervalMs);
        settings.setValue(QStringLiteral("remember_password"), t.rememberPassword);
        settings.setValue(QStringLiteral("auto_remediation_enabled"), t.autoRemediation.enabled);
        settings.setValue(QStringLiteral("auto_remediation_older_than_s"), t.autoRemediation.olderThanS);
        settings.setValue(QStringLiteral("auto_remediation_dry_run"), t.autoRemediation.dryRun);
        settings.setValue(QStringLiteral("auto_remediation_application"), t.autoRemediation.application);
    }
    settings.endArray();
    settings.sync();
}

} // namespace poolscope
