#include "passwordstore.h"

#include "core/logging.h"

#include <qt6keychain/keychain.h>

namespace poolscope::widgets {

PasswordStore::PasswordStore(QObject *parent) : QObject(parent) {}

void PasswordStore::read(const QString &targetId, ReadDone done)
{
    auto *job = new QKeychain::ReadPasswordJob(serviceName(), this);
    job->setKey(targetId);
    job->setAutoDelete(true);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done)](QKeychain::Job *j) {
        auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
        if (read->error() != QKeychain::NoError) {
            if (read->error() != QKeychain::EntryNotFound)
                logging::get("ui")->warn("keychain read failed: {}", read->errorString().toStdString());
            done({}, read->errorString());
            return;
        }
        done(read->binaryData(), {});
    });
    job->start();
}

void PasswordStore::write(const QString &targetId, const QByteArray &password, WriteDone done)
{
    auto *job = new QKeychain::WritePasswordJob(serviceName(), this);
    job->setKey(targetId);
    job->setBinaryData(password);
    job->setAutoDelete(true);
    connect(job, &QKeychain::Job::finished, this, [done = std::move(done)](QKeychain::Job *j) {
        const QString error = j->error() == QKeychain::NoError ? QString() : j->errorString();
        if (!error.isEmpty())
            logging::get("ui")->warn("keychain write failed: {}", error.toStdString());
        if (done)
            done(error);
    });
    job->start();
}

void PasswordStore::remove(const QString &targetId)
{
    auto *job = new QKeychain::DeletePasswordJob(serviceName(), this);
    job->setKey(targetId);
    job->setAutoDelete(true);
    job->start();
}

} // namespace poolscope::widgets
