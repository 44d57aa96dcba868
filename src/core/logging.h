#pragma once

#include <QString>
#include <functional>
#include <memory>
#include <spdlog/logger.h>

namespace poolscope::logging {

struct Options
{
    // Level for stderr; SPDLOG_LEVEL in the environment overrides it.
    spdlog::level::level_enum stderrLevel = spdlog::level::info;
    bool toFile = true;   // rotating file under the XDG data dir
    QString fileOverride; // for tests
};

/// Sets up stderr + rotating file sinks and routes Qt messages into spdlog. Safe to call once per process.
void init(const Options &options = {});

/// Named logger ("db", "sampler", "sandbox", "ui", "audit", "cli"); created on first use with the shared
/// sinks.
std::shared_ptr<spdlog::logger> get(const char *name);

/// Path of the log file, empty when file logging is off.
QString logFilePath();

/// Receives every formatted line, from any thread (the GUI log dock queues it to the GUI thread).
using LineCallback = std::function<void(spdlog::level::level_enum level, const QString &line)>;
void setLineCallback(LineCallback callback);

} // namespace poolscope::logging
