#include "logging.h"

#include <QDir>
#include <QStandardPaths>
#include <QtGlobal>
#include <mutex>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace poolscope::logging {

namespace {

std::mutex g_mutex;
std::vector<spdlog::sink_ptr> g_sinks;
QString g_filePath;
LineCallback g_callback;
bool g_initialised = false;

class CallbackSink : public spdlog::sinks::base_sink<std::mutex>
{
protected:
    void sink_it_(const spdlog::details::log_msg &msg) override
    {
        LineCallback cb;
        {
            std::lock_guard lock(g_mutex);
            cb = g_callback;
        }
        if (!cb)
            return;
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        QString line = QString::fromUtf8(buf.data(), qsizetype(buf.size())).trimmed();
        cb(msg.level, line);
    }
    void flush_() override {}
};

void qtHandler(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    auto log = get("qt");
    const std::string text = message.toStdString();
    switch (type) {
    case QtDebugMsg:
        log->debug(text);
        break;
    case QtInfoMsg:
        log->info(text);
        break;
    case QtWarningMsg:
        log->warn(text);
        break;
    case QtCriticalMsg:
        log->error(text);
        break;
    case QtFatalMsg:
        log->critical(text);
        log->flush();
        std::abort();
    }
}

} // namespace

void init(const Options &options)
{
    {
        std::lock_guard lock(g_mutex);
        if (g_initialised)
            return;
        g_initialised = true;
        auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        err->set_level(options.stderrLevel);
        g_sinks.push_back(err);
        QString path = options.fileOverride;
        if (path.isEmpty() && options.toFile) {
            const QString dir = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
            if (!dir.isEmpty() && QDir().mkpath(dir))
                path = dir + QStringLiteral("/poolscope.log");
        }
        if (!path.isEmpty()) {
            try {
                auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path.toStdString(),
                                                                                   5 * 1024 * 1024, 3);
                file->set_level(spdlog::level::debug);
                g_sinks.push_back(file);
                g_filePath = path;
            } catch (const spdlog::spdlog_ex &) {
                // A read-only home must not stop the tool; stderr still works.
            }
        }
        auto cb = std::make_shared<CallbackSink>();
        cb->set_level(spdlog::level::info);
        g_sinks.push_back(cb);
    }
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e [%n] %^%l%$: %v");
    spdlog::set_level(spdlog::level::debug);
    spdlog::cfg::load_env_levels();
    qInstallMessageHandler(qtHandler);
}

std::shared_ptr<spdlog::logger> get(const char *name)
{
    if (auto existing = spdlog::get(name))
        return existing;
    std::vector<spdlog::sink_ptr> sinks;
    {
        std::lock_guard lock(g_mutex);
        sinks = g_sinks;
    }
    auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
    logger->set_level(spdlog::get_level());
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%n] %^%l%$: %v");
    logger->flush_on(spdlog::level::warn);
    try {
        spdlog::register_logger(logger);
    } catch (const spdlog::spdlog_ex &) {
        return spdlog::get(name); // registered concurrently by another thread
    }
    return logger;
}

QString logFilePath()
{
    std::lock_guard lock(g_mutex);
    return g_filePath;
}

void setLineCallback(LineCallback callback)
{
    std::lock_guard lock(g_mutex);
    g_callback = std::move(callback);
}

} // namespace poolscope::logging
