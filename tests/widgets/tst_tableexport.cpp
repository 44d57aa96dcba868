// Integration (offscreen, real sandbox): "Export as CSV…" writes a table as the user sees it. The window
// samples the sandbox's PostgreSQL and PgBouncer; three sessions of an application whose name holds a comma
// and quotes sit idle in transaction after a query with a comma and a line break. The Sessions tab,
// filtered to them and with a column hidden, exports a header and exactly its rows, in its order, with the
// visible columns only, every field read back intact by an RFC 4180 parser; the pools table likewise. The
// context menus hold the action; File → Export finds the tables on screen.
#include "models/sessionsmodel.h"
#include "support/csvparse.h"
#include "support/sandboxtestcase.h"
#include "support/windowsupport.h"
#include "widgets/exportmenu.h"
#include "widgets/sessionspage.h"
#include "widgets/tableexport.h"
#include "widgets/targetpage.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace poolscope;
using models::SessionsModel;

namespace {

const QByteArray kApp = "tst-csv, \"quoted\"";

QList<QStringList> exported(const QAbstractItemView *view, const QString &path)
{
    QString error;
    if (!widgets::exportTableCsv(view, path, &error)) {
        qWarning("%s", qPrintable(error));
        return {};
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return test::parseCsv(QString::fromUtf8(f.readAll()));
}

/// The headers of the visible columns, in their on-screen order.
QStringList visibleHeaders(const QTableView *view)
{
    QStringList out;
    const QHeaderView *h = view->horizontalHeader();
    for (int v = 0; v < h->count(); ++v) {
        const int logical = h->logicalIndex(v);
        if (!h->isSectionHidden(logical))
            out.append(view->model()->headerData(logical, Qt::Horizontal).toString());
    }
    return out;
}

/// The object names of the actions in the popup menu `open` shows.
QStringList popupActions(const std::function<void()> &open)
{
    QStringList names;
    QTimer::singleShot(0, [&names] {
        if (auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
            for (const QAction *a : menu->actions())
                names.append(a->objectName());
            menu->close();
        }
    });
    open();
    return names;
}

} // namespace

class TestTableExport : public test::SandboxTestCase
{
    Q_OBJECT

    QTemporaryDir m_dir;

private Q_SLOTS:
    void sessionsTableAsShown()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(
            held.open(m_sandbox->uris().app, 3, kApp, {"BEGIN", "SELECT 'a, b',\n 2 AS \"two\""}, &error),
            qPrintable(error));
        const auto window = test::openWindowOnSandbox(*m_sandbox, 250);
        QVERIFY(window);
        widgets::TargetPage *page = window->pageFor(0);
        widgets::SessionsPage *sessions = page->sessions();
        QVERIFY(page->showSessionsTab(true));
        QTableView *view = sessions->tableView();
        // As a user narrows it down: the filter on the application, the Client column hidden.
        sessions->filterEdit()->setText("tst-csv");
        sessions->setColumnShown(SessionsModel::Client, false);
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 3, 10000);
        QCOMPARE(widgets::tableExportName(view), QString("sessions"));

        const QList<QStringList> records = exported(view, m_dir.filePath("sessions.csv"));
        QCOMPARE(records.size(), view->model()->rowCount() + 1); // the header and every row shown
        const QStringList header = visibleHeaders(view);
        QCOMPARE(records.first(), header);
        QVERIFY(
            !header.contains(view->model()->headerData(SessionsModel::Client, Qt::Horizontal).toString()));
        const int app = int(
            header.indexOf(view->model()->headerData(SessionsModel::Application, Qt::Horizontal).toString()));
        const int pid =
            int(header.indexOf(view->model()->headerData(SessionsModel::Pid, Qt::Horizontal).toString()));
        const int query =
            int(header.indexOf(view->model()->headerData(SessionsModel::Query, Qt::Horizontal).toString()));
        QVERIFY(app >= 0 && pid >= 0 && query >= 0);
        for (int r = 1; r < records.size(); ++r) {
            QCOMPARE(records.at(r).size(), header.size());
            QCOMPARE(records.at(r).at(app), QString::fromUtf8(kApp));
            // Rows in the table's order, each cell its display text.
            QCOMPARE(records.at(r).at(pid),
                     view->model()->index(r - 1, SessionsModel::Pid).data().toString());
            QCOMPARE(records.at(r).at(query),
                     view->model()->index(r - 1, SessionsModel::Query).data().toString());
            QVERIFY2(records.at(r).at(query).contains("'a, b'"), qPrintable(records.at(r).at(query)));
        }

        // The table's own context menu ends with the export, with or without a row selected.
        view->clearSelection();
        const QStringList names =
            popupActions([view] { Q_EMIT view->customContextMenuRequested(QPoint(5, 5)); });
        QVERIFY2(names.contains("actionExportCsv"), qPrintable(names.join(',')));
        view->selectRow(0);
        const QStringList withRow =
            popupActions([view] { Q_EMIT view->customContextMenuRequested(QPoint(5, 5)); });
        QVERIFY2(withRow.contains("actionExportCsv") && withRow.size() > names.size(),
                 qPrintable(withRow.join(',')));

        // File → Export → Table as CSV… offers the tables on screen: the Sessions tab's is one of them.
        QVERIFY(window->findChild<QAction *>("actionExportTableCsv"));
        QVERIFY(widgets::shownTables(window.get()).contains(view));
        page->showSessionsTab(false);
        QVERIFY(!widgets::shownTables(window.get()).contains(view));
    }

    void poolsTableAsShown()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().pgbouncerApp, 2, "tst-csv-pool", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const auto window = test::openWindowOnSandbox(*m_sandbox, 250);
        QVERIFY(window);
        window->selectTarget(1);
        auto *pools = window->pageFor(1)->findChild<QTableView *>("poolsTable");
        QVERIFY(pools);
        QTRY_VERIFY_WITH_TIMEOUT(pools->model()->rowCount() > 0, 10000);
        QCOMPARE(widgets::tableExportName(pools), QString("pools"));
        const QList<QStringList> records = exported(pools, m_dir.filePath("pools.csv"));
        QCOMPARE(records.size(), pools->model()->rowCount() + 1);
        QCOMPARE(records.first(), visibleHeaders(pools));
        const QStringList names =
            popupActions([pools] { Q_EMIT pools->customContextMenuRequested(QPoint(5, 5)); });
        QVERIFY2(names.contains("actionExportCsv"), qPrintable(names.join(',')));
        for (const char *name : {"clientsTable", "serversTable"}) {
            auto *view = window->pageFor(1)->findChild<QTableView *>(name);
            QVERIFY2(view && widgets::tableExportAction(view), name);
        }
    }

    void aFileThatCannotBeWrittenSaysWhy()
    {
        QTableView view;
        widgets::installTableExport(&view, "empty");
        QCOMPARE(view.contextMenuPolicy(), Qt::ActionsContextMenu); // no menu of its own: the action is it
        QString error;
        const QString path = m_dir.filePath("missing/dir/x.csv");
        QVERIFY(!widgets::exportTableCsv(&view, path, &error));
        QVERIFY2(error.contains(path) && error.contains("cannot be written"), qPrintable(error));
    }
};

QTEST_MAIN(TestTableExport)
#include "tst_tableexport.moc"
