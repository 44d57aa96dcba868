#pragma once
// MainWindow's private parts shared by its source files (mainwindow.cpp: targets and wiring;
// mainwindowframe.cpp: title, status bar, log and the window's layout).

#include "core/targetconfig.h"
#include "core/timeseries.h"
#include "db/autoremediator.h"
#include "db/targetcontroller.h"
#include "widgets/mainwindow.h"
#include "widgets/sessionactions.h"

#include <QAction>
#include <memory>

namespace poolscope::widgets {

struct MainWindow::Target
{
    int id = 0;
    QString configId; // saved target's id; empty for command-line and demo targets
    TargetConfig config;
    bool passwordPrompted = false; // prompt once per target, never in a loop
    QString conninfo;              // as started (may hold a session password: memory only, never logged)
    std::unique_ptr<db::TargetController> controller;
    std::unique_ptr<SeriesSet> series;
    TargetPage *page = nullptr;                         // owned by the page stack
    QAction *select = nullptr;                          // in the Targets menu
    std::unique_ptr<SessionActions> actions;            // cancel / terminate from the Sessions tab
    std::unique_ptr<db::AutoRemediator> autoRemediator; // saved targets that opted in
    bool chainProviderSet = false;                      // the Sessions tab's "Pooler chain" section
};

} // namespace poolscope::widgets
