#include "reporthtml.h"

#include "models/findingsmodel.h"
#include "record/incidentdata.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QTimeZone>
#include <cmath>

namespace poolscope::report {

namespace {

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

/// "2026-05-01 14:02:07 CEST"
QString fullTime(qint64 ms)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms);
    return t.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss ")) + t.timeZoneAbbreviation();
}

QString utcOffset(qint64 ms)
{
    const int s = QDateTime::fromMSecsSinceEpoch(ms).offsetFromUtc();
    return QStringLiteral("UTC%1%2:%3")
        .arg(s < 0 ? QLatin1Char('-') : QLatin1Char('+'))
        .arg(std::abs(s) / 3600, 2, 10, QLatin1Char('0'))
        .arg(std::abs(s) % 3600 / 60, 2, 10, QLatin1Char('0'));
}

QString duration(qint64 ms)
{
    const qint64 s = std::llround(double(ms) / 1000.0);
    if (s < 120)
        return QStringLiteral("%1 s").arg(s);
    if (s < 7200)
        return s % 60 ? QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60)
                      : QStringLiteral("%1 min").arg(s / 60);
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg(s % 3600 / 60);
}

QString jsonText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (d == std::floor(d) && std::abs(d) < 1e15)
            return QString::number(qint64(d));
        if (std::abs(d) >= 1e5) { // epochs, byte counts: every digit before the point, three after at most
            QString text = QString::number(d, 'f', 3);
            while (text.endsWith(QLatin1Char('0')))
                text.chop(1);
            return text;
        }
        return QString::number(d, 'g', 6);
    }
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue &e : v.toArray())
            parts.append(jsonText(e));
        return parts.join(QStringLiteral(", "));
    }
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    default:
        return QStringLiteral("—");
    }
}

QString pidText(const QList<qint64> &pids)
{
    QStringList parts;
    for (const qint64 pid : pids)
        parts.append(QString::number(pid));
    return parts.join(QStringLiteral(", "));
}

// The findings' colours of the charts (palette::severity on a light palette).
QString severityColour(const QString &severity)
{
    if (severity == QLatin1String("critical"))
        return QStringLiteral("#d62839");
    if (severity == QLatin1String("warning"))
        return QStringLiteral("#e08a00");
    return QStringLiteral("#2b6cb0");
}

QString severityCell(const QString &severity)
{
    return QStringLiteral("<td><b style=\"color:%1\">%2</b></td>")
        .arg(severityColour(severity), esc(severity));
}

class Writer
{
public:
    Writer(const record::IncidentData &data, const HtmlLayout &layout) : m_data(data), m_layout(layout)
    {
        // Times in the tables: the clock only while the window stays within a day.
        const QDate a = QDateTime::fromMSecsSinceEpoch(data.fromMs).date();
        const QDate b = QDateTime::fromMSecsSinceEpoch(data.toMs).date();
        m_timeFormat = a == b ? QStringLiteral("HH:mm:ss") : QStringLiteral("MM-dd HH:mm:ss");
    }

    QString time(qint64 ms) const { return QDateTime::fromMSecsSinceEpoch(ms).toString(m_timeFormat); }

    QString html;

    void head(qint64 generatedAtMs)
    {
        const QString window = time(m_data.fromMs) + QStringLiteral(" – ") + time(m_data.toMs);
        html +=
            QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<meta name=\"generator\" content=\"PoolScope %1\">\n<title>Incident report %2, "
                           "%3</title>\n")
                .arg(QStringLiteral(POOLSCOPE_VERSION),
                     QDateTime::fromMSecsSinceEpoch(m_data.fromMs).toString(QStringLiteral("yyyy-MM-dd")),
                     esc(window));
        html +=
            QStringLiteral(
                "<style>\n"
                "body { font-family: \"DejaVu Sans\", \"Segoe UI\", Helvetica, Arial, sans-serif; "
                "font-size: %1px; color: #1f2328; background-color: #ffffff; %2 }\n"
                "h1 { font-size: %3px; margin-bottom: 2px; }\n"
                "h2 { font-size: %4px; margin-top: 28px; border-bottom: 1px solid #d0d7de; }\n"
                "h3 { font-size: %5px; margin-top: 18px; }\n"
                "table { border-collapse: collapse; margin: 6px 0; }\n"
                "th, td { border: 1px solid #d0d7de; padding: 3px 7px; text-align: left; vertical-align: "
                "top; }\n"
                "th { background-color: #f3f4f6; }\n"
                "td.num { text-align: right; }\n"
                ".muted { color: #59636e; }\n"
                ".mono { font-family: \"DejaVu Sans Mono\", Menlo, Consolas, monospace; }\n"
                "img { max-width: 100%; height: auto; border: 1px solid #d0d7de; }\n"
                "</style>\n</head>\n<body>\n")
                .arg(m_layout.fontPx)
                .arg(m_layout.paged ? QStringLiteral("margin: 0; padding: 0;")
                                    : QStringLiteral("max-width: %1px; margin: 24px auto; padding: 0 16px;")
                                          .arg(m_layout.imageWidth + 40))
                .arg(m_layout.fontPx + 10)
                .arg(m_layout.fontPx + 4)
                .arg(m_layout.fontPx + 1);
        html += QStringLiteral("<h1>Incident report</h1>\n<p class=\"muted\">%1 – %2 (%3), times %4</p>\n")
                    .arg(esc(fullTime(m_data.fromMs)), esc(time(m_data.toMs)),
                         duration(m_data.toMs - m_data.fromMs), utcOffset(m_data.fromMs));
        QStringList targets;
        for (const record::IncidentTarget &t : m_data.targets)
            targets.append(QStringLiteral("<span class=\"mono\">%1</span> (%2)")
                               .arg(esc(t.target.name), esc(t.target.kind)));
        html += QStringLiteral("<table>\n");
        row(QStringLiteral("Targets"), targets.join(QStringLiteral("<br>")));
        row(QStringLiteral("Window"),
            esc(fullTime(m_data.fromMs) + QStringLiteral(" to ") + fullTime(m_data.toMs)) +
                QStringLiteral(" (%1)").arg(duration(m_data.toMs - m_data.fromMs)));
        row(QStringLiteral("Recording"),
            QStringLiteral("<span class=\"mono\">%1</span>, samples from %2 to %3%4")
                .arg(esc(m_data.path), esc(fullTime(m_data.recordingStartMs)),
                     esc(fullTime(m_data.recordingEndMs)),
                     m_data.createdBy.isEmpty() ? QString()
                                                : QStringLiteral(", recorded by ") + esc(m_data.createdBy)));
        row(QStringLiteral("Generated"),
            esc(fullTime(generatedAtMs)) +
                QStringLiteral(" by PoolScope %1").arg(QStringLiteral(POOLSCOPE_VERSION)));
        html += QStringLiteral("</table>\n");
    }

    void row(const QString &label, const QString &valueHtml)
    {
        html += QStringLiteral("<tr><th>%1</th><td>%2</td></tr>\n").arg(esc(label), valueHtml);
    }

    void summary()
    {
        html += QStringLiteral("<h2>What happened</h2>\n");
        const QList<record::IncidentFinding> &found = m_data.findings;
        int critical = 0, warning = 0;
        for (const record::IncidentFinding &f : found) {
            critical += f.severity == QLatin1String("critical");
            warning += f.severity == QLatin1String("warning");
        }
        if (found.isEmpty()) {
            html += QStringLiteral("<p>No finding was raised in this window.</p>\n");
        } else {
            html += QStringLiteral("<p>%1 finding(s) in this window: %2 critical, %3 warning, %4 info; %5 "
                                   "action(s) taken; %6 load run(s).</p>\n")
                        .arg(found.size())
                        .arg(critical)
                        .arg(warning)
                        .arg(found.size() - critical - warning)
                        .arg(m_data.actions.size())
                        .arg(m_data.loadRuns.size());
            html += QStringLiteral(
                "<table width=\"100%\">\n<tr><th width=\"10%\">First seen</th>"
                "<th width=\"11%\">Last seen</th><th width=\"11%\">Severity</th>"
                "<th width=\"18%\">Rule</th><th width=\"16%\">Target</th><th>What</th></tr>\n");
            for (const record::IncidentFinding &f : found) {
                html += QStringLiteral("<tr><td>%1</td><td>%2</td>%3<td class=\"mono\">%4</td><td>%5</td>"
                                       "<td>%6</td></tr>\n")
                            .arg(time(f.raisedAtMs), lastSeen(f), severityCell(f.severity), esc(f.rule),
                                 targetAndSubject(f), esc(f.summary));
            }
            html += QStringLiteral("</table>\n");
        }
        if (!m_data.actions.isEmpty() || !m_data.loadRuns.isEmpty()) {
            // The timeline of what people (and auto-remediation) did, beside what PoolScope saw.
            html += QStringLiteral("<p><b>Timeline of actions and load runs</b><br>\n");
            QStringList events;
            for (const audit::Entry &a : m_data.actions)
                events.append(
                    QStringLiteral("%1 %2 on %3: %4")
                        .arg(time(a.time.toMSecsSinceEpoch()), esc(a.action), esc(a.target), esc(a.result)));
            for (const record::IncidentLoadRun &r : m_data.loadRuns)
                events.append(QStringLiteral("%1 load run %2 started on %3")
                                  .arg(time(r.startMs), esc(r.label), esc(r.target)));
            events.sort(); // they start with their time
            html += events.join(QStringLiteral("<br>\n")) + QStringLiteral("</p>\n");
        }
    }

    QString lastSeen(const record::IncidentFinding &f) const
    {
        if (f.endedAtMs)
            return time(*f.endedAtMs) + QStringLiteral(" (ended)");
        return time(f.lastSeenMs) +
               (f.lastSeenMs >= m_data.recordingEndMs - 5000 ? QStringLiteral(" (open)") : QString());
    }

    static QString targetAndSubject(const record::IncidentFinding &f)
    {
        QString text = QStringLiteral("<span class=\"mono\">%1</span>").arg(esc(f.target));
        if (!f.subject.isEmpty())
            text += QStringLiteral("<br>%1").arg(esc(f.subject));
        return text;
    }

    void targets()
    {
        html += QStringLiteral("<h2>Targets</h2>\n<table width=\"100%\">\n<tr><th width=\"25%\">Target</th>"
                               "<th width=\"10%\">Kind</th><th width=\"9%\">Samples</th>"
                               "<th width=\"11%\">Peak sessions</th><th width=\"13%\">Peak idle in "
                               "transaction</th><th width=\"9%\">Peak TPS</th><th width=\"12%\">Peak clients "
                               "waiting</th><th>Longest wait</th></tr>\n");
        auto opt = [](const auto &v) {
            return v ? QString::number(*v) : QStringLiteral("—");
        };
        auto num = [](const QString &text) -> QString {
            return QStringLiteral("<td class=\"num\">") + text + QStringLiteral("</td>");
        };
        for (const record::IncidentTarget &t : m_data.targets) {
            QString sessions = opt(t.peakSessions);
            if (t.peakSessions && t.usableConnections)
                sessions += QStringLiteral(" of %1").arg(*t.usableConnections);
            QString samples = QString::number(t.samples);
            if (t.failed > 0)
                samples += QStringLiteral("<br>%1 failed: <span class=\"muted\">%2</span>")
                               .arg(QString::number(t.failed), esc(t.lastError.left(200)));
            QString waiting = opt(t.peakClientsWaiting);
            if (t.pools > 0)
                waiting += QStringLiteral("<br><span class=\"muted\">%1 pool(s)</span>").arg(t.pools);
            html += QStringLiteral("<tr><td class=\"mono\">") + esc(t.target.name) +
                    QStringLiteral("</td><td>") + esc(t.target.kind) + QStringLiteral("</td>") +
                    num(samples) + num(sessions) + num(opt(t.peakIdleInTransaction)) +
                    num(t.peakTps ? QString::number(*t.peakTps, 'f', 1) : QStringLiteral("—")) +
                    num(waiting) +
                    num(t.longestWaitS ? QString::number(*t.longestWaitS, 'f', 1) + QStringLiteral(" s")
                                       : QStringLiteral("—")) +
                    QStringLiteral("</tr>\n");
        }
        html += QStringLiteral("</table>\n");
    }

    void charts(const QList<ReportChart> &list, const QStringList &notes)
    {
        html += QStringLiteral("<h2>Charts</h2>\n");
        if (list.isEmpty())
            html += QStringLiteral("<p>No chart: no target answered in this window.</p>\n");
        html += QStringLiteral("<p class=\"muted\">Marked on the charts: findings (a line where each began, "
                               "dashed where it ended, in its severity's colour), actions (violet) and load "
                               "runs (shaded).</p>\n");
        QString shownTarget;
        for (int i = 0; i < list.size(); ++i) {
            const ReportChart &c = list.at(i);
            if (c.target != shownTarget) {
                html += QStringLiteral("<h3 class=\"mono\">%1</h3>\n").arg(esc(c.target));
                shownTarget = c.target;
            }
            const QString src =
                m_layout.images == ImageMode::DataUri
                    ? QStringLiteral("data:image/png;base64,") + QString::fromLatin1(c.png.toBase64())
                    : chartResourceName(i);
            html += QStringLiteral("<p><img src=\"%1\" width=\"%2\" alt=\"%3\" title=\"%3\"></p>\n")
                        .arg(src)
                        .arg(m_layout.imageWidth)
                        .arg(esc(c.title));
        }
        if (!notes.isEmpty()) {
            html += QStringLiteral("<ul class=\"muted\">\n");
            for (const QString &n : notes)
                html += QStringLiteral("<li>%1</li>\n").arg(esc(n));
            html += QStringLiteral("</ul>\n");
        }
    }

    void findingDetails()
    {
        if (m_data.findings.isEmpty())
            return;
        html += QStringLiteral("<h2>Findings in detail</h2>\n");
        for (const record::IncidentFinding &f : m_data.findings) {
            html += QStringLiteral(
                        "<h3><span style=\"color:%1\">%2</span> <span class=\"mono\">%3</span>%4</h3>\n")
                        .arg(severityColour(f.severity), esc(f.severity.toUpper()), esc(f.rule),
                             f.subject.isEmpty() ? QString() : QStringLiteral(" — ") + esc(f.subject));
            html += QStringLiteral("<p><b>%1</b></p>\n").arg(esc(f.summary));
            const QString meaning = models::FindingsModel::ruleMeaning(f.rule);
            if (!meaning.isEmpty())
                html += QStringLiteral("<p class=\"muted\">%1</p>\n").arg(esc(meaning));
            html += QStringLiteral("<table>\n");
            row(QStringLiteral("Target"),
                QStringLiteral("<span class=\"mono\">%1</span>")
                    .arg(esc(f.targets.isEmpty() ? f.target : f.targets.join(QStringLiteral(", ")))));
            if (f.sinceMs > 0 && f.sinceMs < f.raisedAtMs)
                row(QStringLiteral("Condition since"), time(f.sinceMs));
            row(QStringLiteral("First seen"), time(f.raisedAtMs));
            row(QStringLiteral("Last seen"), lastSeen(f));
            row(QStringLiteral("Status"), esc(f.status));
            if (!f.pids.isEmpty())
                row(QStringLiteral("Sessions (pids)"),
                    QStringLiteral("<span class=\"mono\">%1</span>").arg(pidText(f.pids)));
            if (!f.pools.isEmpty())
                row(QStringLiteral("Pools"), esc(f.pools.join(QStringLiteral(", "))));
            if (!f.actionTaken.isEmpty())
                row(QStringLiteral("Action taken"),
                    esc((f.actionAtMs ? time(*f.actionAtMs) + QStringLiteral(" ") : QString()) +
                        f.actionTaken));
            html += QStringLiteral("</table>\n");
            if (!f.evidence.isEmpty()) {
                html += QStringLiteral("<table>\n<tr><th>Evidence</th><th>Value</th></tr>\n");
                for (auto it = f.evidence.begin(); it != f.evidence.end(); ++it)
                    html += QStringLiteral("<tr><td class=\"mono\">%1</td><td>%2</td></tr>\n")
                                .arg(esc(it.key()), esc(jsonText(it.value())));
                html += QStringLiteral("</table>\n");
            }
            if (!f.advice.isEmpty()) {
                html += QStringLiteral("<p><b>Advice</b></p>\n<ol>\n");
                for (const QString &a : f.advice)
                    html += QStringLiteral("<li>%1</li>\n").arg(esc(a));
                html += QStringLiteral("</ol>\n");
            }
        }
    }

    void actions()
    {
        html += QStringLiteral("<h2>Actions taken</h2>\n");
        if (m_data.actions.isEmpty()) {
            html +=
                QStringLiteral("<p>No action was taken in this window (the audit log recorded none).</p>\n");
            return;
        }
        html +=
            QStringLiteral("<table width=\"100%\">\n<tr><th width=\"10%\">Time</th><th width=\"12%\">Who"
                           "</th><th width=\"14%\">Action</th><th width=\"24%\">Target</th><th>Sessions</th>"
                           "<th width=\"16%\">Outcome</th></tr>\n");
        for (const audit::Entry &a : m_data.actions) {
            QString who = a.raw.value(QLatin1String("os_user")).toString();
            if (!a.source.isEmpty())
                who +=
                    (who.isEmpty() ? QString() : QStringLiteral(" ")) + QStringLiteral("(%1)").arg(a.source);
            QString sessions = esc(a.sessions);
            const QString pids = pidText(a.pids);
            if (!pids.isEmpty() && !a.sessions.contains(pids))
                sessions += QStringLiteral("<br><span class=\"mono\">pids %1</span>").arg(pids);
            html += QStringLiteral(
                        "<tr><td>%1</td><td>%2</td><td class=\"mono\">%3</td><td class=\"mono\">%4</td>"
                        "<td>%5</td><td>%6</td></tr>\n")
                        .arg(time(a.time.toMSecsSinceEpoch()), esc(who), esc(a.action), esc(a.target),
                             sessions, esc(a.result));
        }
        html += QStringLiteral("</table>\n");
    }

    void loadRuns()
    {
        if (m_data.loadRuns.isEmpty() && m_data.pauses.isEmpty())
            return;
        if (!m_data.loadRuns.isEmpty()) {
            html +=
                QStringLiteral("<h2>Load runs</h2>\n<table>\n<tr><th>Start</th><th>End</th><th>Target</th>"
                               "<th>Scenario</th><th>Duration</th></tr>\n");
            for (const record::IncidentLoadRun &r : m_data.loadRuns) {
                html += QStringLiteral(
                            "<tr><td>%1</td><td>%2</td><td class=\"mono\">%3</td><td>%4</td><td>%5</td>"
                            "</tr>\n")
                            .arg(time(r.startMs), r.endMs ? time(*r.endMs) : QStringLiteral("still running"),
                                 esc(r.target), esc(r.label),
                                 r.endMs ? duration(*r.endMs - r.startMs) : QStringLiteral("—"));
            }
            html += QStringLiteral("</table>\n");
        }
        if (!m_data.pauses.isEmpty()) {
            html += QStringLiteral("<h2>Gaps in the recording</h2>\n<table>\n<tr><th>Time</th><th>Event</th>"
                                   "<th>Detail</th></tr>\n");
            for (const record::RecordingMarker &m : m_data.pauses)
                html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td></tr>\n")
                            .arg(time(m.tMs), esc(m.kind), esc(m.label));
            html += QStringLiteral("</table>\n");
        }
    }

    void foot(qint64 generatedAtMs)
    {
        html += QStringLiteral(
                    "<p class=\"muted\">Generated %1 by PoolScope %2 from <span class=\"mono\">%3"
                    "</span>. Times are local (%4). This file is self-contained: it loads nothing.</p>\n"
                    "</body>\n</html>\n")
                    .arg(esc(fullTime(generatedAtMs)), QStringLiteral(POOLSCOPE_VERSION), esc(m_data.path),
                         utcOffset(m_data.fromMs));
    }

private:
    const record::IncidentData &m_data;
    HtmlLayout m_layout;
    QString m_timeFormat;
};

} // namespace

QString chartResourceName(int index)
{
    return QStringLiteral("chart-%1.png").arg(index);
}

QString reportHtml(const record::IncidentData &data, const QList<ReportChart> &charts,
                   const QStringList &notes, qint64 generatedAtMs, const HtmlLayout &layout)
{
    Writer w(data, layout);
    w.head(generatedAtMs);
    w.summary();
    w.targets();
    w.charts(charts, notes);
    w.findingDetails();
    w.actions();
    w.loadRuns();
    w.foot(generatedAtMs);
    return w.html;
}

} // namespace poolscope::report
