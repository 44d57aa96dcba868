#include "replaywindow.h"

#include "core/logging.h"
#include "core/recorder.h"
#include "core/timeseries.h"
#include "record/incidentdata.h"
#include "record/recordingreader.h"
#include "record/sqlitedb.h"
#include "targetpage.h"
#include "timechart.h"
#include "widgets/exportmenu.h"
#include "widgets/incidentmarkers.h"
#include "widgets/reportrequest.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QProgressDialog>
#include <QSlider>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <limits>
#include <sqlite3.h>

namespace poolscope::widgets {

namespace {
constexpr double kChartWindowS = 300;
}

struct ReplayWindow::Replayed
{
    record::RecordedTarget target;
    std::unique_ptr<SeriesSet> series;
    TargetPage *page = nullptr; // owned by the tabs
    QList<qint64> times;        // sample times, ascending
    QList<qint64> ids;          // the samples, in the same order
    qint64 shownId = 0;
    QList<ChartMarker> markers; // load runs, findings and actions of the whole recording, as live
};

ReplayWindow::ReplayWindow(QWidget *parent) : QMainWindow(parent)
{
    setAttribute(Qt::WA_DeleteOnClose, false);
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    auto *splitter = new QSplitter(Qt::Vertical, central);
    m_tabs = new QTabWidget(splitter);
    m_findings = new QTreeWidget(splitter);
    m_findings->setHeaderLabels({tr("Target"), tr("Finding"), tr("Severity"), tr("Since"), tr("Summary")});
    m_findings->setRootIsDecorated(false);
    m_findings->header()->setStretchLastSection(true);
    // Target, rule, severity and time whole; the summary takes the rest (its tooltip the whole sentence).
    for (int c = 0; c < 4; ++c)
        m_findings->header()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);
    auto *bar = new QHBoxLayout;
    auto *replay = new QLabel(tr("<b>REPLAY</b>"), central);
    m_slider = new QSlider(Qt::Horizontal, central);
    m_slider->setToolTip(tr("Drag to any moment of the recording: every view shows it as it was then"));
    m_slider->setEnabled(false);
    m_time = new QLabel(central);
    bar->addWidget(replay);
    bar->addWidget(m_slider, 1);
    bar->addWidget(m_time);
    layout->addLayout(bar);
    setCentralWidget(central);
    setWindowTitle(tr("PoolScope — REPLAY"));
    statusBar()->showMessage(tr("REPLAY: nothing is sampled, every action is disabled"));
    connect(m_slider, &QSlider::valueChanged, this, [this](int value) { setPosition(value); });

    // File: Export (charts, tables), Incident report… of the recording, Close.
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("menuFile"));
    QAction *close = file->addAction(tr("&Close"), QKeySequence::Close, this, &QWidget::close);
    close->setObjectName(QStringLiteral("actionClose"));
    addExportMenu(this, file, close);
    m_reportAction = new QAction(tr("Incident &report…"), this);
    m_reportAction->setObjectName(QStringLiteral("actionIncidentReport"));
    m_reportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I));
    m_reportAction->setToolTip(tr("A report of this recording for a post-mortem: charts, findings with their "
                                  "evidence and advice, actions taken (Ctrl+Shift+I)"));
    m_reportAction->setEnabled(false);
    file->insertAction(close, m_reportAction);
    file->insertSeparator(close);
    connect(m_reportAction, &QAction::triggered, this, [this] {
        if (!reportOpener() || m_timeline.isEmpty())
            return;
        // The charts' range: the five minutes up to the scrubber (the whole recording when shorter).
        const qint64 to = positionTimeMs();
        const qint64 from = std::max(m_timeline.first(), to - qint64(kChartWindowS * 1000));
        reportOpener()(this, {m_path, from, to, tr("the charts' range, up to the scrubber")});
    });
    resize(1200, 800);
}

ReplayWindow::~ReplayWindow() = default;

TargetPage *ReplayWindow::page(int index) const
{
    return index >= 0 && index < pageCount() ? m_targets[size_t(index)]->page : nullptr;
}

bool ReplayWindow::openRecording(const QString &path, QString *error)
{
    auto reader = std::make_unique<record::RecordingReader>();
    if (!reader->open(path, error))
        return false;
    std::vector<std::unique_ptr<Replayed>> targets;
    QList<qint64> timeline;
    // Every sample is decoded once to fill the charts: a day of 100 sessions takes tens of seconds, so
    // the reading shows its progress (after half a second) and can be cancelled.
    qint64 total = 0;
    for (const record::RecordedTarget &rt : reader->targets())
        total += reader->samples(rt.id).size();
    QProgressDialog progress(tr("Reading %1…").arg(QFileInfo(path).fileName()), tr("Cancel"), 0,
                             int(std::min<qint64>(total, std::numeric_limits<int>::max())), parentWidget());
    progress.setWindowTitle(tr("Opening a recording"));
    progress.setWindowModality(Qt::ApplicationModal);
    progress.setMinimumDuration(500);
    qint64 read = 0;
    const auto stop = [&progress, &read] {
        if (++read % 500 == 0)
            progress.setValue(int(std::min<qint64>(read, progress.maximum())));
        return progress.wasCanceled();
    };
    for (const record::RecordedTarget &rt : reader->targets()) {
        auto r = std::make_unique<Replayed>();
        r->target = rt;
        r->series = std::make_unique<SeriesSet>(); // 1 h raw, 24 h in rollups
        // The charts hold the whole recording: every sample, decoded once, in order.
        Replayed *raw = r.get();
        QString why;
        if (!reader->forEachSnapshot(
                rt.id, std::numeric_limits<qint64>::min(), std::numeric_limits<qint64>::max(),
                [raw](const TargetSnapshot &s) {
                    recordSnapshot(*raw->series, s);
                    raw->times.append(s.sampledAtMs);
                },
                &why, stop)) {
            *error = progress.wasCanceled() ? QStringLiteral("%1: not opened: cancelled").arg(path)
                                            : QStringLiteral("%1: damaged: %2").arg(path, why);
            return false;
        }
        for (const record::RecordedSample &s : reader->samples(rt.id))
            r->ids.append(s.id);
        if (r->ids.size() != r->times.size()) {
            *error = QStringLiteral("%1: damaged: the samples changed while reading").arg(path);
            return false;
        }
        timeline += r->times;
        targets.push_back(std::move(r));
    }
    std::sort(timeline.begin(), timeline.end());
    timeline.erase(std::unique(timeline.begin(), timeline.end()), timeline.end());
    // The charts carry the marks the live window drew: load runs, findings, actions.
    if (!timeline.isEmpty()) {
        record::IncidentData recorded;
        QString why;
        if (record::gatherIncident(*reader, path, timeline.first(), timeline.last(), &recorded, &why)) {
            for (auto &r : targets)
                r->markers = incidentMarkers(recorded, r->target.name, palette());
        } else {
            logging::get("ui")->warn("replay of {}: no chart marks: {}", path.toStdString(),
                                     why.toStdString());
        }
    }

    m_reader = std::move(reader);
    m_targets = std::move(targets);
    m_timeline = timeline;
    m_path = path;
    m_tabs->clear();
    for (auto &r : m_targets) {
        r->page = new TargetPage(r->target.name, r->series.get(), m_tabs);
        r->page->setPaused(true);
        r->page->setLiveAvailable(false);
        r->page->setActionsEnabled(false, tr("Replay: actions are disabled"));
        r->page->setActionConnInfo({});
        r->page->setNotice(tr("REPLAY of %1").arg(QFileInfo(path).fileName()));
        m_tabs->addTab(r->page, r->target.name);
    }
    setWindowTitle(tr("PoolScope — REPLAY — %1").arg(QFileInfo(path).fileName()));
    m_slider->blockSignals(true);
    m_slider->setRange(0, std::max(0, int(m_timeline.size()) - 1));
    m_slider->setEnabled(!m_timeline.isEmpty());
    m_slider->blockSignals(false);
    m_reportAction->setEnabled(!m_timeline.isEmpty() && reportOpener());
    if (m_timeline.isEmpty()) {
        m_time->setText(tr("no samples"));
        return true;
    }
    m_slider->setValue(int(m_timeline.size()) - 1);
    setPosition(int(m_timeline.size()) - 1);
    return true;
}

int ReplayWindow::position() const
{
    return m_slider->value();
}

qint64 ReplayWindow::positionTimeMs() const
{
    const int i = position();
    return i >= 0 && i < m_timeline.size() ? m_timeline.at(i) : 0;
}

void ReplayWindow::setPosition(int index)
{
    if (index < 0 || index >= m_timeline.size())
        return;
    if (m_slider->value() != index) {
        m_slider->setValue(index); // comes back here through valueChanged
        return;
    }
    QElapsedTimer timer;
    timer.start();
    showMoment(m_timeline.at(index));
    m_lastScrubMs = double(timer.nsecsElapsed()) / 1e6;
}

void ReplayWindow::showMoment(qint64 tMs)
{
    for (auto &r : m_targets) {
        const auto it = std::upper_bound(r->times.cbegin(), r->times.cend(), tMs);
        if (it == r->times.cbegin())
            continue; // not sampled yet at that moment
        const qint64 id = r->ids.at(int(it - r->times.cbegin()) - 1);
        if (id == r->shownId)
            continue;
        QString error;
        const auto snapshot = m_reader->snapshotAt(id, &error);
        if (!snapshot) {
            statusBar()->showMessage(tr("REPLAY: %1").arg(error));
            continue;
        }
        r->page->showSnapshot(*snapshot, snapshot->kind);
        r->shownId = id;
    }
    // The charts end at that moment, as a live chart ended then (their default five-minute window).
    const double t = double(tMs) / 1000.0;
    for (auto &r : m_targets) {
        for (QCustomPlot *plot : r->page->charts()) {
            if (auto *chart = dynamic_cast<TimeChart *>(plot)) {
                chart->setMarkers(r->markers); // the page's charts appear with its first sample
                chart->setVisibleRange(t - kChartWindowS, t);
            }
        }
    }
    // The findings open at that moment: raised at or before it, not ended before it.
    m_findings->clear();
    record::Statement s(
        m_reader->db(),
        "SELECT t.name, f.rule, f.severity, f.since_ms, f.summary FROM findings f JOIN targets t "
        "ON t.id = f.target_id WHERE f.raised_at_ms <= ?1 AND (f.ended_at_ms IS NULL OR "
        "f.ended_at_ms > ?1) ORDER BY f.severity = 'critical' DESC, f.raised_at_ms");
    s.bind(0, tMs);
    while (s.step() == SQLITE_ROW) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(0, s.text(0));
        item->setText(1, s.text(1));
        item->setText(2, s.text(2));
        item->setText(3, QDateTime::fromMSecsSinceEpoch(s.int64(3)).toString(QStringLiteral("HH:mm:ss")));
        item->setText(4, s.text(4));
        item->setToolTip(4, s.text(4));
    }
    const QString when =
        QDateTime::fromMSecsSinceEpoch(tMs).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
    m_time->setText(when);
    statusBar()->showMessage(tr("REPLAY %1 — %2 of %3 — actions are disabled")
                                 .arg(when)
                                 .arg(position() + 1)
                                 .arg(m_timeline.size()));
}

} // namespace poolscope::widgets
