// The lock-wait relations the sessions page's detail pane shows: who a session waits for, its root blockers,
// and the tree of sessions waiting behind it.
#include "core/blocking.h"

#include <QTest>

using namespace poolscope;

namespace {

// Sessions written as "pid" (not waiting) or "pid<b1,b2" (waiting on a lock held by b1 and b2; "pid<" waits
// with no blocker left), separated by spaces.
PostgresSample sample(const QString &text)
{
    PostgresSample pg;
    for (const QString &token : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        Session s;
        const qsizetype lt = token.indexOf(QLatin1Char('<'));
        s.pid = token.left(lt < 0 ? token.size() : lt).toLongLong();
        s.state = QStringLiteral("active");
        if (lt >= 0) {
            s.waitEventType = QStringLiteral("Lock");
            s.waitEvent = QStringLiteral("transactionid");
            for (const QString &b : token.mid(lt + 1).split(QLatin1Char(','), Qt::SkipEmptyParts))
                s.blockedBy.append(b.toLongLong());
        }
        pg.sessions.append(s);
    }
    return pg;
}

QString pids(const QList<qint64> &list)
{
    QStringList out;
    for (qint64 pid : list)
        out.append(QString::number(pid));
    return out.join(QLatin1Char(','));
}

QString tree(const QList<blocking::WaiterNode> &nodes)
{
    QStringList out;
    for (const blocking::WaiterNode &n : nodes)
        out.append(QStringLiteral("%1@%2").arg(n.pid).arg(n.depth));
    return out.join(QLatin1Char(' '));
}

} // namespace

class TestBlocking : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void relations_data()
    {
        QTest::addColumn<QString>("sessions");
        QTest::addColumn<qint64>("pid");
        QTest::addColumn<QString>("blockers");
        QTest::addColumn<QString>("waiters");
        QTest::addColumn<QString>("roots");
        QTest::addColumn<QString>("waiterTree");
        QTest::addColumn<bool>("cycle");

        QTest::addRow("nobody waits") << "1 2 3" << qint64(2) << ""
                                      << ""
                                      << ""
                                      << "" << false;
        QTest::addRow("waiter of a row lock") << "1 2<1" << qint64(2) << "1"
                                              << ""
                                              << "1"
                                              << "" << false;
        QTest::addRow("holder of a row lock") << "1 2<1" << qint64(1) << ""
                                              << "2"
                                              << ""
                                              << "2@1" << false;
        QTest::addRow("chain, from the end") << "1 2<1 3<2" << qint64(3) << "2"
                                             << ""
                                             << "1"
                                             << "" << false;
        QTest::addRow("chain, from the root") << "1 2<1 3<2" << qint64(1) << ""
                                              << "2"
                                              << ""
                                              << "2@1 3@2" << false;
        QTest::addRow("chain, from the middle") << "1 2<1 3<2" << qint64(2) << "1"
                                                << "3"
                                                << "1"
                                                << "3@1" << false;
        QTest::addRow("tree, depth-first by pid") << "1 4<1 2<1 3<2 5<4" << qint64(1) << ""
                                                  << "2,4"
                                                  << ""
                                                  << "2@1 3@2 4@1 5@2" << false;
        QTest::addRow("two roots") << "1 2 3<2,1" << qint64(3) << "2,1"
                                   << ""
                                   << "1,2"
                                   << "" << false;
        QTest::addRow("root outside the sample") << "2<99 3<2" << qint64(3) << "2"
                                                 << ""
                                                 << "99"
                                                 << "" << false;
        QTest::addRow("waiter whose blocker went away") << "2< 3<2" << qint64(3) << "2"
                                                        << ""
                                                        << "2"
                                                        << "" << false;
        QTest::addRow("deadlock not yet broken") << "1<2 2<1 3<1" << qint64(1) << "2"
                                                 << "2,3"
                                                 << ""
                                                 << "2@1 3@1" << true;
        QTest::addRow("unknown pid") << "1 2<1" << qint64(42) << ""
                                     << ""
                                     << ""
                                     << "" << false;
    }

    void relations()
    {
        QFETCH(QString, sessions);
        QFETCH(qint64, pid);
        QFETCH(QString, blockers);
        QFETCH(QString, waiters);
        QFETCH(QString, roots);
        QFETCH(QString, waiterTree);
        QFETCH(bool, cycle);

        const PostgresSample pg = sample(sessions);
        QCOMPARE(pids(blocking::blockersOf(pg, pid)), blockers);
        QCOMPARE(pids(blocking::waitersOf(pg, pid)), waiters);
        QCOMPARE(pids(blocking::rootsOf(pg, pid)), roots);
        QCOMPARE(tree(blocking::waiterTree(pg, pid)), waiterTree);
        QCOMPARE(blocking::inCycle(pg, pid), cycle);
    }

    // The tree agrees with PostgresSample::blockedBehind(), which the page header uses.
    void treeSizeMatchesBlockedBehind()
    {
        const PostgresSample pg = sample("1 4<1 2<1 3<2 5<4 6<5,2 7");
        for (qint64 pid : {1, 2, 4, 7})
            QCOMPARE(blocking::waiterTree(pg, pid).size(), qsizetype(pg.blockedBehind(pid)));
    }
};

QTEST_GUILESS_MAIN(TestBlocking)
#include "tst_blocking.moc"
