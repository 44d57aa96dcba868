#include "presets.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>

// Resources of a static library are registered explicitly (outside any namespace).
static void initPoolscopeLoadResources()
{
    Q_INIT_RESOURCE(load);
}

namespace poolscope::load {

namespace {

const QString kPresetDir = QStringLiteral(":/load");

void ensureResources()
{
    static const bool once = [] {
        initPoolscopeLoadResources();
        return true;
    }();
    Q_UNUSED(once);
}

bool readFile(const QString &path, QByteArray *out, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    *out = f.readAll();
    return true;
}

bool isFileArgument(const QString &s)
{
    return s.contains(QLatin1Char('/')) || s.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
}

} // namespace

QStringList presetNames()
{
    ensureResources();
    // The order of the qrc is meaningful (shapes first, incidents last); QDir sorts, so read the names back
    // in a fixed order instead.
    static const QStringList order{
        QStringLiteral("select1"),
        QStringLiteral("steady-oltp"),
        QStringLiteral("steady-rate"),
        QStringLiteral("spike"),
        QStringLiteral("ramp"),
        QStringLiteral("churn"),
        QStringLiteral("leaker"),
        QStringLiteral("idle-in-transaction"),
        QStringLiteral("lock-pileup"),
        QStringLiteral("max-connections-flood"),
        QStringLiteral("psycopg2-leak"),
        QStringLiteral("startup-storm"),
        QStringLiteral("session-pooler-full"),
        QStringLiteral("intrans-leak"),
        QStringLiteral("tenant-spike"),
    };
    QStringList out;
    for (const QString &name : order) {
        if (QFile::exists(kPresetDir + QLatin1Char('/') + name + QStringLiteral(".json")))
            out.append(name);
    }
    return out;
}

QByteArray presetJson(const QString &name)
{
    ensureResources();
    QFile f(kPresetDir + QLatin1Char('/') + name + QStringLiteral(".json"));
    if (name.isEmpty() || name.contains(QLatin1Char('/')) || !f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QString userScenarioDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/poolscope/scenarios");
}

QStringList userScenarioNames()
{
    QStringList out;
    const QFileInfoList files =
        QDir(userScenarioDir()).entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    for (const QFileInfo &fi : files)
        out.append(fi.completeBaseName());
    return out;
}

QString saveUserScenario(const QString &name, const QByteArray &json, QString *error)
{
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"));
    if (!valid.match(name).hasMatch()) {
        *error =
            QStringLiteral("a scenario name is letters, digits, '.', '_' or '-' (up to 64), e.g. my-spike");
        return {};
    }
    if (!scenarioFromJson(json, error))
        return {};
    if (!QDir().mkpath(userScenarioDir())) {
        *error = QStringLiteral("cannot create %1").arg(userScenarioDir());
        return {};
    }
    const QString path = userScenarioDir() + QLatin1Char('/') + name + QStringLiteral(".json");
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size() || !f.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return {};
    }
    return path;
}

QByteArray scenarioText(const QString &nameOrFile, QString *error)
{
    QByteArray text;
    if (isFileArgument(nameOrFile)) {
        readFile(nameOrFile, &text, error);
        return text;
    }
    const QString saved = userScenarioDir() + QLatin1Char('/') + nameOrFile + QStringLiteral(".json");
    if (QFileInfo::exists(saved)) {
        readFile(saved, &text, error);
        return text;
    }
    text = presetJson(nameOrFile);
    if (text.isEmpty())
        *error = QStringLiteral("no scenario \"%1\": presets are %2; or give a JSON file")
                     .arg(nameOrFile, presetNames().join(QStringLiteral(", ")));
    return text;
}

std::optional<Scenario> loadScenario(const QString &nameOrFile, QString *error)
{
    QString readError;
    const QByteArray text = scenarioText(nameOrFile, &readError);
    if (text.isEmpty()) {
        *error = readError.isEmpty() ? QStringLiteral("%1 is empty").arg(nameOrFile) : readError;
        return std::nullopt;
    }
    QString parseError;
    auto scenario = scenarioFromJson(text, &parseError);
    if (!scenario) {
        *error = nameOrFile + QStringLiteral(": ") + parseError;
        return std::nullopt;
    }
    if (scenario->name.isEmpty())
        scenario->name = QFileInfo(nameOrFile).completeBaseName();
    return scenario;
}

} // namespace poolscope::load
