#include "incidentmarkers.h"

#include "core/auditentry.h"
#include "core/finding.h"
#include "record/incidentdata.h"
#include "widgets/palette.h"

#include <algorithm>

namespace poolscope::widgets {

namespace {

double seconds(qint64 ms)
{
    return double(ms) / 1000.0;
}

} // namespace

QList<ChartMarker> incidentMarkers(const record::IncidentData &data, const QString &target,
                                   const QPalette &pal)
{
    QList<ChartMarker> out;
    for (const record::IncidentLoadRun &r : data.loadRuns) {
        ChartMarker m;
        m.kind = ChartMarker::Kind::Span;
        m.start = seconds(r.startMs);
        m.end = seconds(r.endMs.value_or(data.toMs));
        m.label = r.label.isEmpty() ? QStringLiteral("load") : r.label;
        out.append(m);
    }
    for (const record::IncidentFinding &f : data.findings) {
        if (f.target != target && !f.targets.contains(target))
            continue;
        ChartMarker m;
        m.kind = ChartMarker::Kind::Event;
        m.start = seconds(f.sinceMs > 0 ? f.sinceMs : f.raisedAtMs);
        if (f.endedAtMs)
            m.end = seconds(*f.endedAtMs);
        m.label = f.rule;
        m.color = palette::severity(
            findings::severityFromName(f.severity).value_or(findings::Severity::Warning), pal);
        out.append(m);
    }
    for (const audit::Entry &a : data.actions) {
        ChartMarker m;
        m.kind = ChartMarker::Kind::Event;
        m.start = m.end = seconds(a.time.toMSecsSinceEpoch());
        m.label = a.action;
        m.color = QColor(0x7c, 0x3a, 0xed); // as the window marks actions (actionmarks.h)
        out.append(m);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const ChartMarker &a, const ChartMarker &b) { return a.start < b.start; });
    return out;
}

} // namespace poolscope::widgets
