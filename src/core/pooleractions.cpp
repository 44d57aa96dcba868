#include "pooleractions.h"

#include <QRegularExpression>

namespace poolscope {

namespace {

// PgBouncer keeps database names in 64-byte buffers (MAX_DBNAME); its console reads the argument as one word.
constexpr qsizetype MaxDatabaseName = 63;

QString versionText(int versionNum)
{
    if (versionNum <= 0)
        return QStringLiteral("the version is unknown");
    return QStringLiteral("this is %1.%2.%3")
        .arg(versionNum / 10000)
        .arg(versionNum / 100 % 100)
        .arg(versionNum % 100);
}

QString databaseError(const QString &name)
{
    static const QRegularExpression word(QStringLiteral("^[A-Za-z0-9_.-]+$"));
    if (name.isEmpty())
        return QStringLiteral("a database name is needed");
    if (name.size() > MaxDatabaseName)
        return QStringLiteral("database name is longer than %1 characters").arg(MaxDatabaseName);
    if (!word.match(name).hasMatch())
        return QStringLiteral(
                   "database name \"%1\" has characters the console does not accept (letters, digits, "
                   "_ - . only)")
            .arg(name);
    return {};
}

QString clientIdError(const QString &id)
{
    static const QRegularExpression number(QStringLiteral("^[0-9]{1,18}$"));
    if (id.isEmpty())
        return QStringLiteral("a client id is needed (SHOW CLIENTS id)");
    if (!number.match(id).hasMatch())
        return QStringLiteral("client id \"%1\" is not a number").arg(id);
    return {};
}

QString argumentError(PoolerCommand command, const QString &argument)
{
    return command == PoolerCommand::KillClient ? clientIdError(argument) : databaseError(argument);
}

const BouncerConnection *clientById(const BouncerSample &sample, qint64 id)
{
    if (!sample.clients)
        return nullptr;
    for (const BouncerConnection &c : *sample.clients) {
        if (c.id && *c.id == id)
            return &c;
    }
    return nullptr;
}

QString count(const std::optional<qint64> &n, const char *one, const char *many)
{
    if (!n)
        return QStringLiteral("an unknown number of ") + QLatin1String(many);
    return QStringLiteral("%1 %2").arg(*n).arg(QLatin1String(*n == 1 ? one : many));
}

struct DatabaseLoad
{
    std::optional<qint64> clients; // cl_active + cl_waiting
    std::optional<qint64> waiting;
    std::optional<qint64> servers; // PoolStats::serverCount()
    QStringList pools;
};

// Sums over the pools of one database; a sum is unknown as soon as one pool does not report its part.
DatabaseLoad loadOf(const BouncerSample &sample, const QString &database)
{
    DatabaseLoad load{0, 0, 0, {}};
    for (const PoolStats &p : sample.pools) {
        if (p.database != database)
            continue;
        load.pools.append(p.key());
        if (load.clients && p.clActive && p.clWaiting)
            *load.clients += *p.clActive + *p.clWaiting;
        else
            load.clients.reset();
        if (load.waiting && p.clWaiting)
            *load.waiting += *p.clWaiting;
        else
            load.waiting.reset();
        const auto servers = p.serverCount();
        if (load.servers && servers)
            *load.servers += *servers;
        else
            load.servers.reset();
    }
    return load;
}

QString poolsText(const DatabaseLoad &load)
{
    if (load.pools.isEmpty())
        return QStringLiteral("no pools in SHOW POOLS");
    return (load.pools.size() == 1 ? QStringLiteral("pool ") : QStringLiteral("pools ")) +
           load.pools.join(QStringLiteral(", "));
}

} // namespace

QString poolerCommandName(PoolerCommand command)
{
    switch (command) {
    case PoolerCommand::Reconnect:
        return QStringLiteral("reconnect");
    case PoolerCommand::KillClient:
        return QStringLiteral("kill-client");
    case PoolerCommand::Kill:
        return QStringLiteral("kill");
    case PoolerCommand::Resume:
        break;
    }
    return QStringLiteral("resume");
}

std::optional<PoolerCommand> poolerCommandFromName(const QString &name)
{
    for (PoolerCommand c :
         {PoolerCommand::Reconnect, PoolerCommand::KillClient, PoolerCommand::Kill, PoolerCommand::Resume}) {
        if (name.compare(poolerCommandName(c), Qt::CaseInsensitive) == 0)
            return c;
    }
    return std::nullopt;
}

ActionAvailability poolerActionAvailability(const BouncerSample &sample, PoolerCommand command,
                                            const QString &argument)
{
    const auto no = [](QString reason) {
        return ActionAvailability{false, std::move(reason)};
    };
    if (sample.flavor != PoolerFlavor::PgBouncer)
        return no(QStringLiteral("not offered on PgCat/Odyssey consoles"));
    if (sample.access == ConsoleAccess::StatsOnly)
        return no(QStringLiteral("needs a console user listed in admin_users (this login is a stats user)"));
    if (command == PoolerCommand::KillClient && !sample.supportsKillClient())
        return no(QStringLiteral("KILL_CLIENT needs PgBouncer 1.24 or later (%1)")
                      .arg(versionText(sample.versionNum)));
    if (const QString error = argumentError(command, argument); !error.isEmpty())
        return no(error);
    if (command == PoolerCommand::KillClient) {
        // Without a SHOW CLIENTS round the id cannot be checked: offered, and the console has the last word.
        if (sample.clients && !clientById(sample, argument.toLongLong()))
            return no(QStringLiteral("no client with id %1 in SHOW CLIENTS").arg(argument));
        return {true, {}};
    }
    const BouncerDatabase *db = sample.database(argument);
    if (!db)
        return no(QStringLiteral("no database \"%1\" in SHOW DATABASES").arg(argument));
    if (command == PoolerCommand::Resume && db->paused && !*db->paused)
        return no(QStringLiteral("database \"%1\" is not paused").arg(argument));
    return {true, {}};
}

QString poolerActionPreview(const BouncerSample &sample, PoolerCommand command, const QString &argument)
{
    if (command == PoolerCommand::KillClient) {
        const QString head = QStringLiteral("KILL_CLIENT %1: ").arg(argument);
        const BouncerConnection *c = clientById(sample, argument.toLongLong());
        if (!c)
            return head + QStringLiteral("drops client %1 and the server connection it holds, if any.")
                              .arg(argument);
        QString who = c->addrPort();
        if (!c->applicationName.isEmpty())
            who += QStringLiteral(", application_name ") + c->applicationName;
        who += QStringLiteral(", user %1, database %2, %3").arg(c->user, c->database, c->state);
        QString server = QStringLiteral("it holds no server connection");
        if (!c->link.isEmpty()) {
            server = QStringLiteral("its server connection");
            if (sample.servers) {
                for (const BouncerConnection &s : *sample.servers) {
                    if (s.ptr == c->link && s.remotePid) {
                        server += QStringLiteral(" (backend pid %1)").arg(*s.remotePid);
                        break;
                    }
                }
            }
        }
        return head + QStringLiteral("drops client %1 (%2) and %3.").arg(argument, who, server);
    }
    const DatabaseLoad load = loadOf(sample, argument);
    const QString of = QStringLiteral("of database %1 (%2)").arg(argument, poolsText(load));
    switch (command) {
    case PoolerCommand::Reconnect:
        return QStringLiteral("RECONNECT %1: closes %2 %3 as each is next released; clients stay connected.")
            .arg(argument, count(load.servers, "server connection", "server connections"), of);
    case PoolerCommand::Kill:
        return QStringLiteral("KILL %1: drops %2 and %3 %4, then RESUME %1.")
            .arg(argument, count(load.clients, "client", "clients"),
                 count(load.servers, "server connection", "server connections"), of);
    case PoolerCommand::Resume:
        return QStringLiteral("RESUME %1: lets %2 %3 run again.")
            .arg(argument, count(load.waiting, "waiting client", "waiting clients"), of);
    case PoolerCommand::KillClient:
        break;
    }
    return {};
}

QStringList poolerStatements(PoolerCommand command, const QString &argument, QString *error)
{
    const QString problem = argumentError(command, argument);
    if (error)
        *error = problem;
    if (!problem.isEmpty())
        return {};
    // The console grammar takes the argument as one bare word; validation above keeps it one.
    switch (command) {
    case PoolerCommand::Reconnect:
        return {QStringLiteral("RECONNECT ") + argument};
    case PoolerCommand::KillClient:
        return {QStringLiteral("KILL_CLIENT ") + argument};
    case PoolerCommand::Kill:
        // KILL leaves the database paused: RESUME it at once so new clients are served again.
        return {QStringLiteral("KILL ") + argument, QStringLiteral("RESUME ") + argument};
    case PoolerCommand::Resume:
        break;
    }
    return {QStringLiteral("RESUME ") + argument};
}

} // namespace poolscope
