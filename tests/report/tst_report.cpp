// Integration (issue 15): the incident report of a real recording. The test records the sandbox's
// PostgreSQL and PgBouncer with `poolscope record` while three sessions of its application sit idle in
// transaction (an idle-in-transaction-leak finding), a short `poolscope load` runs through PgBouncer (load
// markers) and `poolscope terminate` ends the three sessions (an audited action). Then `poolscope report`
// and the library write the report: the HTML names the finding with its evidence and advice, the action with
// its pids and outcome, the load run; every chart is an embedded PNG that decodes; nothing refers to
// anything outside the file; the PDF is a PDF of several pages. A narrower window leaves out what happened
// outside it. Bad recordings, windows, times and outputs exit 1 with the reason and write nothing.
#include "record/recordingreader.h"
#include "record/sqlitedb.h"
#include "report/incidentreport.h"
#include "report/reportcommand.h"
#include "support/sandboxtestcase.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <libpq-fe.h>
#include <sqlite3.h>

using namespace poolscope;

namespace {

const QByteArray kApp = "tst-report";

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// Rows of one column of the recording, read with SQLite itself.
QStringList sqliteColumn(const QString &path, const char *sql)
{
    QStringList out;
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *s = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK) {
            while (sqlite3_step(s) == SQLITE_ROW)
                out.append(QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(s, 0))));
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return out;
}

/// The base64 payloads of the report's embedded images.
QList<QByteArray> embeddedPngs(const QByteArray &html)
{
    QList<QByteArray> out;
    static const QRegularExpression img(
        QStringLiteral("<img src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\""));
    auto it = img.globalMatch(QString::fromLatin1(html));
    while (it.hasNext())
        out.append(QByteArray::fromBase64(it.next().captured(1).toLatin1()));
    return out;
}

int pdfPages(const QByteArray &pdf)
{
    return int(QString::fromLatin1(pdf).count(QRegularExpression(QStringLiteral("/Type\\s*/Page(?!s)"))));
}

} // namespace

class TestReport : public test::SandboxTestCase
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_recording;
    QList<qint64> m_terminated;
    qint64 m_terminatedAtMs = 0;
    qint64 m_heldAtMs = 0;

private Q_SLOTS:
    void recordAnIncident()
    {
        QVERIFY(m_dir.isValid());
        const QString path = m_dir.filePath("incident.psrec");
        QString error;
        test::PoolscopeProcess rec;
        QVERIFY2(rec.start({"record", m_sandbox->uris().monitor, m_sandbox->uris().pgbouncerMonitor, "--out",
                            path, "--interval", "250ms", "--duration", "14s"},
                           &error),
                 qPrintable(error));
        // A quiet start first: the samples before the sessions are held are the "before" of the incident.
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(path) &&
                                     sqliteColumn(path, "SELECT count(*) FROM samples").value(0).toInt() >= 6,
                                 10000);
        m_heldAtMs = QDateTime::currentMSecsSinceEpoch();
        test::HeldSessions held;
        QVERIFY2(held.open(m_sandbox->uris().app, 3, kApp, {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
        QElapsedTimer sinceHeld;
        sinceHeld.start();
        QTest::qWait(1000);
        test::PoolscopeProcess load;
        QVERIFY2(load.start({"load", m_sandbox->uris().pgbouncerApp, "--scenario", "select1", "--clients",
                             "4", "--duration", "3s", "--quiet"},
                            &error),
                 qPrintable(error));
        // The leak is named once two of its sessions are 5 s idle in transaction; end them at 8 s.
        QTest::qWait(int(std::max<qint64>(0, 8000 - sinceHeld.elapsed())));
        m_terminatedAtMs = QDateTime::currentMSecsSinceEpoch();
        const test::CliResult t = test::runPoolscope(
            {"terminate", m_sandbox->uris().monitor, "--state", "idle-in-transaction", "--older-than", "5s",
             "--application", QString::fromUtf8(kApp), "--yes", "--json"});
        QVERIFY2(t.exitCode == 0, t.err.constData());
        for (const QJsonValue &c : test::jsonOf(t)["candidates"].toArray()) {
            if (c.toObject()["result"].toString() == "terminated")
                m_terminated.append(qint64(c.toObject()["pid"].toDouble()));
        }
        QCOMPARE(m_terminated.size(), 3);
        const test::CliResult l = load.finish(20000);
        QVERIFY2(l.exitCode == 0, l.err.constData());
        const test::CliResult r = rec.finish(20000);
        QVERIFY2(r.exitCode == 0, r.err.constData());

        // What the report must show is in the file (read with SQLite itself).
        QVERIFY(sqliteColumn(path, "SELECT rule FROM findings").contains("idle-in-transaction-leak"));
        QCOMPARE(sqliteColumn(path, "SELECT action FROM audit WHERE action = 'terminate'").size(), 1);
        QCOMPARE(sqliteColumn(path, "SELECT kind FROM markers WHERE kind LIKE 'load_%' ORDER BY t_ms"),
                 (QStringList{"load_start", "load_stop"}));
        m_recording = path;
    }

    void cliWritesASelfContainedReport()
    {
        QVERIFY(!m_recording.isEmpty());
        const QString html = m_dir.filePath("report.html");
        const QString pdf = m_dir.filePath("report.pdf");
        QElapsedTimer timer;
        timer.start();
        const test::CliResult r =
            test::runPoolscope({"report", m_recording, "--out", html, "--pdf", pdf}, 120000);
        qInfo("poolscope report of a 14 s recording of 2 targets: %lld ms", timer.elapsed());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.out.startsWith(QByteArray(html.toUtf8() + "\t")), r.out.constData());
        const QRegularExpressionMatch counts =
            QRegularExpression("(\\d+) charts, (\\d+) findings, (\\d+) actions, (\\d+) load runs")
                .match(QString::fromUtf8(r.out));
        QVERIFY2(counts.hasMatch(), r.out.constData());
        const int charts = counts.captured(1).toInt();
        QCOMPARE(counts.captured(3).toInt(), 1);
        QCOMPARE(counts.captured(4).toInt(), 1);

        const QByteArray text = readAll(html);
        QVERIFY(text.startsWith("<!DOCTYPE html>"));
        // The targets and the finding: its rule, summary, every evidence key, every line of advice.
        QVERIFY(text.contains(QString("monitor@127.0.0.1:%1/app").arg(m_sandbox->postgresPort()).toUtf8()));
        QVERIFY(text.contains("pgbouncer"));
        const QStringList jsons = sqliteColumn(m_recording, "SELECT json FROM findings WHERE rule = "
                                                            "'idle-in-transaction-leak'");
        QVERIFY(!jsons.isEmpty());
        for (const QString &json : jsons) {
            const QJsonObject f = QJsonDocument::fromJson(json.toUtf8()).object();
            QVERIFY(text.contains(f["summary"].toString().toHtmlEscaped().toUtf8()));
            const QJsonObject evidence = f["evidence"].toObject();
            QVERIFY(!evidence.isEmpty());
            for (auto it = evidence.begin(); it != evidence.end(); ++it) {
                QVERIFY2(text.contains(QByteArray("<td class=\"mono\">" + it.key().toUtf8() + "</td>")),
                         qPrintable(it.key()));
                if (it.value().isString())
                    QVERIFY2(text.contains(it.value().toString().toHtmlEscaped().toUtf8()),
                             qPrintable(it.key()));
            }
            const QJsonArray advice = f["advice"].toArray();
            QVERIFY(!advice.isEmpty());
            for (const QJsonValue &a : advice)
                QVERIFY2(text.contains(QByteArray("<li>" + a.toString().toHtmlEscaped().toUtf8() + "</li>")),
                         qPrintable(a.toString()));
        }
        // The action: terminate, its pids and its outcome as the audit line says.
        const QJsonObject audit =
            QJsonDocument::fromJson(
                sqliteColumn(m_recording, "SELECT json FROM audit WHERE action = 'terminate'")
                    .value(0)
                    .toUtf8())
                .object();
        QVERIFY(text.contains("<td class=\"mono\">terminate</td>"));
        QVERIFY2(text.contains(audit["result"].toString().toHtmlEscaped().toUtf8()),
                 qPrintable(audit["result"].toString()));
        for (const qint64 pid : m_terminated)
            QVERIFY2(text.contains(QByteArray::number(pid)), qPrintable(QString::number(pid)));
        QVERIFY(text.contains("<h2>Load runs</h2>"));
        QVERIFY(text.contains("select1"));

        // Every chart embedded, each a PNG at twice the report's 800 × 280 px.
        const QList<QByteArray> pngs = embeddedPngs(text);
        // PostgreSQL: sessions by state and by application (transactions per second once its rate has
        // filled its window); PgBouncer: the three charts of the pool the load ran through.
        for (const char *title :
             {"Sessions by state", "Sessions by application", "Server connections of app/app",
              "Clients of app/app: active vs waiting", "Queue age (maxwait) of app/app"})
            QVERIFY2(text.contains(QByteArray("alt=\"").append(title)), title);
        QVERIFY2(charts >= 5, qPrintable(QString::number(charts)));
        QCOMPARE(int(pngs.size()), charts);
        QCOMPARE(text.count("<img "), charts);
        for (const QByteArray &png : pngs) {
            const QImage image = QImage::fromData(png, "PNG");
            QCOMPARE(image.size(), QSize(1600, 560));
        }
        // Self-contained: nothing fetched from anywhere.
        QVERIFY(!text.contains("http://"));
        QVERIFY(!text.contains("https://"));
        QVERIFY(!text.contains("<link"));
        QVERIFY(!text.contains("<script"));
        QVERIFY(!text.contains("url("));
        QCOMPARE(text.count("src=\""), text.count("src=\"data:image/png;base64,"));

        const QByteArray pdfBytes = readAll(pdf);
        QVERIFY(pdfBytes.startsWith("%PDF-"));
        QVERIFY2(pdfBytes.size() > 100 * 1024, qPrintable(QString::number(pdfBytes.size()))); // the charts
        QVERIFY2(pdfPages(pdfBytes) >= 2, qPrintable(QString::number(pdfPages(pdfBytes))));
    }

    void aNarrowerWindowLeavesOutWhatHappenedOutsideIt()
    {
        record::RecordingReader reader;
        QString error;
        QVERIFY2(reader.open(m_recording, &error), qPrintable(error));
        const auto [start, end] = reader.timeSpan();

        // Before the sessions were held: neither the leak nor the action.
        report::ReportOptions early;
        early.fromMs = start;
        early.toMs = m_heldAtMs - 100;
        early.htmlPath = m_dir.filePath("early.html");
        const report::ReportResult e = report::writeIncidentReport(m_recording, early);
        QVERIFY2(e.ok(), qPrintable(e.error));
        QCOMPARE(e.actions, 0);
        QVERIFY(e.charts >= 3);
        const QByteArray earlyText = readAll(early.htmlPath);
        QVERIFY(!earlyText.contains("idle-in-transaction-leak"));
        QVERIFY(!earlyText.contains("<td class=\"mono\">terminate</td>"));
        QVERIFY(earlyText.contains("No action was taken in this window"));

        // Around the terminate: the action and the finding it ended.
        int steps = 0;
        report::ReportOptions around;
        around.fromMs = m_terminatedAtMs - 2000;
        around.toMs = end;
        around.htmlPath = m_dir.filePath("around.html");
        const report::ReportResult a = report::writeIncidentReport(
            m_recording, around, [&steps](int, const QString &) { return ++steps > 0; });
        QVERIFY2(a.ok(), qPrintable(a.error));
        QCOMPARE(a.actions, 1);
        QVERIFY(a.findings >= 1);
        QVERIFY(steps >= 5);
        QVERIFY(readAll(around.htmlPath).contains("idle-in-transaction-leak"));

        // Cancelled from the progress callback: nothing written.
        report::ReportOptions cancelled = around;
        cancelled.htmlPath = m_dir.filePath("cancelled.html");
        const report::ReportResult c = report::writeIncidentReport(
            m_recording, cancelled, [](int percent, const QString &) { return percent < 10; });
        QCOMPARE(c.failure, report::ReportFailure::Cancelled);
        QVERIFY(!QFile::exists(cancelled.htmlPath));
    }

    void badInputsExitOneAndSayWhy_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QFile text(m_dir.filePath("notes.txt"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        text.write("not a recording\n");
        text.close();
        const QString out = m_dir.filePath("bad.html");
        QTest::newRow("missing") << QStringList{m_dir.filePath("missing.psrec"), "--out", out}
                                 << "no such file";
        QTest::newRow("not a recording")
            << QStringList{text.fileName(), "--out", out} << "not a PoolScope recording";
        QTest::newRow("no --out") << QStringList{m_recording} << "--out FILE is required";
        QTest::newRow("bad time") << QStringList{m_recording, "--out", out, "--from", "yesterday"}
                                  << "is not a TIME";
        QTest::newRow("outside") << QStringList{m_recording, "--out", out, "--from", "-2h", "--to", "-1h"}
                                 << "outside the recording";
        QTest::newRow("backwards") << QStringList{m_recording, "--out", out, "--from", "-1s", "--to", "+1s"}
                                   << "before it starts";
        QTest::newRow("unwritable") << QStringList{m_recording, "--out", m_dir.filePath("no/such/dir/r.html")}
                                    << "cannot be written";
    }
    void badInputsExitOneAndSayWhy()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const test::CliResult r = test::runPoolscope(QStringList{"report"} + args, 60000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("poolscope report: ") && r.err.contains(message.toUtf8()),
                 r.err.constData());
        QVERIFY(r.out.isEmpty());
        QVERIFY(!QFile::exists(m_dir.filePath("bad.html")));
    }

    void timesAreReadAgainstTheRecording()
    {
        const qint64 start = QDateTime(QDate(2026, 5, 1), QTime(13, 50)).toMSecsSinceEpoch();
        const qint64 end = QDateTime(QDate(2026, 5, 1), QTime(14, 20)).toMSecsSinceEpoch();
        QCOMPARE(report::parseReportTime("-10m", start, end), end - 600000);
        QCOMPARE(report::parseReportTime("+90s", start, end), start + 90000);
        QCOMPARE(report::parseReportTime("14:05", start, end),
                 QDateTime(QDate(2026, 5, 1), QTime(14, 5)).toMSecsSinceEpoch());
        QCOMPARE(report::parseReportTime("23:30", start, end), // after the end: the day before
                 QDateTime(QDate(2026, 4, 30), QTime(23, 30)).toMSecsSinceEpoch());
        QCOMPARE(report::parseReportTime("2026-05-01T12:00:00Z", start, end),
                 QDateTime(QDate(2026, 5, 1), QTime(12, 0), Qt::UTC).toMSecsSinceEpoch());
        QCOMPARE(report::parseReportTime("2026-05-01 14:00:30", start, end),
                 QDateTime(QDate(2026, 5, 1), QTime(14, 0, 30)).toMSecsSinceEpoch());
        QVERIFY(!report::parseReportTime("soon", start, end));
        QVERIFY(!report::parseReportTime("-ten", start, end));
        QVERIFY(!report::parseReportTime("25:00", start, end));
    }
};

QTEST_MAIN(TestReport)
#include "tst_report.moc"
