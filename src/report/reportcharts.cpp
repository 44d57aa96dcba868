#include "reportcharts.h"

#include "core/finding.h"
#include "core/recorder.h"
#include "core/timeseries.h"
#include "record/incidentdata.h"
#include "record/recordingreader.h"
#include "widgets/bouncerpage.h"
#include "widgets/incidentmarkers.h"
#include "widgets/monitorpage.h"
#include "widgets/palette.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QBuffer>
#include <QStyle>
#include <QStyleFactory>
#include <algorithm>
#include <cmath>
#include <memory>

namespace poolscope::report {

namespace {

using widgets::ChartMarker;

/// Fusion's light palette: a report is read on white paper, whatever the desktop's theme.
QPalette lightPalette()
{
    std::unique_ptr<QStyle> fusion(QStyleFactory::create(QStringLiteral("Fusion")));
    return fusion ? fusion->standardPalette() : QPalette(Qt::white);
}

double seconds(qint64 ms)
{
    return double(ms) / 1000.0;
}

double peakIn(const SeriesSet &set, const QString &name, double from, double to)
{
    const TimeSeries *ts = set.find(name);
    if (!ts)
        return 0;
    double peak = 0;
    for (const double v : ts->sample(from, to, 2000).max) {
        if (v > peak)
            peak = v;
    }
    return peak;
}

/// The pools worth a chart: those where clients waited first (most first), then the busiest; quiet pools
/// only when no pool did anything (the first of them then, so a pooler still gets its charts).
QStringList busiestPools(const SeriesSet &set, double from, double to, int max, int *quiet)
{
    struct Ranked
    {
        QString key;
        double waiting;
        double busy;
    };
    QList<Ranked> ranked;
    for (const QString &key : recordedPools(set)) {
        const double waiting = peakIn(set, series::pool(key, QStringLiteral("cl_waiting")), from, to);
        const double busy = peakIn(set, series::pool(key, QStringLiteral("cl_active")), from, to) +
                            peakIn(set, series::pool(key, QStringLiteral("sv_active")), from, to);
        ranked.append({key, waiting, busy});
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked &a, const Ranked &b) {
        return a.waiting != b.waiting ? a.waiting > b.waiting : a.busy > b.busy;
    });
    QStringList out;
    for (const Ranked &r : ranked) {
        if (out.size() < max && (r.waiting > 0 || r.busy > 0))
            out.append(r.key);
    }
    if (out.isEmpty() && !ranked.isEmpty())
        out.append(ranked.first().key);
    *quiet = int(ranked.size() - out.size());
    return out;
}

} // namespace

bool renderCharts(const record::RecordingReader &reader, const record::IncidentData &data,
                  const ChartOptions &options, QList<ReportChart> *charts, QStringList *notes, QString *error,
                  const std::function<void(int, int)> &progress)
{
    const QPalette light = lightPalette();
    const double from = seconds(data.fromMs);
    const double to = seconds(data.toMs);
    int done = 0;
    for (const record::IncidentTarget &it : data.targets) {
        const record::RecordedTarget &rt = it.target;
        SeriesSet set;
        std::optional<TargetSnapshot> lastOk; // the page learns the target's kind and figures from it
        QString why;
        if (!reader.forEachSnapshot(
                rt.id, data.fromMs, data.toMs,
                [&](const TargetSnapshot &s) {
                    recordSnapshot(set, s);
                    if (s.ok)
                        lastOk = s;
                },
                &why)) {
            *error = QStringLiteral("%1: damaged: %2").arg(data.path, why);
            return false;
        }
        if (progress)
            progress(++done, int(data.targets.size()));
        if (!lastOk) {
            notes->append(QStringLiteral("%1: no successful sample in the window, no charts").arg(rt.name));
            continue;
        }
        // A page of its own, never shown, in the light palette: the charts exactly as the window draws them.
        widgets::TargetPage page(rt.name, &set);
        page.setPalette(light);
        page.setActionsEnabled(false);
        page.showSnapshot(*lastOk, lastOk->kind);
        widgets::MonitorPage *content = page.content();
        if (!content)
            continue;
        const QList<ChartMarker> markers = widgets::incidentMarkers(data, rt.name, light);
        for (widgets::TimeChart *chart : content->charts())
            chart->setMarkers(markers);
        auto draw = [&] {
            content->showRange(from, to);
            for (widgets::TimeChart *chart : content->charts()) {
                if (!chart->hasVisibleData()) {
                    notes->append(QStringLiteral("%1: \u201c%2\u201d left out: no value in this window")
                                      .arg(rt.name, chart->title()));
                    continue;
                }
                ReportChart c;
                c.target = rt.name;
                c.image = chart->renderStill(from, to, options.size, options.scale);
                c.title = chart->title();
                QBuffer buffer(&c.png);
                buffer.open(QIODevice::WriteOnly);
                c.image.save(&buffer, "PNG");
                charts->append(c);
            }
        };
        if (auto *bouncer = qobject_cast<widgets::BouncerPage *>(content)) {
            int quiet = 0;
            for (const QString &key : busiestPools(set, from, to, options.maxPools, &quiet)) {
                bouncer->setCurrentPool(key);
                draw();
            }
            if (quiet > 0)
                notes->append(
                    QStringLiteral("%1: %2 other pool(s) not charted (quieter)").arg(rt.name).arg(quiet));
        } else {
            draw();
        }
    }
    return true;
}

} // namespace poolscope::report
