#include "mainwindow.h"
#include "mainwindow_p.h"

#include "core/readonly.h"
#include "sandbox/demosession.h"
#include "ui_mainwindow.h"
#include "widgets/auditview.h"
#include "widgets/palette.h"
#include "widgets/plannercontroller.h"
#include "widgets/plannerpage.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QScreen>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

// The window's frame: its title, the status bar's indicators, the log dock's lines and the window's size,
// place and docks from one session to the next.
namespace poolscope::widgets {

void MainWindow::appendLog(spdlog::level::level_enum level, const QString &line)
{
    QColor color;
    if (level >= spdlog::level::err)
        color = palette::targetFailed(palette());
    else if (level == spdlog::level::warn)
        color = palette::targetConnecting(palette());
    if (!color.isValid()) {
        m_ui->logView->appendPlainText(line);
        return;
    }
    m_ui->logView->appendHtml(
        QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color.name(), line.toHtmlEscaped()));
}

void MainWindow::updateLiveIndicator()
{
    // Both the action and the status bar say which state we are in, in words and colour.
    QAction *pause = m_ui->actionPause;
    if (m_paused) {
        pause->setText(tr("Resume live"));
        pause->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
        m_liveLabel->setText(
            tr("<b style=\"color:%1\">❚❚ PAUSED</b>").arg(palette::targetConnecting(palette()).name()));
        m_liveLabel->setToolTip(tr("Charts are frozen; sampling goes on. Press Space to resume."));
    } else {
        pause->setText(tr("Pause live"));
        pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
        m_liveLabel->setText(
            tr("<b style=\"color:%1\">● LIVE</b>").arg(palette::targetLive(palette()).name()));
        m_liveLabel->setToolTip(tr("Charts follow the latest samples. Press Space to pause."));
    }
}

void MainWindow::updateStatus()
{
    int live = 0;
    int failed = 0;
    for (const auto &t : m_targets) {
        switch (t->state()) {
        case TargetState::Live:
            ++live;
            break;
        case TargetState::Stalled:
        case TargetState::Reconnecting:
        case TargetState::Failed:
            ++failed;
            break;
        case TargetState::Connecting:
            break;
        }
    }
    QString text = tr("%1 live of %2 targets").arg(live).arg(targetCount());
    if (failed > 0)
        text += tr(", <b style=\"color:%1\">%2 failing</b>")
                    .arg(palette::targetFailed(palette()).name())
                    .arg(failed);
    if (readonly::isReadOnly())
        text = tr("<b>READ-ONLY</b> · ") + text;
    m_targetsLabel->setText(text);
    updateTitle();
}

void MainWindow::updateTitle()
{
    // What the window shows, first (the taskbar cuts the end): the target, the fleet or the planner; the
    // demo and read-only said too. Qt appends the application's name.
    QString shown;
    if (const int i = currentTarget(); i >= 0)
        shown = m_targets[size_t(i)]->select->text();
    else if (isFleetShown())
        shown = targetCount() == 1 ? tr("Fleet: 1 target") : tr("Fleet: %1 targets").arg(targetCount());
    else if (m_planner && m_ui->pages->currentWidget() == m_planner->page())
        shown = tr("Capacity planner");
    QStringList notes;
    if (m_demo)
        notes.append(tr("demo sandbox"));
    if (readonly::isReadOnly())
        notes.append(tr("read-only"));
    if (!notes.isEmpty())
        shown += (shown.isEmpty() ? QString() : QStringLiteral(" ")) + QLatin1Char('(') + notes.join(u", ") +
                 QLatin1Char(')');
    setWindowTitle(shown.isEmpty() ? QStringLiteral("PoolScope") : shown);
}

void MainWindow::restoreWindowLayout()
{
    const auto settings = openSettings();
    const QByteArray geometry = settings->value(QStringLiteral("window/geometry")).toByteArray();
    if (geometry.isEmpty() || !restoreGeometry(geometry)) {
        // First start: 1280×800 (or the screen, if smaller), centred.
        const QRect screen = this->screen() ? this->screen()->availableGeometry() : QRect(0, 0, 1280, 800);
        const QSize size = QSize(1280, 800).boundedTo(screen.size());
        setGeometry(QStyle::alignedRect(Qt::LeftToRight, Qt::AlignCenter, size, screen));
        return;
    }
    restoreState(settings->value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::saveWindowLayout() const
{
    const auto settings = openSettings();
    settings->setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings->setValue(QStringLiteral("window/state"), saveState());
}

void MainWindow::setupAuditDock()
{
    // The audit trail beside the log and the load: what was done to which sessions, read from the file.
    m_auditDock = new QDockWidget(tr("Audit"), this);
    m_auditDock->setObjectName(QStringLiteral("auditDock"));
    m_auditView = new AuditView(m_auditDock);
    m_auditDock->setWidget(m_auditView);
    addDockWidget(Qt::BottomDockWidgetArea, m_auditDock);
    tabifyDockWidget(m_ui->logDock, m_auditDock);
    m_auditDock->hide();
    QAction *toggle = m_auditDock->toggleViewAction();
    toggle->setText(tr("&Audit trail"));
    toggle->setObjectName(QStringLiteral("actionAudit"));
    toggle->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    toggle->setToolTip(
        tr("Every action taken (terminate, cancel, pooler commands, load runs), from the audit "
           "log (Ctrl+Shift+A)"));
    m_ui->menuView->addAction(toggle);
    connect(toggle, &QAction::triggered, this, [this](bool on) {
        if (on)
            showAuditView();
    });
    // The log and the load are tabs of the same area: shown from the View menu (or its key), each comes to
    // the front instead of opening behind another tab.
    for (QDockWidget *dock : {m_ui->logDock, m_loadDock})
        connect(dock->toggleViewAction(), &QAction::triggered, dock, [dock](bool on) {
            if (on)
                dock->raise();
        });
}

void MainWindow::showAuditView()
{
    m_auditDock->show();
    m_auditDock->raise();
    // Beside the Findings dock it would get a sliver: its columns need half the width.
    resizeDocks({m_auditDock}, {std::max(width() / 2, std::min(width(), 640))}, Qt::Horizontal);
    m_auditView->reload();
    m_auditView->setFocus();
}

void MainWindow::setupHelpMenu()
{
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("menuHelp"));
    QAction *shortcuts = help->addAction(tr("&Keyboard shortcuts"), this, &MainWindow::showShortcuts);
    shortcuts->setObjectName(QStringLiteral("actionShortcuts"));
    shortcuts->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About PoolScope"), this, [this] {
        QMessageBox::about(this, tr("About PoolScope"),
                           tr("<b>PoolScope %1</b><p>Live PostgreSQL sessions and connection-pool occupancy: "
                              "the database and the pooler together, the failure mode named, the pools "
                              "sized.</p><p>Command line: <code>poolscope --help</code>.</p>")
                               .arg(QCoreApplication::applicationVersion()));
    });
}

QList<QPair<QString, QString>> MainWindow::shortcutList() const
{
    // Every action of the window with a key, as its menu names it: the list cannot go stale.
    QList<QPair<QString, QString>> rows;
    for (const QAction *action : findChildren<QAction *>()) {
        if (action->shortcut().isEmpty() || action->text().isEmpty())
            continue;
        const QString text = QString(action->text()).remove(QLatin1Char('&'));
        const QPair<QString, QString> row{action->shortcut().toString(QKeySequence::NativeText), text};
        if (!rows.contains(row))
            rows.append(row);
    }
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) { return a.second < b.second; });
    return rows;
}

void MainWindow::showShortcuts()
{
    const QList<QPair<QString, QString>> rows = shortcutList();
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Keyboard shortcuts"));
    auto *layout = new QVBoxLayout(&dialog);
    auto *table = new QTableWidget(int(rows.size()), 2, &dialog);
    table->setObjectName(QStringLiteral("shortcutsTable"));
    table->setHorizontalHeaderLabels({tr("Keys"), tr("Does")});
    table->verticalHeader()->hide();
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (int i = 0; i < rows.size(); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(rows.at(i).first));
        table->setItem(i, 1, new QTableWidgetItem(rows.at(i).second));
    }
    table->resizeColumnsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(table);
    layout->addWidget(new QLabel(tr("In a table: Enter opens or goes to the evidence, Delete terminates the "
                                    "selected sessions (asks first), Ctrl+. cancels their queries."),
                                 &dialog));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(520, 560);
    dialog.exec();
}

} // namespace poolscope::widgets
