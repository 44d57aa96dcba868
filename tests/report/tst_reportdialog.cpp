// Unit (offscreen): File → Incident report… of a replay window. A recording written through the
// RecordingWriter (30 s of a PostgreSQL target with a leak finding and an audited terminate) opens in a
// ReplayWindow; with the report opener installed, the action opens the dialog on the charts' range up to the
// scrubber; "the whole recording" widens it; writing gives the HTML and the PDF with the finding and the
// action. The dialog fits a 1280×800 screen.
#include "core/finding.h"
#include "record/recordingwriter.h"
#include "report/reportdialog.h"
#include "support/recordedsamples.h"
#include "widgets/replaywindow.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QFile>
#include <QLineEdit>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;

namespace {

constexpr qint64 kStart = 1765000000000; // ms

/// 4 sessions of billing held idle in transaction until they are terminated at 20 s.
TargetSnapshot sampleAt(int k)
{
    return test::billingSample(kStart + k * 1000, k < 20 ? 4 : 0, double(kStart) / 1000.0);
}

findings::Finding leak(int k)
{
    findings::Finding f;
    f.id = 7;
    f.rule = findings::rule::IdleInTransactionLeak;
    f.subject = QStringLiteral("billing");
    f.severity = findings::Severity::Critical;
    f.target = QStringLiteral("monitor@db1:5432/app");
    f.targets = {f.target};
    f.raisedAtMs = kStart + 6000;
    f.sinceMs = kStart;
    f.lastSeenMs = kStart + std::min(k, 19) * 1000;
    if (k >= 20) {
        f.endedAtMs = kStart + 20000;
        f.status = findings::Status::Resolved;
    }
    f.summary = QStringLiteral("billing: 4 sessions idle in transaction for 6 s <oldest first>");
    f.advice = {QStringLiteral("Commit or roll back before returning a connection to the pool."),
                QStringLiteral("Set idle_in_transaction_session_timeout = '60s' for role app.")};
    f.evidence.insert("sessions", 4);
    f.evidence.insert("application", QStringLiteral("billing"));
    f.pids = {1000, 1001, 1002, 1003};
    return f;
}

} // namespace

class TestReportDialog : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString writeRecording()
    {
        const QString path = m_dir.filePath("replay.psrec");
        const QString auditPath = m_dir.filePath("audit.jsonl");
        QFile(auditPath).open(QIODevice::WriteOnly); // empty: lines written after create() are recorded
        record::WriterOptions options;
        options.auditPath = auditPath;
        record::RecordingWriter writer;
        QString error;
        if (!writer.create(path, {QStringLiteral("monitor@db1:5432/app")}, options, &error))
            qFatal("%s", qPrintable(error));
        for (int k = 0; k < 30; ++k) {
            if (k == 20) {
                QFile audit(auditPath);
                audit.open(QIODevice::Append);
                const QString time =
                    QDateTime::fromMSecsSinceEpoch(kStart + 19500, Qt::UTC).toString(Qt::ISODateWithMs);
                audit.write(QStringLiteral(
                                "{\"time\":\"%1\",\"os_user\":\"alice\",\"target\":\"monitor@db1:5432/app\","
                                "\"action\":\"terminate\",\"source\":\"gui\",\"pids\":[1000,1001,1002,1003],"
                                "\"result\":\"4 terminated\"}\n")
                                .arg(time)
                                .toUtf8());
            }
            QList<findings::Finding> found;
            if (k >= 6)
                found.append(leak(k));
            if (!writer.addSample(1, sampleAt(k), found, kStart + k * 1000))
                qFatal("write failed");
        }
        writer.close(kStart + 30000);
        return path;
    }

private Q_SLOTS:
    void replayWindowOpensTheDialogAndItWrites()
    {
        QVERIFY(m_dir.isValid());
        report::installReportOpener();
        widgets::ReplayWindow window;
        QString error;
        QVERIFY2(window.openRecording(writeRecording(), &error), qPrintable(error));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *action = window.findChild<QAction *>("actionIncidentReport");
        QVERIFY(action && action->isEnabled());
        QCOMPARE(action->shortcut(), QKeySequence("Ctrl+Shift+I"));
        window.scrubber()->setValue(25);
        action->trigger();
        report::ReportDialog *dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<report::ReportDialog *>()) && dialog->isVisible());
        QVERIFY(dialog->isUsable());

        // Offered: the charts' five minutes up to the scrubber, clamped to the recording: 0 s to 25 s.
        QCOMPARE(dialog->windowChoice()->currentIndex(), 0);
        QCOMPARE(dialog->windowChoice()->currentText(), QString("the charts' range, up to the scrubber"));
        QCOMPARE(dialog->fromEdit()->dateTime().toMSecsSinceEpoch(), kStart);
        QCOMPARE(dialog->toEdit()->dateTime().toMSecsSinceEpoch(), kStart + 25000);
        dialog->windowChoice()->setCurrentIndex(1); // the whole recording
        QCOMPARE(dialog->toEdit()->dateTime().toMSecsSinceEpoch(), kStart + 29000);
        dialog->fromEdit()->setDateTime(
            QDateTime::fromMSecsSinceEpoch(kStart + 2000)); // edited: "from and to"
        QCOMPARE(dialog->windowChoice()->currentIndex(), 4);

        dialog->htmlPathEdit()->setText(m_dir.filePath("incident.html"));
        dialog->pdfCheck()->setChecked(true);
        QCOMPARE(dialog->pdfPath(), m_dir.filePath("incident.pdf"));
        const report::ReportResult r = dialog->write();
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.fromMs, kStart + 2000);
        QCOMPARE(r.findings, 1);
        QCOMPARE(r.actions, 1);
        QVERIFY(r.charts >= 2); // sessions by state, by application (no transaction counters recorded)
        QFile html(m_dir.filePath("incident.html"));
        QVERIFY(html.open(QIODevice::ReadOnly));
        const QByteArray text = html.readAll();
        QVERIFY(text.contains("idle-in-transaction-leak"));
        QVERIFY(text.contains("&lt;oldest first&gt;")); // escaped
        QVERIFY(text.contains("<li>Set idle_in_transaction_session_timeout = '60s' for role app.</li>"));
        QVERIFY(text.contains("<td>alice (gui)</td>"));
        QVERIFY(text.contains("4 terminated"));
        QFile pdf(m_dir.filePath("incident.pdf"));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.read(5) == "%PDF-");

        // The dialog fits the smallest screen PoolScope supports.
        QVERIFY2(
            dialog->sizeHint().width() <= 1280 && dialog->sizeHint().height() <= 800,
            qPrintable(QString("%1x%2").arg(dialog->sizeHint().width()).arg(dialog->sizeHint().height())));
        const QString shots = qEnvironmentVariable("POOLSCOPE_SCREENSHOTS");
        if (!shots.isEmpty())
            dialog->grab().save(shots + "/report-dialog.png");
        dialog->reject();
    }

    void aRecordingThatCannotBeReadIsSaid()
    {
        report::ReportDialog dialog({m_dir.filePath("missing.psrec"), 0, 0, "x"});
        QVERIFY(!dialog.isUsable());
        QVERIFY2(dialog.error().contains("no such file"), qPrintable(dialog.error()));
    }
};

QTEST_MAIN(TestReportDialog)
#include "tst_reportdialog.moc"
