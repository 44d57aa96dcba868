#include "db/conninfo.h"

#include <QTest>

using namespace poolscope;
using namespace poolscope::db;

// db::hostPort is the one answer to "which host:port does this connection string reach": the GUI's pooler
// links and `snapshot`'s chains both use it (they used to disagree on a port list).
class TestConnInfo : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        qunsetenv("PGHOST");
        qunsetenv("PGPORT");
    }

    void hostPort_data()
    {
        QTest::addColumn<QString>("conninfo");
        QTest::addColumn<QString>("pghost");
        QTest::addColumn<QString>("pgport");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addRow("key=value") << "host=db1 port=6432 dbname=app"
                                   << ""
                                   << ""
                                   << "db1" << 6432;
        QTest::addRow("uri") << "postgresql://app@db1:6433/app"
                             << ""
                             << ""
                             << "db1" << 6433;
        QTest::addRow("port list: the first") << "host=db1 port=5433,5434"
                                              << ""
                                              << ""
                                              << "db1" << 5433;
        QTest::addRow("port list 5432,5433") << "host=127.0.0.1 port=5432,5433"
                                             << ""
                                             << ""
                                             << "127.0.0.1" << 5432;
        QTest::addRow("host list, one port") << "host=db1,db2 port=5433"
                                             << ""
                                             << ""
                                             << "db1" << 5433;
        QTest::addRow("uri host list") << "postgresql://db1:5433,db2:5434/app"
                                       << ""
                                       << ""
                                       << "db1" << 5433;
        QTest::addRow("hostaddr") << "hostaddr=10.0.0.7 port=5440"
                                  << ""
                                  << ""
                                  << "10.0.0.7" << 5440;
        QTest::addRow("defaults") << "dbname=app"
                                  << ""
                                  << ""
                                  << "" << 5432;
        QTest::addRow("PGHOST and PGPORT") << "dbname=app"
                                           << "dbenv"
                                           << "5499"
                                           << "dbenv" << 5499;
        QTest::addRow("PGPORT list") << "host=db1"
                                     << ""
                                     << "5501,5502"
                                     << "db1" << 5501;
        QTest::addRow("the string wins") << "host=db1 port=5433"
                                         << "dbenv"
                                         << "5499"
                                         << "db1" << 5433;
        QTest::addRow("bad port") << "host=db1 port=,5433"
                                  << ""
                                  << ""
                                  << "db1" << 5432;
    }

    void hostPort()
    {
        QFETCH(QString, conninfo);
        QFETCH(QString, pghost);
        QFETCH(QString, pgport);
        QFETCH(QString, host);
        QFETCH(int, port);
        if (!pghost.isEmpty())
            qputenv("PGHOST", pghost.toUtf8());
        if (!pgport.isEmpty())
            qputenv("PGPORT", pgport.toUtf8());
        const HostPort reached = db::hostPort(conninfo);
        QCOMPARE(reached.host, host);
        QCOMPARE(reached.port, port);
        QCOMPARE(db::hostPort(parseConnInfo(conninfo)).port, port);
    }
    // Found by fuzz_conninfo (tests/fuzz/regressions/conninfo): a value holding a tab, newline, CR, VT or FF
    // was written back unquoted, and libpq ends an unquoted value at any of them, so a saved target (or a
    // password added for the session) read back as something else, or not at all.
    void rewrittenStringsReadBack_data()
    {
        QTest::addColumn<QByteArray>("conninfo");
        QTest::addRow("tab in a password") << QByteArray("postgresql://u:a%09b@h/db");
        QTest::addRow("newline in dbname") << QByteArray("postgresql://u@h/my%0Adb");
        QTest::addRow("CR, VT and FF") << QByteArray("postgresql://u@h/d%0D%0B%0Cb?application_name=a%09b");
        QTest::addRow("quotes, backslashes, spaces") << QByteArray("host=h dbname='my \\ db' user='o\\'k'");
        QTest::addRow("fuzz crash-05277a5a") << QByteArray("postgres://u:ent_tim[::1]75dbnam\r\r\re"
                                                           "\v\v\v\v\v\v\v\v\v\v\v\v\v\v\v"
                                                           "host=/vardb2 por/rxx");
    }

    void rewrittenStringsReadBack()
    {
        QFETCH(QByteArray, conninfo);
        const ConnSpec spec = parseConnInfo(QString::fromUtf8(conninfo));
        QVERIFY2(spec.isValid(), qPrintable(spec.parseError));
        const QString rewritten = toConnInfoString(spec);
        const ConnSpec again = parseConnInfo(rewritten);
        QVERIFY2(again.isValid(), qPrintable(rewritten + QStringLiteral(": ") + again.parseError));
        QVERIFY2(again.params == spec.params, qPrintable(rewritten));
        // Saved without the password, then given it back for the session.
        const SplitConnInfo split = splitPassword(QString::fromUtf8(conninfo));
        QVERIFY2(split.error.isEmpty(), qPrintable(split.error));
        const ConnSpec back = parseConnInfo(withPassword(split.conninfo, split.password));
        QVERIFY(back.isValid());
        QCOMPARE(back.value("password"), spec.value("password"));
        QCOMPARE(back.value("dbname"), spec.value("dbname"));
        QCOMPARE(back.value("host"), spec.value("host"));
    }
};

QTEST_GUILESS_MAIN(TestConnInfo)
#include "tst_conninfo.moc"
