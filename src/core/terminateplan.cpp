#include "terminateplan.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <algorithm>
#include <arpa/inet.h>
#include <cmath>
#include <cstring>

namespace poolscope::terminate {

namespace {

// Only * and ? are special; everything else (dots, slashes, brackets in application names) is literal.
bool globMatch(const QString &pattern, const QString &value)
{
    if (!pattern.contains(QLatin1Char('*')) && !pattern.contains(QLatin1Char('?')))
        return pattern == value;
    QString rx;
    for (const QChar c : pattern) {
        if (c == QLatin1Char('*'))
            rx += QStringLiteral(".*");
        else if (c == QLatin1Char('?'))
            rx += QLatin1Char('.');
        else
            rx += QRegularExpression::escape(QString(c));
    }
    return QRegularExpression(QRegularExpression::anchoredPattern(rx)).match(value).hasMatch();
}

struct Address
{
    int family = 0; // AF_INET or AF_INET6
    unsigned char bytes[16] = {};
};

std::optional<Address> parseAddress(const QString &text)
{
    const QByteArray latin = text.trimmed().toLatin1();
    Address a;
    if (inet_pton(AF_INET, latin.constData(), a.bytes) == 1) {
        a.family = AF_INET;
        return a;
    }
    if (inet_pton(AF_INET6, latin.constData(), a.bytes) == 1) {
        // An IPv4-mapped IPv6 address (::ffff:10.0.0.1) compares as IPv4.
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(a.bytes, mapped, 12) == 0) {
            std::memmove(a.bytes, a.bytes + 12, 4);
            std::memset(a.bytes + 4, 0, 12);
            a.family = AF_INET;
            return a;
        }
        a.family = AF_INET6;
        return a;
    }
    return std::nullopt;
}

struct ClientPattern
{
    bool local = false;
    Address network;
    int prefix = -1; // -1: exact address
};

std::optional<ClientPattern> parseClientPattern(const QString &text, QString *error)
{
    ClientPattern p;
    const QString t = text.trimmed();
    if (t.compare(QLatin1String("local"), Qt::CaseInsensitive) == 0) {
        p.local = true;
        return p;
    }
    const qsizetype slash = t.indexOf(QLatin1Char('/'));
    const auto addr = parseAddress(slash < 0 ? t : t.left(slash));
    if (!addr) {
        if (error)
            *error = QStringLiteral("client \"%1\" is not an address, a CIDR range or \"local\"").arg(t);
        return std::nullopt;
    }
    p.network = *addr;
    if (slash >= 0) {
        bool ok = false;
        p.prefix = t.mid(slash + 1).toInt(&ok);
        const int maxBits = addr->family == AF_INET ? 32 : 128;
        if (!ok || p.prefix < 0 || p.prefix > maxBits) {
            if (error)
                *error = QStringLiteral("client \"%1\": the prefix length must be 0-%2").arg(t).arg(maxBits);
            return std::nullopt;
        }
    }
    return p;
}

bool clientMatches(const ClientPattern &p, const QString &clientAddr)
{
    if (p.local)
        return clientAddr.isEmpty();
    if (clientAddr.isEmpty())
        return false;
    const auto addr = parseAddress(clientAddr);
    if (!addr || addr->family != p.network.family)
        return false;
    const int bits = p.prefix < 0 ? (addr->family == AF_INET ? 32 : 128) : p.prefix;
    for (int i = 0; i < bits; ++i) {
        const int byte = i / 8;
        const int mask = 0x80 >> (i % 8);
        if ((addr->bytes[byte] & mask) != (p.network.bytes[byte] & mask))
            return false;
    }
    return true;
}

} // namespace

std::optional<double> Candidate::stateAge(double serverNow) const
{
    if (!stateChange || serverNow <= 0)
        return std::nullopt;
    return std::max(0.0, serverNow - *stateChange);
}

CandidateSet parseCandidates(const ResultTable &table, const QString &target, int serverVersionNum)
{
    CandidateSet set;
    set.target = target;
    set.serverVersionNum = serverVersionNum;
    const int cPid = table.column(u"pid");
    const int cDat = table.column(u"datname");
    const int cUser = table.column(u"usename");
    const int cApp = table.column(u"application_name");
    const int cClient = table.column(u"client_addr");
    const int cType = table.column(u"backend_type");
    const int cState = table.column(u"state");
    const int cBackendStart = table.column(u"backend_start");
    const int cXact = table.column(u"xact_start");
    const int cQuery = table.column(u"query_start");
    const int cChange = table.column(u"state_change");
    const int cSuper = table.column(u"rolsuper");
    const int cOwn = table.column(u"poolscope");
    const int cText = table.column(u"query");
    const int cNow = table.column(u"server_now");
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader r(table, i);
        const auto pid = r.integer(cPid);
        if (!pid)
            continue;
        if (set.serverNow <= 0)
            set.serverNow = r.real(cNow).value_or(0);
        Candidate c;
        c.pid = *pid;
        c.datname = r.string(cDat);
        c.usename = r.string(cUser);
        c.applicationName = r.string(cApp);
        c.clientAddr = r.string(cClient);
        c.backendType = r.string(cType);
        c.state = r.text(cState);
        c.backendStart = r.real(cBackendStart);
        c.xactStart = r.real(cXact);
        c.queryStart = r.real(cQuery);
        c.stateChange = r.real(cChange);
        c.superuser = r.boolean(cSuper).value_or(false);
        c.poolscope = r.boolean(cOwn).value_or(false);
        c.query = r.string(cText);
        c.target = target;
        set.rows.append(std::move(c));
    }
    return set;
}

bool Predicate::isValid(QString *error) const
{
    if (!client.trimmed().isEmpty() && !parseClientPattern(client, error))
        return false;
    if (olderThanS < 0) {
        if (error)
            *error = QStringLiteral("the age must not be negative");
        return false;
    }
    return true;
}

bool Predicate::matches(const Candidate &row, double serverNow) const
{
    if (!row.state || !states.contains(*row.state))
        return false;
    const auto age = row.stateAge(serverNow);
    if (!age || *age <= olderThanS)
        return false;
    if (!application.isEmpty() && !globMatch(application, row.applicationName))
        return false;
    if (!user.isEmpty() && !globMatch(user, row.usename))
        return false;
    if (!database.isEmpty() && !globMatch(database, row.datname))
        return false;
    if (!client.trimmed().isEmpty()) {
        const auto pattern = parseClientPattern(client, nullptr);
        if (!pattern || !clientMatches(*pattern, row.clientAddr))
            return false;
    }
    return true;
}

QString Predicate::describe() const
{
    QString text = states.isEmpty() ? QStringLiteral("(no state)") : states.join(QStringLiteral(" or "));
    text += QStringLiteral(" for more than ") + QString::number(olderThanS, 'g', 6) + QStringLiteral(" s");
    auto add = [&text](const char *what, const QString &value) {
        if (!value.trimmed().isEmpty())
            text += QStringLiteral(", ") + QLatin1String(what) + QStringLiteral(" ") + value.trimmed();
    };
    add("application", application);
    add("user", user);
    add("database", database);
    add("client", client);
    if (allowSuperuser)
        text += QStringLiteral(", superuser sessions allowed");
    return text;
}

QJsonObject Predicate::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("states"), QJsonArray::fromStringList(states));
    o.insert(QStringLiteral("older_than_s"), olderThanS);
    auto add = [&o](const char *key, const QString &value) {
        if (!value.trimmed().isEmpty())
            o.insert(QLatin1String(key), value.trimmed());
    };
    add("application", application);
    add("user", user);
    add("database", database);
    add("client", client);
    o.insert(QStringLiteral("allow_superuser"), allowSuperuser);
    return o;
}

QString exclusionText(Exclusion why, const Candidate &row)
{
    switch (why) {
    case Exclusion::OwnConnection:
        return QStringLiteral("PoolScope's own connection");
    case Exclusion::NotClientBackend:
        return QStringLiteral("not a client backend (%1)").arg(row.backendType);
    case Exclusion::Hidden:
        return QStringLiteral("hidden by privileges: its role and backend type cannot be checked");
    case Exclusion::Superuser:
        return QStringLiteral(
                   "superuser-owned session (%1): not allowed; only a superuser may signal it, and "
                   "only when superuser sessions are explicitly allowed")
            .arg(row.usename);
    case Exclusion::OtherTarget:
        return QStringLiteral("belongs to another target (%1)").arg(row.target);
    }
    return {};
}

QString exclusionNoun(Exclusion why)
{
    switch (why) {
    case Exclusion::OwnConnection:
        return QStringLiteral("PoolScope connection");
    case Exclusion::NotClientBackend:
        return QStringLiteral("non-client backend");
    case Exclusion::Hidden:
        return QStringLiteral("hidden session");
    case Exclusion::Superuser:
        return QStringLiteral("superuser session");
    case Exclusion::OtherTarget:
        return QStringLiteral("session of another target");
    }
    return {};
}

int Plan::excludedCount(Exclusion why) const
{
    return int(std::count_if(excluded.cbegin(), excluded.cend(),
                             [why](const PlanEntry &e) { return e.excluded == why; }));
}

QString Plan::excludedSummary() const
{
    QStringList parts;
    for (Exclusion why : {Exclusion::Superuser, Exclusion::OwnConnection, Exclusion::NotClientBackend,
                          Exclusion::Hidden, Exclusion::OtherTarget}) {
        const int n = excludedCount(why);
        if (n == 0)
            continue;
        QString noun = exclusionNoun(why);
        if (n > 1)
            noun = why == Exclusion::OtherTarget ? QStringLiteral("sessions of another target") : noun + u's';
        parts.append(QString::number(n) + QLatin1Char(' ') + noun + QStringLiteral(" skipped"));
    }
    return parts.join(QStringLiteral(", "));
}

Plan makePlan(const CandidateSet &set, const Predicate &predicate)
{
    Plan plan;
    plan.target = set.target;
    plan.serverNow = set.serverNow;
    plan.serverVersionNum = set.serverVersionNum;
    plan.predicate = predicate;
    for (const Candidate &row : set.rows) {
        if (!predicate.matches(row, set.serverNow))
            continue;
        PlanEntry e;
        e.row = row;
        e.stateAgeS = row.stateAge(set.serverNow).value_or(0);
        if (!row.target.isEmpty() && !set.target.isEmpty() && row.target != set.target)
            e.excluded = Exclusion::OtherTarget;
        else if (row.poolscope)
            e.excluded = Exclusion::OwnConnection;
        else if (row.backendType.isEmpty())
            e.excluded = Exclusion::Hidden;
        else if (row.backendType != QLatin1String("client backend"))
            e.excluded = Exclusion::NotClientBackend;
        else if (row.superuser && !predicate.allowSuperuser)
            e.excluded = Exclusion::Superuser;
        (e.excluded ? plan.excluded : plan.hits).append(std::move(e));
    }
    auto oldestFirst = [](const PlanEntry &a, const PlanEntry &b) {
        return a.stateAgeS != b.stateAgeS ? a.stateAgeS > b.stateAgeS : a.row.pid < b.row.pid;
    };
    std::sort(plan.hits.begin(), plan.hits.end(), oldestFirst);
    std::sort(plan.excluded.begin(), plan.excluded.end(), oldestFirst);
    return plan;
}

QString outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::WouldTerminate:
        return QStringLiteral("would terminate");
    case Outcome::WouldCancel:
        return QStringLiteral("would cancel");
    case Outcome::Terminated:
        return QStringLiteral("terminated");
    case Outcome::Cancelled:
        return QStringLiteral("cancelled");
    case Outcome::AlreadyGone:
        return QStringLiteral("already gone");
    case Outcome::Skipped:
        return QStringLiteral("skipped");
    case Outcome::PermissionDenied:
        return QStringLiteral("permission denied");
    case Outcome::Failed:
        return QStringLiteral("failed");
    case Outcome::Refused:
        return QStringLiteral("refused");
    }
    return {};
}

bool isProblem(Outcome outcome)
{
    return outcome == Outcome::PermissionDenied || outcome == Outcome::Failed || outcome == Outcome::Refused;
}

int Report::count(Outcome outcome) const
{
    return int(std::count_if(results.cbegin(), results.cend(),
                             [outcome](const PidResult &r) { return r.outcome == outcome; }));
}

bool Report::hasProblems() const
{
    if (!refused.isEmpty() || !connected)
        return true;
    return std::any_of(results.cbegin(), results.cend(),
                       [](const PidResult &r) { return isProblem(r.outcome); });
}

QString Report::summary() const
{
    if (!refused.isEmpty())
        return refused;
    if (!connected)
        return QStringLiteral("failed: ") + error.message;
    if (results.isEmpty())
        return QStringLiteral("nothing to do");
    QStringList parts;
    for (Outcome o : {Outcome::WouldTerminate, Outcome::WouldCancel, Outcome::Terminated, Outcome::Cancelled,
                      Outcome::AlreadyGone, Outcome::Skipped, Outcome::PermissionDenied, Outcome::Failed,
                      Outcome::Refused}) {
        if (const int n = count(o))
            parts.append(QString::number(n) + QLatin1Char(' ') + outcomeName(o));
    }
    return parts.join(QStringLiteral(", "));
}

QList<PidResult> guardResults(const Plan &plan)
{
    QList<PidResult> out;
    for (const PlanEntry &e : plan.excluded) {
        if (e.excluded != Exclusion::Superuser)
            continue;
        PidResult r;
        r.row = e.row;
        r.stateAgeS = e.stateAgeS;
        r.outcome = Outcome::PermissionDenied;
        r.reason = exclusionText(Exclusion::Superuser, e.row);
        out.append(std::move(r));
    }
    return out;
}

Report dryRunReport(const Plan &plan, bool cancelActiveFirst)
{
    Report report;
    report.target = plan.target;
    report.dryRun = true;
    report.connected = true;
    report.action = QStringLiteral("terminate");
    for (const PlanEntry &e : plan.hits) {
        PidResult r;
        r.row = e.row;
        r.stateAgeS = e.stateAgeS;
        r.outcome = Outcome::WouldTerminate;
        if (cancelActiveFirst && e.row.state == QLatin1String("active"))
            r.reason = QStringLiteral("cancel first; terminate if the query does not end");
        report.results.append(std::move(r));
    }
    report.results.append(guardResults(plan));
    report.excluded = plan.excluded;
    report.excludedSummary = plan.excludedSummary();
    return report;
}

QJsonObject toJson(const PidResult &r)
{
    QJsonObject o;
    o.insert(QStringLiteral("pid"), r.row.pid);
    o.insert(QStringLiteral("usename"), r.row.usename);
    o.insert(QStringLiteral("application_name"), r.row.applicationName);
    o.insert(QStringLiteral("state"), r.row.state ? QJsonValue(*r.row.state) : QJsonValue());
    o.insert(QStringLiteral("state_age_s"), std::round(r.stateAgeS * 1000) / 1000);
    o.insert(QStringLiteral("result"), outcomeName(r.outcome));
    o.insert(QStringLiteral("reason"), r.reason);
    return o;
}

QJsonObject toJson(const Report &report)
{
    QJsonObject o;
    o.insert(QStringLiteral("target"), report.target);
    o.insert(QStringLiteral("dry_run"), report.dryRun);
    QJsonArray candidates;
    for (const PidResult &r : report.results)
        candidates.append(toJson(r));
    o.insert(QStringLiteral("candidates"), candidates);
    return o;
}

QJsonObject auditFields(const Report &report)
{
    QJsonObject o;
    o.insert(QStringLiteral("dry_run"), report.dryRun);
    QJsonArray pids;
    for (const PidResult &r : report.results) {
        QJsonObject p = toJson(r);
        p.insert(QStringLiteral("datname"), r.row.datname);
        p.insert(QStringLiteral("client_addr"), r.row.clientAddr);
        pids.append(p);
    }
    o.insert(QStringLiteral("pids"), pids);
    o.insert(QStringLiteral("result"), report.summary());
    if (!report.excludedSummary.isEmpty())
        o.insert(QStringLiteral("excluded"), report.excludedSummary);
    return o;
}

bool canCancel(const std::optional<QString> &state)
{
    return state && *state == QLatin1String("active");
}

std::optional<QString> stateFromName(const QString &name)
{
    const QString n = name.trimmed().toLower();
    static const QStringList known = {
        QStringLiteral("active"), QStringLiteral("idle"), QStringLiteral("idle in transaction"),
        QStringLiteral("idle in transaction (aborted)"), QStringLiteral("fastpath function call")};
    if (known.contains(n))
        return n;
    if (n == QLatin1String("idle-in-transaction"))
        return QStringLiteral("idle in transaction");
    if (n == QLatin1String("idle-in-transaction-aborted"))
        return QStringLiteral("idle in transaction (aborted)");
    if (n == QLatin1String("fastpath"))
        return QStringLiteral("fastpath function call");
    return std::nullopt;
}

} // namespace poolscope::terminate
