// Unit: the CSV writer behind "Export as CSV…" (RFC 4180): quoting, line breaks inside fields, Unicode, the
// header row, and a table written in its proxy's order with only the columns asked for. Every file is read
// back with an RFC 4180 parser (support/csvparse.h), so a field that would split or merge records fails.
#include "models/tablecsv.h"
#include "support/csvparse.h"

#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTest>

using namespace poolscope;

class TestTableCsv : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fieldsAreQuotedOnlyWhenNeeded_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("field");
        QTest::newRow("plain") << "idle in transaction"
                               << "idle in transaction";
        QTest::newRow("empty") << ""
                               << "";
        QTest::newRow("comma") << "a,b"
                               << "\"a,b\"";
        QTest::newRow("quote") << "say \"hi\""
                               << "\"say \"\"hi\"\"\"";
        QTest::newRow("newline") << "SELECT 1\nFROM t"
                                 << "\"SELECT 1\nFROM t\"";
        QTest::newRow("carriage return") << "a\rb"
                                         << "\"a\rb\"";
        QTest::newRow("leading space") << " x"
                                       << "\" x\"";
        QTest::newRow("unicode") << QString::fromUtf8("café ☕ 東京") << QString::fromUtf8("café ☕ 東京");
    }
    void fieldsAreQuotedOnlyWhenNeeded()
    {
        QFETCH(QString, text);
        QFETCH(QString, field);
        QCOMPARE(models::csvField(text), field);
    }

    void recordsEndWithCrlf() { QCOMPARE(models::csvRecord({"1", "a,b", ""}), QString("1,\"a,b\",\r\n")); }

    void tableRoundTripsThroughAParser()
    {
        QStandardItemModel model(0, 4);
        model.setHorizontalHeaderLabels({"pid", "query", "hidden column", "application"});
        const QList<QStringList> rows{
            {"42", "SELECT 'a, b'", "x", QString::fromUtf8("billing-ü")},
            {"7", "UPDATE t SET s = \"quoted\"\nWHERE id = 1", "y", QString::fromUtf8("東京")},
            {"1000", "", "z", "plain"},
        };
        for (const QStringList &r : rows) {
            QList<QStandardItem *> items;
            for (const QString &v : r)
                items.append(new QStandardItem(v));
            model.appendRow(items);
        }
        // What the user sees: sorted by pid descending as text ("7" > "42" > "1000"), filtered to rows whose
        // application is not "plain", and only columns 3, 0 and 1 in that order.
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setFilterKeyColumn(3);
        proxy.setFilterRegularExpression("^(?!plain$)");
        proxy.sort(0, Qt::DescendingOrder);
        QCOMPARE(proxy.rowCount(), 2);

        const QByteArray csv = models::tableCsv(proxy, {3, 0, 1});
        const QList<QStringList> records = test::parseCsv(QString::fromUtf8(csv));
        QCOMPARE(records.size(), proxy.rowCount() + 1);
        QCOMPARE(records.at(0), (QStringList{"application", "pid", "query"}));
        QCOMPARE(records.at(1), (QStringList{QString::fromUtf8("東京"), "7", rows[1][1]}));
        QCOMPARE(records.at(2), (QStringList{QString::fromUtf8("billing-ü"), "42", rows[0][1]}));
        QVERIFY(csv.endsWith("\r\n"));
        QVERIFY(!csv.startsWith("\xEF\xBB\xBF")); // no byte order mark
    }

    void cellTextReplacesTheDisplayText()
    {
        QStandardItemModel model(2, 1);
        model.setHorizontalHeaderLabels({"waited"});
        model.setData(model.index(0, 0), 1.5);
        model.setData(model.index(1, 0), 12.34);
        const QByteArray csv = models::tableCsv(model, {0}, [](const QModelIndex &index) -> QString {
            return QString::number(index.data().toDouble(), 'f', 1) + " s";
        });
        QCOMPARE(csv, QByteArray("waited\r\n1.5 s\r\n12.3 s\r\n"));
    }
};

QTEST_GUILESS_MAIN(TestTableCsv)
#include "tst_tablecsv.moc"
