#pragma once

#include "sandbox/serveruser.h"

#include <QByteArray>
#include <QString>

// Filesystem helpers of the sandbox: private files and directories (libpq ignores a pgpass others can read),
// log tails for error messages, and the checks a server user must pass to reach the sandbox directory.
namespace poolscope::sandbox::files {

/// The last `n` non-empty-ended lines of `text`.
QString lastLines(const QString &text, int n);
/// The last lines of the file at `path` (reads at most its last 32 KiB); empty when unreadable.
QString fileTail(const QString &path);
/// `message`, then the tail of the log at `logPath` under its file name (the directory may be gone by the
/// time the message is read).
QString withLog(const QString &message, const QString &logPath);

/// Creates (or replaces) a file only its owner can read, owned by `chownTo` when that user is switched to.
/// O_EXCL|O_NOFOLLOW: never writes through a planted link.
bool writePrivateFile(const QString &path, const QByteArray &content, const ServerUser *chownTo,
                      QString *error);
/// mkdir 0700, owned by `user` when that user is switched to.
bool makePrivateDir(const QString &path, const ServerUser &user, QString *error);
/// mkdtemp under the temp dir; empty (with `error`) on failure.
QString makeTempDir(const QString &prefix, QString *error);
/// Whether `user` may enter `path`, from the mode bits: the servers drop supplementary groups, so only the
/// owner and the primary group count.
bool canEnter(const QString &path, const ServerUser &user);
/// The path as a find(1) -lname pattern that matches only itself.
QString globEscaped(const QString &path);
bool isExecutableFile(const QString &path);

} // namespace poolscope::sandbox::files
