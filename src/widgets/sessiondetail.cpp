// SessionsPage's detail pane: what the selected session runs, its timings and wait, and the sessions it
// blocks or waits for, kept on screen (marked ended) when the session goes.
#include "sessionspage.h"

#include "core/blocking.h"
#include "models/sessionsfiltermodel.h"
#include "models/sessionsmodel.h"
#include "widgets/palette.h"

#include <QDateTime>
#include <QScrollBar>
#include <QTextBrowser>
#include <algorithm>
#include <cmath>

namespace poolscope::widgets {

using models::SessionsModel;

namespace {

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

QString timeOfDay(double epochSeconds)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(std::llround(epochSeconds * 1000)))
        .toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

void SessionsPage::showDetailFor(const QModelIndex &proxyIndex)
{
    if (!proxyIndex.isValid()) {
        m_detailKey.reset();
    } else {
        const QModelIndex source = m_filter->mapToSource(proxyIndex);
        const Session &s = m_model->sessionAt(source.row());
        m_detailKey = std::make_pair(s.pid, s.backendStart);
    }
    updateDetail();
}

void SessionsPage::updateDetail()
{
    const auto show = [this](const QString &html) {
        if (html == m_detailHtml)
            return false;
        m_detailHtml = html;
        m_detail->setHtml(html);
        return true;
    };
    if (!m_detailKey) {
        show(tr("<p>Select a session to see its full query, timings, wait event and the sessions "
                "it blocks or waits for.</p>"));
        return;
    }
    const int row = m_model->rowOfPid(m_detailKey->first);
    if (row >= 0 && m_model->sessionAt(row).backendStart == m_detailKey->second) {
        m_detailLast = m_model->sessionAt(row);
        m_detailEnded = false;
    } else if (m_detailLast.pid == m_detailKey->first) {
        m_detailEnded = true;
    } else {
        m_detailKey.reset();
        updateDetail();
        return;
    }
    // Keep the reader's scroll position: the pane is rebuilt every sample.
    const int scroll = m_detail->verticalScrollBar() ? m_detail->verticalScrollBar()->value() : 0;
    if (show(detailHtml(m_detailLast)) && m_detail->verticalScrollBar())
        m_detail->verticalScrollBar()->setValue(scroll);
}

QString SessionsPage::describePid(qint64 pid) const
{
    // The colour spelled out: Qt's HTML import takes link colours from the application palette, not the
    // page's.
    const QString link = QStringLiteral("<a href=\"pid:%1\" style=\"color:%2\">%1</a>")
                             .arg(QString::number(pid), palette().color(QPalette::Link).name());
    const Session *s = m_sample ? m_sample->session(pid) : nullptr;
    if (!s)
        return link + esc(tr(" (not a client session PoolScope sees)"));
    QStringList parts;
    if (!s->applicationName.isEmpty())
        parts.append(s->applicationName);
    if (s->state) {
        QString state = *s->state;
        if (const std::optional<double> age = SessionsModel::age(s->stateChange, m_sample->serverNow))
            state += QLatin1Char(' ') + SessionsModel::ageText(*age);
        parts.append(state);
    } else if (s->hidden) {
        parts.append(tr("hidden by privileges"));
    }
    if (parts.isEmpty())
        return link;
    return link + QStringLiteral(" (") + esc(parts.join(QStringLiteral(", "))) + QLatin1Char(')');
}

QString SessionsPage::detailHtml(const Session &s) const
{
    const double now = m_sample ? m_sample->serverNow : m_model->serverNow();
    const QPalette pal = palette();
    QString html;
    const QColor stateColour = palette::sessionState(s.stateClass(), pal);
    const QString stateText = s.state ? *s.state : (s.hidden ? tr("hidden by privileges") : tr("unknown"));
    html += QStringLiteral("<h3 style=\"margin-bottom:2px\">pid %1 <span style=\"color:%2\">%3</span></h3>")
                .arg(QString::number(s.pid), stateColour.name(), esc(stateText));
    if (m_detailEnded)
        html += QStringLiteral("<p style=\"color:%1\"><b>%2</b></p>")
                    .arg(palette::sessionState(SessionState::IdleInTransactionAborted, pal).name(),
                         esc(tr("This session has ended (no longer in the latest sample).")));
    if (s.hidden)
        html +=
            QStringLiteral("<p><i>%1</i></p>")
                .arg(esc(tr("Hidden by privileges: this role sees only the pid, user, database, application "
                            "and horizon of other roles' sessions. Grant pg_monitor to see the rest.")));

    // The pooler chain: right under the session's identity when a pooler holds this backend (behind a
    // pooler, Client is the pooler: who really holds it is the first question), else at the end.
    const QString chainHtml = [&] {
        QString out = QStringLiteral("<h4 style=\"margin-bottom:2px\">%1</h4>").arg(esc(tr("Pooler chain")));
        const QString chain = m_poolerChain ? m_poolerChain(s) : QString();
        out +=
            chain.isEmpty()
                ? QStringLiteral("<p><i>%1</i></p>")
                      .arg(esc(tr("Link a PgBouncer target to see which client holds this backend. Add its "
                                  "console as a target (it links by itself when its SHOW DATABASES points "
                                  "at this server), or pick this target under File → Targets… → “Pooler "
                                  "in front of…”.")))
                : chain;
        return out;
    }();
    const bool pooled = m_model->linkFor(s) != nullptr;
    const auto row = [](const QString &label, const QString &valueHtml) {
        return QStringLiteral("<tr><td style=\"padding-right:10px\"><b>%1</b></td><td>%2</td></tr>")
            .arg(label.toHtmlEscaped(), valueHtml);
    };
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    html += row(tr("Application"), s.applicationName.isEmpty() ? tr("<i>none</i>") : esc(s.applicationName));
    html += row(tr("User"), esc(s.usename));
    html += row(tr("Database"), esc(s.datname));
    html += row(tr("Client"), esc(SessionsModel::clientText(s)));
    if (!s.backendType.isEmpty())
        html += row(tr("Backend"), esc(s.backendType));
    if (s.leaderPid)
        html += row(tr("Parallel leader"), QString::number(*s.leaderPid));
    QString wait = s.waitEventType.isEmpty() ? tr("none") : s.waitEventType;
    if (!s.waitEvent.isEmpty())
        wait += QStringLiteral(": ") + s.waitEvent;
    html += row(tr("Wait event"), esc(wait));
    html += QStringLiteral("</table>");
    if (pooled)
        html += chainHtml;

    html += QStringLiteral("<h4 style=\"margin-bottom:2px\">%1</h4>").arg(esc(tr("Query")));
    html += s.query.isEmpty()
                ? tr("<p><i>none</i></p>")
                : QStringLiteral("<pre style=\"white-space:pre-wrap\">%1</pre>").arg(esc(s.query));
    if (s.queryId)
        html += QStringLiteral("<p>query_id %1</p>").arg(*s.queryId);

    html += QStringLiteral("<h4 style=\"margin-bottom:2px\">%1</h4>").arg(esc(tr("Timings")));
    html += QStringLiteral("<table cellspacing=\"0\" cellpadding=\"1\">");
    const auto timing = [&](const QString &label, const std::optional<double> &since) {
        if (!since)
            return row(label, esc(SessionsModel::unknownText()));
        return row(label,
                   esc(tr("%1 ago, at %2")
                           .arg(SessionsModel::ageText(std::max(0.0, now - *since)), timeOfDay(*since))));
    };
    html += timing(tr("Connected"), s.backendStart);
    html += s.xactStart ? timing(tr("Transaction"), s.xactStart) : row(tr("Transaction"), tr("none open"));
    html += timing(tr("Query started"), s.queryStart);
    html += timing(tr("State since"), s.stateChange);
    html += QStringLiteral("</table>");

    html += QStringLiteral("<h4 style=\"margin-bottom:2px\">%1</h4>").arg(esc(tr("Locks")));
    if (!m_sample || m_detailEnded) {
        html += QStringLiteral("<p><i>%1</i></p>")
                    .arg(esc(tr("Not known: the session is not in the latest sample.")));
    } else {
        const PostgresSample &pg = *m_sample;
        const QList<qint64> blockers = blocking::blockersOf(pg, s.pid);
        const QList<qint64> roots = blocking::rootsOf(pg, s.pid);
        const QList<blocking::WaiterNode> waiters = blocking::waiterTree(pg, s.pid);
        QStringList lines;
        if (!blockers.isEmpty()) {
            QStringList b;
            for (qint64 pid : blockers)
                b.append(describePid(pid));
            lines.append(tr("<b>Blocked by:</b> %1").arg(b.join(QStringLiteral("; "))));
            if (blocking::inCycle(pg, s.pid))
                lines.append(
                    esc(tr("Deadlock: the waits form a cycle; the server's deadlock detector will end "
                           "one of them after deadlock_timeout.")));
            QStringList r;
            for (qint64 pid : roots)
                r.append(describePid(pid));
            if (!r.isEmpty())
                lines.append(tr("<b>Root blocker:</b> %1").arg(r.join(QStringLiteral("; "))));
        } else if (s.waitingOnLock()) {
            lines.append(esc(tr("Waits for a lock; its holder was gone by the time it was asked.")));
        }
        if (!waiters.isEmpty()) {
            if (blockers.isEmpty())
                lines.append(tr("<b>Root blocker:</b> this session"));
            const qsizetype direct = std::count_if(
                waiters.cbegin(), waiters.cend(), [](const blocking::WaiterNode &n) { return n.depth == 1; });
            // No plural forms without a translator loaded, so spell both out.
            const QString count =
                waiters.size() == 1
                    ? tr("1 session waits for it")
                    : tr("%1 sessions wait behind it, %2 directly").arg(waiters.size()).arg(direct);
            lines.append(tr("<b>Blocks:</b> %1").arg(esc(count)));
            for (const blocking::WaiterNode &n : waiters) {
                const QString indent = QStringLiteral("&nbsp;").repeated(4 * n.depth);
                lines.append(indent + QStringLiteral("└ ") + describePid(n.pid));
            }
        }
        if (lines.isEmpty())
            lines.append(esc(tr("Not waiting for a lock, and no session waits for this one.")));
        html += QStringLiteral("<p>") + lines.join(QStringLiteral("<br>")) + QStringLiteral("</p>");
    }

    html += QStringLiteral("<h4 style=\"margin-bottom:2px\">%1</h4>").arg(esc(tr("xmin horizon")));
    if (const std::optional<qint64> horizon = s.horizonAge()) {
        QStringList parts;
        if (s.backendXminAge)
            parts.append(tr("snapshot xmin %1 xids old").arg(*s.backendXminAge));
        if (s.backendXidAge)
            parts.append(tr("own transaction id %1 xids old").arg(*s.backendXidAge));
        QString text = tr("Holds the horizon back by %1 xids (%2).").arg(*horizon).arg(parts.join(tr(", ")));
        const Session *oldest = m_sample && !m_detailEnded ? m_sample->oldestXminSession() : nullptr;
        if (oldest && oldest->pid == s.pid)
            text += tr(" The oldest on the server: vacuum cannot remove rows deleted after it.");
        html += QStringLiteral("<p>%1</p>").arg(esc(text));
    } else {
        html += QStringLiteral("<p>%1</p>").arg(esc(tr("Does not hold the xmin horizon back.")));
    }

    if (!pooled)
        html += chainHtml;
    return html;
}

QString SessionsPage::detailText() const
{
    return m_detail->toPlainText();
}
} // namespace poolscope::widgets
