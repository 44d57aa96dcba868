#pragma once

#include "core/targetsnapshot.h"

#include <QList>
#include <QWidget>
#include <optional>

class QLabel;
class QStackedWidget;
class QTabWidget;
class QCustomPlot;

namespace poolscope {
class SeriesSet;
}

namespace poolscope::widgets {

class MonitorPage;
class PgpoolPage;
class SessionsPage;

/// One target's page in the main window: a "Connecting…" placeholder until the first successful sample tells
/// the target's kind, then a PostgresPage or a BouncerPage. A PostgreSQL target also gets a Sessions tab
/// (SessionsPage) whose action requests are forwarded; a Pgpool-II target gets both, sampled through it,
/// and a "Pgpool-II" tab (PgpoolPage). A failed sample shows its error in a banner above
/// the charts (which keep their gaps), or in the placeholder when the target never answered; a notice
/// banner (e.g. auto-remediation on) stays while it is set. GUI thread only.
class TargetPage : public QWidget
{
    Q_OBJECT
public:
    /// Lifetime: `set` must outlive the page.
    TargetPage(const QString &label, const SeriesSet *set, QWidget *parent = nullptr);
    ~TargetPage() override;

    /// `snapshot` was just recorded into the series set; `kind` is what the target is known to be so far.
    void showSnapshot(const TargetSnapshot &snapshot, TargetKind kind);
    void setLabel(const QString &label);
    void setPaused(bool paused);
    /// MonitorPage::setLiveAvailable, for the page's charts now and once they exist.
    void setLiveAvailable(bool available);

    /// Null until the kind is known (and, read from Prometheus, until the page is first shown).
    MonitorPage *content() const { return m_content; }
    /// Null until the target is known to be PostgreSQL (or Pgpool-II, which samples PostgreSQL through it).
    SessionsPage *sessions() const { return m_sessions; }
    /// The "Pgpool-II" tab; null until the target is known to be Pgpool-II.
    PgpoolPage *pgpool() const { return m_pgpool; }
    /// The link between this target and a pooler or PostgreSQL target ("Linked pooler: pgbouncer
    /// (automatic)"), shown under the page's banners; empty hides it.
    void setLinkText(const QString &text);
    QString linkText() const;
    /// Where the page's figures come from when it is not sampled directly ("Read from Prometheus …: job,
    /// instance; history …"), shown under the page's banners; empty hides it.
    void setSourceText(const QString &text);
    QString sourceText() const;
    /// Read back from Prometheus: no session list, so no Sessions tab (disabled, `why` in its tooltip) and
    /// the groups chart by database only. Applied now and to the pages created later. Such a page, one of
    /// hundreds, brings its header and tables up to date only while it is seen (its charts read the series,
    /// which are recorded whatever is shown): hidden, it keeps the newest sample and shows it when shown.
    void setReadFromPrometheus(const QString &why);
    /// Shows the Sessions tab (Ctrl+Shift+S) or the charts; false when there is no Sessions tab.
    bool showSessionsTab(bool sessions);
    /// Session actions on or off (read-only mode), applied now and to a Sessions tab created later.
    void setActionsEnabled(bool enabled, const QString &reason = {});
    /// The connection PgBouncer actions use (a console connection of their own; may carry a password, never
    /// shown), applied now and to a BouncerPage created later.
    void setActionConnInfo(const QString &conninfo);
    /// A standing notice above the page (amber), e.g. "Auto-remediation on: ..."; empty hides it.
    void setNotice(const QString &text);
    QString noticeText() const;
    QList<QCustomPlot *> charts() const;
    /// The error shown on the page, empty when the last sample succeeded.
    QString errorText() const;
    /// After a failed attempt: the next is due in `inMs` (`attempts` failed so far). The page says when,
    /// with the error and its hint, instead of a vague "retrying".
    void setRetry(int attempts, qint64 inMs);

Q_SIGNALS:
    /// Forwarded from the content page: the user started browsing history (dragged or zoomed a chart), or
    /// asked to go back to live. The window applies them to its global pause.
    void browsingStarted();
    void liveRequested();
    /// Forwarded from the Sessions tab.
    void cancelRequested(const QList<qint64> &pids);
    void terminateRequested(const QList<qint64> &pids);
    void bulkTerminateRequested();
    /// Forwarded from the BouncerPage: "Refresh now" of SHOW CLIENTS / SERVERS, and a status-bar line.
    void connectionsRefreshRequested();
    void statusMessage(const QString &text);
    /// A pooler action (RECONNECT, KILL, ...) ran from the PgBouncer page; `message` says what it did.
    void poolerActionFinished(bool ok, const QString &message);

private:
    void updatePlaceholder();
    QString retryText() const;

    const SeriesSet *m_set;
    QString m_label;
    QString m_error;
    QString m_hint;            // what to check, from the error (may be empty)
    qint64 m_retryAtMs = 0;    // when the next attempt is due; 0 unknown
    qint64 m_retryEveryMs = 0; // the last wait between attempts
    int m_attempts = 0;
    qint64 m_failingSinceMs = 0; // first failure of the current run of failures
    QLabel *m_banner;
    QLabel *m_notice;
    QLabel *m_link;
    QLabel *m_source;
    QString m_noSessionsWhy; // read from Prometheus: why there is no session list; empty otherwise
    void applyReadFromPrometheus();
    /// Read from Prometheus and hidden: the newest sample, and the newest one that answered, not shown yet.
    std::optional<TargetSnapshot> m_pending;
    std::optional<TargetSnapshot> m_pendingOk;
    TargetKind m_pendingKind = TargetKind::Unknown;
    void createContent(TargetKind kind);
    void showContent(const TargetSnapshot &snapshot);

protected:
    void showEvent(QShowEvent *event) override;

public:
    /// The window's stack of pages takes the height it is given, never asks a page's height for a width: with
    /// hundreds of pages (a fleet read from Prometheus) the stack asks every one of them (their wrapped
    /// labels' text layout) whenever it lays out.
    bool hasHeightForWidth() const override { return false; }
    int heightForWidth(int) const override { return -1; }
    QTabWidget *m_tabs = nullptr;
    SessionsPage *m_sessions = nullptr;
    PgpoolPage *m_pgpool = nullptr;
    bool m_actionsEnabled = true;
    QString m_actionsReason;
    QString m_actionConnInfo;
    QLabel *m_placeholder;
    QStackedWidget *m_stack;
    MonitorPage *m_content = nullptr;
    bool m_paused = false;
    bool m_liveAvailable = true;
};

} // namespace poolscope::widgets
