// MainWindow's recordings: File → Open recording… (a replay window), the always-on rolling recording and
// File → Save the last 30 minutes…, File → Export (charts, tables) and File → Incident report….
#include "mainwindow.h"

#include "core/auditlog.h"
#include "core/logging.h"
#include "record/rollingrecording.h"
#include "ui_mainwindow.h"
#include "widgets/exportmenu.h"
#include "widgets/replaywindow.h"
#include "widgets/reportrequest.h"

#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>

namespace poolscope::widgets {

void MainWindow::setupRecording()
{
    // File → Open recording…: a recording (`poolscope record`) in a replay window of its own.
    auto *openRecording = new QAction(tr("&Open recording…"), this);
    openRecording->setObjectName(QStringLiteral("actionOpenRecording"));
    openRecording->setShortcut(QKeySequence::Open);
    m_ui->menuFile->insertAction(m_ui->actionQuit, openRecording);
    connect(openRecording, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open recording"), QString(),
                                                          tr("PoolScope recordings (*.psrec *.sqlite *.db);;"
                                                             "All files (*)"));
        if (!path.isEmpty())
            openReplay(path);
    });
    // The always-on recording of every target: the last rollingHours (24 by default; 0 turns it off),
    // at most rollingMaxMiB on disk. File → Save the last 30 minutes… takes an incident with you afterwards.
    {
        const QSettings settings;
        const double hours = settings.value(QStringLiteral("recording/rollingHours"), 24.0).toDouble();
        if (hours > 0) {
            record::RollingOptions o;
            o.path = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
                     QStringLiteral("/poolscope/rolling.psrec");
            o.keepMs = qint64(hours * 3600000.0);
            o.maxBytes =
                settings.value(QStringLiteral("recording/rollingMaxMiB"), 1024).toLongLong() * 1048576;
            o.auditPath = audit::filePath();
            auto rolling = std::make_unique<record::RollingRecording>(); // writes on a thread of its own
            QString why;
            if (rolling->start(o, &why))
                m_rolling = std::move(rolling);
            else
                logging::get("ui")->info("no rolling recording: {}", why.toStdString());
        }
    }
    auto *saveLast = new QAction(tr("&Save the last 30 minutes…"), this);
    saveLast->setObjectName(QStringLiteral("actionSaveLast30"));
    saveLast->setEnabled(m_rolling != nullptr);
    saveLast->setToolTip(m_rolling ? tr("Save the last 30 minutes of every target into a recording")
                                   : tr("The rolling recording is off (another PoolScope keeps it, or the "
                                        "recording/rollingHours setting is 0)"));
    m_ui->menuFile->insertAction(m_ui->actionQuit, saveLast);
    connect(saveLast, &QAction::triggered, this, [this] {
        const QString suggested = QDir::homePath() + QStringLiteral("/poolscope-") +
                                  QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) +
                                  QStringLiteral(".psrec");
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the last 30 minutes"), suggested,
                                                          tr("PoolScope recordings (*.psrec)"));
        if (path.isEmpty())
            return;
        statusBar()->showMessage(tr("Saving the last 30 minutes to %1…").arg(path));
        saveLastMinutes(path, 30, [this, path](bool ok, const QString &error) {
            if (ok) {
                statusBar()->showMessage(tr("Saved the last 30 minutes to %1").arg(path), 15000);
                return;
            }
            auto *box = new QMessageBox(QMessageBox::Warning, tr("Save the last 30 minutes"),
                                        tr("The recording could not be saved."), QMessageBox::Ok, this);
            box->setInformativeText(error);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        });
    });

    // File → Export: a chart as PNG or PDF, a table as CSV (the same as their context menus).
    addExportMenu(this, m_ui->menuFile, m_ui->actionQuit);
    // File → Incident report…: HTML (and PDF) of a window of the rolling recording (poolscope_report).
    auto *report = new QAction(tr("Incident &report…"), this);
    report->setObjectName(QStringLiteral("actionIncidentReport"));
    report->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    const bool canReport = m_rolling && reportOpener();
    report->setEnabled(canReport);
    report->setToolTip(canReport ? tr("A report of the last minutes for a post-mortem: charts, findings with "
                                      "their evidence and advice, actions taken (Ctrl+Shift+I)")
                                 : tr("Needs the rolling recording (another PoolScope keeps it, or the "
                                      "recording/rollingHours setting is 0)"));
    m_ui->menuFile->insertAction(m_ui->actionQuit, report);
    m_ui->menuFile->insertSeparator(m_ui->actionQuit);
    connect(report, &QAction::triggered, this, [this] {
        if (!m_rolling || !reportOpener())
            return;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        reportOpener()(this, {m_rolling->path(), now - 30 * 60000, now, tr("the last 30 minutes")});
    });
}

bool MainWindow::isRollingRecording() const
{
    return m_rolling && m_rolling->isRecording();
}

void MainWindow::saveLastMinutes(const QString &path, int minutes,
                                 std::function<void(bool, const QString &)> done)
{
    if (!m_rolling) {
        done(false, tr("The rolling recording is off."));
        return;
    }
    m_rolling->saveLast(path, qint64(minutes) * 60000, QDateTime::currentMSecsSinceEpoch(), std::move(done));
}

ReplayWindow *MainWindow::openReplay(const QString &path)
{
    auto *replay = new ReplayWindow(this);
    replay->setWindowFlag(Qt::Window);
    replay->setAttribute(Qt::WA_DeleteOnClose);
    QString error;
    if (!replay->openRecording(path, &error)) {
        delete replay;
        // A file that cannot be read says why; the window and its live targets go on.
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Open recording"),
                                    tr("This recording cannot be shown."), QMessageBox::Ok, this);
        box->setInformativeText(error);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open(); // not exec(): the window keeps sampling its live targets
        statusBar()->showMessage(error, 15000);
        logging::get("ui")->warn("cannot replay {}", error.toStdString());
        return nullptr;
    }
    replay->show();
    return replay;
}

} // namespace poolscope::widgets
