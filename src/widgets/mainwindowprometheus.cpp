// MainWindow's Prometheus targets: a `prometheus+http://HOST:PORT`, saved or from the command line, read
// every interval by a metrics::PrometheusFleet (the reader `watch` and `diagnose` use too); every PostgreSQL
// and PgBouncer instance discovered in it is a target of its own, fed from Prometheus's samples through the
// same onSnapshot() as a sampled target (series, page, fleet overview, findings), with its charts' past read
// from query_range when its page is first shown.
#include "mainwindow.h"
#include "mainwindow_p.h"

#include "core/logging.h"
#include "core/readonly.h"
#include "core/recorder.h"
#include "metrics/prometheusclient.h"
#include "metrics/prometheusfleet.h"
#include "metrics/prometheushistory.h"
#include "models/targetlistmodel.h"
#include "widgets/targetpage.h"

#include <QDateTime>
#include <QLocale>
#include <QStatusBar>
#include <algorithm>
#include <utility>

namespace poolscope::widgets {

namespace {

constexpr double kHistoryRangeS = 3600; // what the charts' raw ring holds at one sample per second
constexpr int kHistoryTimeoutMs = 15000;

} // namespace

int MainWindow::addPrometheus(const QString &url, int intervalMs, const QByteArray &secret)
{
    return startPrometheus(url, intervalMs, secret, nullptr);
}

MainWindow::PromSource *MainWindow::sourceById(int sourceId) const
{
    for (const auto &s : m_promSources) {
        if (s->id == sourceId)
            return s.get();
    }
    return nullptr;
}

QString MainWindow::prometheusOf(int index) const
{
    if (index < 0 || index >= targetCount() || !m_targets[size_t(index)]->prom)
        return {};
    const PromSource *source = sourceById(m_targets[size_t(index)]->prom->sourceId);
    return source ? source->display : QString();
}

QString MainWindow::actionsBlockedReason(const Target &t) const
{
    if (t.prom) // short: it is shown beside the action buttons; the page's source line says more
        return tr("read from Prometheus: actions need a direct connection");
    return readonly::isReadOnly() ? readOnlyReason() : QString();
}

int MainWindow::startPrometheus(const QString &url, int intervalMs, const QByteArray &secret,
                                const TargetConfig *config)
{
    QString error;
    const auto endpoint = metrics::parsePrometheusTarget(url, &error, secret);
    if (!endpoint) {
        // The targets dialog does not save one; a command-line one says why in the log and the status bar.
        logging::get("ui")->warn("not reading {}", error.toStdString());
        statusBar()->showMessage(error, 15000);
        return -1;
    }
    auto owned = std::make_unique<PromSource>();
    PromSource &source = *owned;
    source.id = m_nextSourceId++;
    if (config) {
        source.configId = config->id;
        source.config = *config;
    }
    source.display = endpoint->display;
    source.fleet = std::make_unique<metrics::PrometheusFleet>(*endpoint, intervalMs);
    source.history = std::make_unique<metrics::PrometheusHistoryReader>(*endpoint, kHistoryTimeoutMs);
    m_promSources.push_back(std::move(owned));

    const int sid = source.id;
    metrics::PrometheusFleet *fleet = source.fleet.get();
    connect(fleet, &metrics::PrometheusFleet::discovered, this,
            [this, sid](int entry, const metrics::DiscoveredTarget &d) {
                PromSource *s = sourceById(sid);
                if (!s)
                    return;
                const int index = addPromRow(*s, entry, d.snapshot.target);
                s->targetIds.append(m_targets[size_t(index)]->id);
                // Found something: the row named after the Prometheus has said what it had to. Shown, it
                // gives way to the fleet overview (many targets: the one that needs attention first).
                if (const int self = std::exchange(s->selfId, 0); self != 0) {
                    const bool shown = currentTarget() == indexOfId(self);
                    removeTarget(indexOfId(self));
                    if (shown)
                        showFleet();
                }
            });
    connect(fleet, &metrics::PrometheusFleet::sampled, this,
            [this, sid](int entry, const TargetSnapshot &snapshot) { onPromSample(sid, entry, snapshot); });
    connect(fleet, &metrics::PrometheusFleet::readFailed, this,
            [this, sid](const QString &error) { onPromReadDone(sid, error); });
    connect(fleet, &metrics::PrometheusFleet::readSucceeded, this, [this, sid](int found) {
        onPromReadDone(sid, found > 0 ? QString()
                                      : tr("Prometheus answered, but none of its series describes a "
                                           "PostgreSQL or PgBouncer instance (no pg_*, pgbouncer_* or "
                                           "poolscope_* series from an exporter or a PoolScope export)"));
    });
    connect(source.history.get(), &metrics::PrometheusHistoryReader::finished, this,
            [this, sid](const metrics::HistoryRead &read) {
                PromSource *s = sourceById(sid);
                if (!s)
                    return;
                Target *t = targetById(std::exchange(s->historyTargetId, 0));
                if (t && t->prom) {
                    PromTarget &p = *t->prom;
                    p.historyInFlight = false;
                    const QString range =
                        tr("the last %1 min at %2 s steps").arg(kHistoryRangeS / 60).arg(read.stepS);
                    if (!read.ok) {
                        logging::get("ui")->warn("no history for {}: {}", p.name.toStdString(),
                                                 read.error.toStdString());
                        t->page->setSourceText(
                            t->page->sourceText() +
                            tr("<br>History (%1) not read: %2").arg(range, read.error.toHtmlEscaped()));
                    } else {
                        // The past first, then what was read live meanwhile: the series take times in order.
                        SeriesSet past(SeriesCapacity);
                        for (const TargetSnapshot &h : read.samples)
                            recordSnapshot(past, h);
                        for (const TargetSnapshot &live : std::as_const(p.sinceHistoryAsked))
                            recordSnapshot(past, live); // those older than the past's end are skipped
                        *t->series = std::move(past);
                        if (p.last)
                            t->page->showSnapshot(*p.last, t->kind()); // redrawn from the new series
                        t->page->setSourceText(t->page->sourceText() +
                                               tr("<br>History: %1 (%2 samples, read in %3 ms)")
                                                   .arg(range, QLocale().toString(read.samples.size()))
                                                   .arg(read.elapsedMs));
                    }
                    p.sinceHistoryAsked.clear();
                }
                readNextHistory(*s);
            });

    // Until something is discovered, a row named after the Prometheus says how reading it goes.
    const int index = addPromRow(source, -1, source.display);
    source.selfId = m_targets[size_t(index)]->id;
    logging::get("ui")->info("reading {} every {} ms", source.display.toStdString(), fleet->intervalMs());
    fleet->start();
    return index;
}

int MainWindow::addPromRow(PromSource &source, int entry, const QString &name)
{
    Target &t = createTarget(name, QString());
    t.configId = source.configId;
    t.prom = std::make_unique<PromTarget>();
    t.prom->sourceId = source.id;
    t.prom->entry = entry;
    t.prom->name = name;
    t.page->setActionsEnabled(false, actionsBlockedReason(t));
    const QString every = tr("every %1 s").arg(source.fleet->intervalMs() / 1000.0);
    if (entry < 0) {
        t.page->setSourceText(
            tr("Reading the Prometheus at <b>%1</b> %2: every PostgreSQL and PgBouncer instance it knows "
               "(from "
               "postgres_exporter, pgbouncer_exporter or a PoolScope export) becomes a target of its own.")
                .arg(source.display.toHtmlEscaped(), every));
    } else {
        const metrics::DiscoveredTarget &d = source.fleet->entry(entry);
        t.prom->found = d;
        t.page->setReadFromPrometheus(
            tr("Read from Prometheus: %1 exports counts, not the session list").arg(d.origin));
        t.page->setSourceText(
            tr("Read from Prometheus <b>%1</b> %2: job <b>%3</b>, instance <b>%4</b> (%5). "
               "Terminate, cancel and pooler actions need a direct connection to the server: "
               "add it in File → Targets….")
                .arg(source.display.toHtmlEscaped(), every, d.job.toHtmlEscaped(), d.instance.toHtmlEscaped(),
                     d.origin.toHtmlEscaped()));
        m_targetsModel->setVia(t.id, tr("via Prometheus"),
                               tr("Read from Prometheus %1: job %2, instance %3 (%4)")
                                   .arg(source.display, d.job, d.instance, d.origin));
    }
    if (entry < 0)
        m_targetsModel->setVia(t.id, tr("Prometheus"), tr("Reading %1").arg(source.display));
    const int index = indexOfId(t.id);
    targetAdded(t, source.fleet->intervalMs());
    return index;
}

void MainWindow::onPromSample(int sourceId, int entry, const TargetSnapshot &snapshot)
{
    const PromSource *source = sourceById(sourceId);
    if (!source || entry >= source->targetIds.size())
        return;
    Target *t = targetById(source->targetIds.at(entry));
    if (!t || !t->prom)
        return; // removed meanwhile
    PromTarget &p = *t->prom;
    p.found = source->fleet->entry(entry);
    p.state = snapshot.ok ? TargetState::Live : TargetState::Failed;
    p.error = snapshot.ok ? QString() : snapshot.error.message;
    p.failures = snapshot.ok ? 0 : p.failures + 1;
    p.last = snapshot;
    if (p.historyInFlight)
        p.sinceHistoryAsked.append(snapshot);
    onSnapshot(t->id, snapshot);
}

void MainWindow::onPromReadDone(int sourceId, const QString &error)
{
    // The targets read from it have their samples already; the row named after it (while nothing was
    // discovered) says how the read went.
    const PromSource *source = sourceById(sourceId);
    Target *t = source ? targetById(source->selfId) : nullptr;
    if (!t)
        return;
    PromTarget &p = *t->prom;
    TargetSnapshot s;
    s.target = source->display;
    s.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    s.ok = error.isEmpty();
    s.error.kind = ErrorKind::Connect;
    s.error.message = error;
    p.state = s.ok ? TargetState::Connecting : TargetState::Failed;
    p.error = error;
    p.failures = s.ok ? 0 : p.failures + 1;
    p.last = s;
    if (s.ok)
        return;
    onSnapshot(t->id, s);
}

void MainWindow::requestHistory(int id)
{
    Target *t = targetById(id);
    if (!t || !t->prom || t->prom->entry < 0 || t->prom->historyRequested)
        return;
    PromSource *source = sourceById(t->prom->sourceId);
    if (!source)
        return;
    t->prom->historyRequested = true;
    source->historyQueue.append(id);
    readNextHistory(*source);
}

void MainWindow::readNextHistory(PromSource &source)
{
    while (!source.history->busy() && !source.historyQueue.isEmpty()) {
        Target *t = targetById(source.historyQueue.takeFirst());
        if (!t || !t->prom)
            continue;
        t->prom->historyInFlight = true;
        t->prom->sinceHistoryAsked.clear();
        source.historyTargetId = t->id;
        source.history->read(t->prom->found, kHistoryRangeS, source.fleet->intervalMs() / 1000.0);
    }
}

void MainWindow::removePrometheusSource(int sourceId)
{
    // From the fleet overview: removing the page shown would show the next one, for each of hundreds.
    if (const int current = currentTarget(); current >= 0 && m_targets[size_t(current)]->prom &&
                                             m_targets[size_t(current)]->prom->sourceId == sourceId)
        showFleet();
    for (int i = int(m_targets.size()) - 1; i >= 0; --i) {
        if (m_targets[size_t(i)]->prom && m_targets[size_t(i)]->prom->sourceId == sourceId)
            removeTarget(i);
    }
    const auto it = std::find_if(m_promSources.begin(), m_promSources.end(),
                                 [sourceId](const auto &s) { return s->id == sourceId; });
    if (it != m_promSources.end()) {
        logging::get("ui")->info("stopped reading {}", (*it)->display.toStdString());
        m_promSources.erase(it); // its reads in flight are aborted
    }
}

} // namespace poolscope::widgets
