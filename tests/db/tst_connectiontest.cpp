// "Test connection" and connection-error classification, against a real sandbox and fake peers.
#include "db/connectiontest.h"
#include "db/pg.h"
#include "support/sandboxtestcase.h"

#include <QTest>
#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace poolscope;
using namespace poolscope::db;

namespace {

/// A loopback TCP peer that is not PostgreSQL: it either answers every connection with `reply` and closes,
/// or (empty reply) accepts and stays silent.
class FakePeer
{
public:
    explicit FakePeer(QByteArray reply) : m_reply(std::move(reply))
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
        ::listen(m_fd, 8);
        socklen_t len = sizeof addr;
        ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&addr), &len);
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread([this] {
            while (!m_stop) {
                const int c = ::accept(m_fd, nullptr, nullptr);
                if (c < 0)
                    break;
                if (m_reply.isEmpty()) {
                    m_silent.push_back(c); // hold it open, say nothing
                    continue;
                }
                char buf[64];
                [[maybe_unused]] auto n = ::read(c, buf, sizeof buf);
                [[maybe_unused]] auto w = ::write(c, m_reply.constData(), size_t(m_reply.size()));
                ::close(c);
            }
        });
    }
    ~FakePeer()
    {
        m_stop = true;
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_thread.join();
        for (int c : m_silent)
            ::close(c);
    }
    int port() const { return m_port; }

private:
    QByteArray m_reply;
    int m_fd = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::vector<int> m_silent;
    std::thread m_thread;
};

} // namespace

class TestConnectionTest : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:

    void classify_data()
    {
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("failure");
        // Messages as libpq 15 prints them.
        QTest::addRow("unknown host")
            << "could not translate host name \"db9.invalid\" to address: Name or service "
               "not known"
            << int(ConnectFailure::UnknownHost);
        QTest::addRow("refused")
            << "connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is "
               "the server running on that host and accepting TCP/IP connections?"
            << int(ConnectFailure::Refused);
        QTest::addRow("timeout") << "connection to server at \"10.1.2.3\", port 5432 failed: timeout expired"
                                 << int(ConnectFailure::Timeout);
        QTest::addRow("no password")
            << "connection to server at \"127.0.0.1\", port 5432 failed: fe_sendauth: no "
               "password supplied"
            << int(ConnectFailure::PasswordRequired);
        QTest::addRow("bad password")
            << "FATAL: password authentication failed for user \"app\"" << int(ConnectFailure::AuthFailed);
        QTest::addRow("hba")
            << "FATAL: no pg_hba.conf entry for host \"10.0.0.1\", user \"x\", database \"y\", no "
               "encryption"
            << int(ConnectFailure::AuthFailed);
        QTest::addRow("ssl required")
            << "server does not support SSL, but SSL was required" << int(ConnectFailure::Ssl);
        QTest::addRow("certificate") << "SSL error: certificate verify failed" << int(ConnectFailure::Ssl);
        QTest::addRow("http on the port")
            << "received invalid response to SSL negotiation: H" << int(ConnectFailure::NotPostgres);
        QTest::addRow("other") << "something else" << int(ConnectFailure::Other);
    }
    void classify()
    {
        QFETCH(QString, message);
        QFETCH(int, failure);
        QCOMPARE(int(classifyConnectMessage(message)), failure);
        QCOMPARE(connectFailureHint(ConnectFailure(failure)).isEmpty(),
                 failure == int(ConnectFailure::Other));
    }

    void realFailures_data()
    {
        QTest::addColumn<QString>("conninfo");
        QTest::addColumn<int>("failure");
        QTest::addColumn<bool>("needsPassword");
        QTest::addRow("refused") << "host=127.0.0.1 port=1 user=app dbname=app"
                                 << int(ConnectFailure::Refused) << false;
        QTest::addRow("wrong password") << "WRONGPW" << int(ConnectFailure::AuthFailed) << false;
        QTest::addRow("no password, none in pgpass")
            << "NOPW" << int(ConnectFailure::PasswordRequired) << true;
        QTest::addRow("sslmode=require, server without TLS") << "SSL" << int(ConnectFailure::Ssl) << false;
    }
    void realFailures()
    {
        QFETCH(QString, conninfo);
        QFETCH(int, failure);
        QFETCH(bool, needsPassword);
        const int port = m_sandbox->postgresPort();
        if (conninfo == "WRONGPW")
            conninfo = QString("host=127.0.0.1 port=%1 user=app dbname=app password=NotIt").arg(port);
        else if (conninfo == "NOPW")
            conninfo = QString("host=127.0.0.1 port=%1 user=app dbname=app passfile=/nonexistent").arg(port);
        else if (conninfo == "SSL")
            conninfo = QString("host=127.0.0.1 port=%1 user=app dbname=app sslmode=require").arg(port);
        const ConnectionReport r = testConnection(conninfo, 3);
        QVERIFY(!r.ok);
        QCOMPARE(int(classifyConnectMessage(r.error.message)), failure);
        QCOMPARE(r.error.needsPassword, needsPassword);
        QVERIFY2(!r.error.hint.isEmpty(), qPrintable(r.error.message));
        QVERIFY(r.summary().contains(r.error.hint));
        QVERIFY(!r.summary().contains("NotIt"));
    }

    void notPostgres()
    {
        FakePeer http("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        const ConnectionReport r =
            testConnection(QString("host=127.0.0.1 port=%1 user=x dbname=x").arg(http.port()), 3);
        QVERIFY(!r.ok);
        QCOMPARE(classifyConnectMessage(r.error.message), ConnectFailure::NotPostgres);
    }

    void timeout()
    {
        FakePeer silent({});
        const ConnectionReport r =
            testConnection(QString("host=127.0.0.1 port=%1 user=x dbname=x").arg(silent.port()), 2);
        QVERIFY(!r.ok);
        QCOMPARE(classifyConnectMessage(r.error.message), ConnectFailure::Timeout);
    }

    void privileges_data()
    {
        QTest::addColumn<QString>("which");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QStringList>("mustMention");
        QTest::addColumn<QStringList>("mustNotMention");
        QTest::addRow("monitor: pg_monitor + pg_signal_backend")
            << "monitor" << int(TargetKind::Postgres)
            << QStringList{"PostgreSQL", "sees all sessions (pg_read_all_stats): yes",
                           "(pg_signal_backend): yes", "superuser: no"}
            << QStringList{"grant pg_monitor"};
        QTest::addRow("app: plain role")
            << "app" << int(TargetKind::Postgres)
            << QStringList{"grant pg_monitor to app", "grant pg_signal_backend to app"} << QStringList{};
        QTest::addRow("superuser") << "postgres" << int(TargetKind::Postgres) << QStringList{"superuser: yes"}
                                   << QStringList{"grant"};
        QTest::addRow("PgBouncer stats user")
            << "pgbouncerMonitor" << int(TargetKind::PgBouncer)
            << QStringList{"PgBouncer admin: no", "stats user"} << QStringList{};
        QTest::addRow("PgBouncer admin") << "pgbouncerConsole" << int(TargetKind::PgBouncer)
                                         << QStringList{"PgBouncer admin: yes"} << QStringList{"stats user"};
        // PgBouncer passes the server's own server_version through for a pooled database.
        QTest::addRow("pooled database through PgBouncer reads as PostgreSQL")
            << "pgbouncerApp" << int(TargetKind::Postgres)
            << QStringList{"PostgreSQL", "grant pg_monitor to app"} << QStringList{"PgBouncer admin"};
    }
    void privileges()
    {
        QFETCH(QString, which);
        QFETCH(int, kind);
        QFETCH(QStringList, mustMention);
        QFETCH(QStringList, mustNotMention);
        const sandbox::SandboxUris &u = m_sandbox->uris();
        const QString uri = which == "monitor"            ? u.monitor
                            : which == "app"              ? u.app
                            : which == "postgres"         ? u.postgres
                            : which == "pgbouncerMonitor" ? u.pgbouncerMonitor
                            : which == "pgbouncerConsole" ? u.pgbouncerConsole
                                                          : u.pgbouncerApp;
        const ConnectionReport r = testConnection(uri);
        QVERIFY2(r.ok, qPrintable(r.error.message));
        QCOMPARE(int(r.kind), kind);
        const QString text = r.summary();
        for (const QString &m : mustMention)
            QVERIFY2(text.contains(m), qPrintable(text));
        for (const QString &m : mustNotMention)
            QVERIFY2(!text.contains(m), qPrintable(text));
    }

    void passwordNeverKeptInSavedConnInfo()
    {
        const SplitConnInfo s = splitPassword("postgresql://app:Pa55w0rd@db1:5433/app?sslmode=require");
        QVERIFY(s.error.isEmpty());
        QCOMPARE(s.password, QByteArray("Pa55w0rd"));
        QVERIFY(!s.conninfo.contains("Pa55w0rd"));
        QVERIFY(s.conninfo.contains("host=db1"));
        QVERIFY(s.conninfo.contains("sslmode=require"));
        // And back: the password is usable for this process.
        const ConnSpec again = parseConnInfo(withPassword(s.conninfo, s.password));
        QCOMPARE(again.value("password"), QByteArray("Pa55w0rd"));
        QCOMPARE(again.value("port"), QByteArray("5433"));
        // Quoting survives.
        const ConnSpec quoted = parseConnInfo(withPassword("host=h dbname='my db'", "it's a \\secret"));
        QCOMPARE(quoted.value("dbname"), QByteArray("my db"));
        QCOMPARE(quoted.value("password"), QByteArray("it's a \\secret"));
        QVERIFY(!splitPassword("host=h bogus=1").error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestConnectionTest)
#include "tst_connectiontest.moc"
