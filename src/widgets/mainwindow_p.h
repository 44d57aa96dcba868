#pragma once
// MainWindow's private parts shared by its source files (mainwindow.cpp: targets and wiring;
// mainwindowframe.cpp: title, status bar, log and the window's layout).

#include "core/targetconfig.h"
#include "core/timeseries.h"
#include "db/autoremediator.h"
#include "db/targetcontroller.h"
#include "metrics/promdiscovery.h"
#include "metrics/prometheusfleet.h"
#include "metrics/prometheushistory.h"
#include "widgets/mainwindow.h"
#include "widgets/sessionactions.h"

#include <QAction>
#include <memory>
#include <optional>

namespace poolscope::widgets {

inline constexpr int SeriesCapacity = 3600; // one hour at one sample per second

/// A target read from a Prometheus (mainwindowprometheus.cpp) instead of sampled by a controller.
struct MainWindow::PromTarget
{
    int sourceId = 0;
    int entry = -1;                  // its PrometheusFleet entry; -1: the row named after the Prometheus
    metrics::DiscoveredTarget found; // as the newest read found it (origin, job, instance, name, kind)
    QString name;                    // its address: the instance's, or the Prometheus's for entry -1
    TargetState state = TargetState::Connecting;
    QString error;
    int failures = 0;
    std::optional<TargetSnapshot> last; // the newest sample, ok or not
    bool historyRequested = false;      // its charts' past asked from query_range (once, when first shown)
    bool historyInFlight = false;
    QList<TargetSnapshot> sinceHistoryAsked; // live samples while the history is read, recorded after it
};

/// One Prometheus target (`prometheus+http://…`): read every interval, each instance in it a target.
struct MainWindow::PromSource
{
    int id = 0;
    QString configId; // saved target's id; empty for a command-line one
    TargetConfig config;
    QString display; // prometheus+http://HOST:PORT, never a secret
    std::unique_ptr<metrics::PrometheusFleet> fleet;
    std::unique_ptr<metrics::PrometheusHistoryReader> history; // one query_range at a time
    QList<int> historyQueue;                                   // target ids waiting for it
    int historyTargetId = 0;                                   // the one it reads now (0: none)
    QList<int> targetIds;                                      // the fleet's entry -> target id
    int selfId = 0; // the row named after the Prometheus, while nothing was discovered in it (0: none)
};

struct MainWindow::Target
{
    int id = 0;
    QString configId; // saved target's id; empty for command-line and demo targets
    TargetConfig config;
    bool passwordPrompted = false; // prompt once per target, never in a loop
    QString conninfo;              // as started (may hold a session password: memory only, never logged)
    std::unique_ptr<db::TargetController> controller; // null for a target read from Prometheus
    std::unique_ptr<PromTarget> prom;                 // null for a target sampled directly
    std::unique_ptr<SeriesSet> series;
    TargetPage *page = nullptr;                         // owned by the page stack
    QAction *select = nullptr;                          // in the Targets menu
    std::unique_ptr<SessionActions> actions;            // cancel / terminate from the Sessions tab
    std::unique_ptr<db::AutoRemediator> autoRemediator; // saved targets that opted in
    bool chainProviderSet = false;                      // the Sessions tab's "Pooler chain" section

    // The same questions whether it is sampled directly or read from Prometheus.
    QString address() const { return controller ? controller->target() : prom->name; }
    TargetKind kind() const { return controller ? controller->kind() : prom->found.snapshot.kind; }
    TargetState state() const { return controller ? controller->state() : prom->state; }
    QString lastError() const { return controller ? controller->lastError() : prom->error; }
    QString lastHint() const { return controller ? controller->lastHint() : QString(); }
    int attemptCount() const { return controller ? controller->attemptCount() : prom->failures; }
    qint64 nextRetryAtMs() const { return controller ? controller->nextRetryAtMs() : 0; }
    QString name() const { return config.name.isEmpty() ? address() : config.name; }
};

} // namespace poolscope::widgets
