#include "files.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace poolscope::sandbox::files {

namespace {

constexpr int kLogTailLines = 20;

QString errnoText()
{
    return QString::fromUtf8(std::strerror(errno));
}

} // namespace

QString lastLines(const QString &text, int n)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.constLast().trimmed().isEmpty())
        lines.removeLast();
    if (lines.size() > n)
        lines = lines.mid(lines.size() - n);
    return lines.join(QLatin1Char('\n'));
}

QString fileTail(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const qint64 chunk = 32 * 1024;
    if (f.size() > chunk)
        f.seek(f.size() - chunk);
    return lastLines(QString::fromUtf8(f.readAll()), kLogTailLines);
}

QString withLog(const QString &message, const QString &logPath)
{
    const QString tail = fileTail(logPath);
    if (tail.isEmpty())
        return message;
    // The file name only: the sandbox directory is removed after a failed start.
    return message + QStringLiteral("\n--- ") + QFileInfo(logPath).fileName() +
           QStringLiteral(" (last lines) ---\n") + tail;
}

bool writePrivateFile(const QString &path, const QByteArray &content, const ServerUser *chownTo,
                      QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    ::unlink(native.constData());
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, errnoText());
        return false;
    }
    qsizetype written = 0;
    while (written < content.size()) {
        const ssize_t r = ::write(fd, content.constData() + written, size_t(content.size() - written));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, errnoText());
            ::close(fd);
            return false;
        }
        written += r;
    }
    if (chownTo && chownTo->switchUser && ::fchown(fd, chownTo->uid, chownTo->gid) != 0) {
        *error = QStringLiteral("cannot chown %1: %2").arg(path, errnoText());
        ::close(fd);
        return false;
    }
    ::close(fd);
    return true;
}

bool makePrivateDir(const QString &path, const ServerUser &user, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    if (::mkdir(native.constData(), 0700) != 0) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, errnoText());
        return false;
    }
    if (user.switchUser && ::chown(native.constData(), user.uid, user.gid) != 0) {
        *error = QStringLiteral("cannot chown %1: %2").arg(path, errnoText());
        return false;
    }
    return true;
}

QString makeTempDir(const QString &prefix, QString *error)
{
    QByteArray templ =
        QFile::encodeName(QDir::tempPath() + QLatin1Char('/') + prefix + QStringLiteral("XXXXXX"));
    if (!::mkdtemp(templ.data())) {
        *error = QStringLiteral("cannot create a temporary directory in %1: %2")
                     .arg(QDir::tempPath(), errnoText());
        return {};
    }
    return QFile::decodeName(templ);
}

bool canEnter(const QString &path, const ServerUser &user)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return false;
    if (st.st_uid == user.uid)
        return st.st_mode & S_IXUSR;
    if (st.st_gid == user.gid)
        return st.st_mode & S_IXGRP;
    return st.st_mode & S_IXOTH;
}

QString globEscaped(const QString &path)
{
    QString out;
    for (const QChar c : path) {
        if (c == QLatin1Char('\\') || c == QLatin1Char('*') || c == QLatin1Char('?') ||
            c == QLatin1Char('[') || c == QLatin1Char(']'))
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

bool isExecutableFile(const QString &path)
{
    const QFileInfo fi(path);
    return fi.isFile() && fi.isExecutable();
}

} // namespace poolscope::sandbox::files
