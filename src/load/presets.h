#pragma once

#include "load/scenario.h"

#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::load {

/// The built-in scenarios (resources/load/*.json, compiled in): the workload shapes and the five incidents.
QStringList presetNames();
/// The preset's JSON text as shipped; empty when there is no such preset.
QByteArray presetJson(const QString &name);

/// Where saved scenarios live: $XDG_DATA_HOME/poolscope/scenarios (QStandardPaths' GenericDataLocation).
QString userScenarioDir();
/// Names of the saved scenarios (file names without ".json"), sorted.
QStringList userScenarioNames();
/// Writes `json` (validated first) to userScenarioDir()/<name>.json; returns the path, or empty with `error`.
QString saveUserScenario(const QString &name, const QByteArray &json, QString *error);

/// `nameOrFile` is a path to a JSON file (it contains a '/' or ends in ".json"), the name of a saved
/// scenario, or the name of a preset, looked up in that order.
std::optional<Scenario> loadScenario(const QString &nameOrFile, QString *error);
/// The JSON text behind loadScenario(), for showing or editing.
QByteArray scenarioText(const QString &nameOrFile, QString *error);

} // namespace poolscope::load
