#include "targetpage.h"

#include "widgets/bouncerpage.h"
#include "widgets/palette.h"
#include "widgets/pgpoolpage.h"
#include "widgets/postgrespage.h"
#include "widgets/scrolling.h"
#include "widgets/sessionspage.h"
#include "widgets/timechart.h"

#include <QDateTime>
#include <QLabel>
#include <QStackedWidget>
#include <QTabWidget>
#include <QVBoxLayout>

namespace poolscope::widgets {

TargetPage::TargetPage(const QString &label, const SeriesSet *set, QWidget *parent)
    : QWidget(parent), m_set(set), m_label(label), m_banner(new QLabel(this)), m_notice(new QLabel(this)),
      m_link(new QLabel(this)), m_source(new QLabel(this)), m_placeholder(new QLabel(this)),
      m_stack(new QStackedWidget(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    m_banner->setObjectName(QStringLiteral("errorBanner"));
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setMargin(8);
    m_banner->setAutoFillBackground(true);
    QPalette bannerPalette = m_banner->palette();
    bannerPalette.setColor(QPalette::Window, palette::targetFailed(palette()));
    bannerPalette.setColor(QPalette::WindowText, Qt::white);
    m_banner->setPalette(bannerPalette);
    m_banner->hide();
    layout->addWidget(m_banner);

    m_notice->setObjectName(QStringLiteral("noticeBanner"));
    m_notice->setWordWrap(true);
    m_notice->setMargin(6);
    m_notice->setAutoFillBackground(true);
    QPalette noticePalette = m_notice->palette();
    noticePalette.setColor(QPalette::Window, palette::targetConnecting(palette()));
    noticePalette.setColor(QPalette::WindowText, Qt::black);
    m_notice->setPalette(noticePalette);
    m_notice->hide();
    layout->addWidget(m_notice);

    m_link->setObjectName(QStringLiteral("linkLabel"));
    m_link->setWordWrap(true);
    m_link->setTextFormat(Qt::RichText);
    m_link->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_link->setContentsMargins(8, 3, 8, 3);
    m_link->hide();
    layout->addWidget(m_link);

    m_source->setObjectName(QStringLiteral("sourceLabel"));
    m_source->setWordWrap(true);
    m_source->setTextFormat(Qt::RichText);
    m_source->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_source->setContentsMargins(8, 3, 8, 3);
    m_source->hide();
    layout->addWidget(m_source);

    m_placeholder->setObjectName(QStringLiteral("placeholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setTextFormat(Qt::RichText);
    m_placeholder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_placeholder->setMargin(24);
    QFont big = m_placeholder->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    m_placeholder->setFont(big);
    m_stack->addWidget(m_placeholder);
    layout->addWidget(scrollable(m_stack, this), 1);
    updatePlaceholder();
}

TargetPage::~TargetPage() = default;

void TargetPage::setLabel(const QString &label)
{
    m_label = label;
    updatePlaceholder();
}

void TargetPage::createContent(TargetKind kind)
{
    if (kind == TargetKind::PgBouncer) {
        auto *bouncer = new BouncerPage(m_set, m_stack);
        bouncer->setActionConnInfo(m_actionConnInfo, m_label);
        bouncer->setActionsEnabled(m_actionsEnabled, m_actionsReason);
        connect(bouncer, &BouncerPage::connectionsRefreshRequested, this,
                &TargetPage::connectionsRefreshRequested);
        connect(bouncer, &BouncerPage::statusMessage, this, &TargetPage::statusMessage);
        connect(bouncer, &BouncerPage::actionFinished, this, &TargetPage::poolerActionFinished);
        m_content = bouncer;
        m_stack->addWidget(m_content);
        m_stack->setCurrentWidget(m_content);
    } else {
        // PostgreSQL: the charts, and the sessions behind them in a tab of their own.
        m_tabs = new QTabWidget(m_stack);
        m_tabs->setObjectName(QStringLiteral("targetTabs"));
        m_tabs->setDocumentMode(true);
        m_content = new PostgresPage(m_set, m_tabs);
        m_sessions = new SessionsPage(m_tabs);
        m_sessions->setActionsEnabled(m_actionsEnabled, m_actionsReason);
        m_tabs->addTab(m_content, tr("&Charts"));
        m_tabs->addTab(m_sessions, tr("&Sessions"));
        m_tabs->setTabToolTip(1, tr("Every session, filterable; cancel and terminate (Ctrl+Shift+S)"));
        if (kind == TargetKind::Pgpool) {
            m_pgpool = new PgpoolPage(m_tabs);
            m_pgpool->setPaused(m_paused);
            m_tabs->addTab(m_pgpool, tr("&Pgpool-II"));
            m_tabs->setTabToolTip(2, tr("Backend nodes, children busy against num_init_children, "
                                        "processes and pools"));
        }
        connect(m_sessions, &SessionsPage::cancelRequested, this, &TargetPage::cancelRequested);
        connect(m_sessions, &SessionsPage::terminateRequested, this, &TargetPage::terminateRequested);
        connect(m_sessions, &SessionsPage::bulkTerminateRequested, this, &TargetPage::bulkTerminateRequested);
        m_stack->addWidget(m_tabs);
        m_stack->setCurrentWidget(m_tabs);
    }
    m_content->setPaused(m_paused);
    m_content->setLiveAvailable(m_liveAvailable);
    applyReadFromPrometheus();
    connect(m_content, &MonitorPage::browsingStarted, this, &TargetPage::browsingStarted);
    connect(m_content, &MonitorPage::liveRequested, this, &TargetPage::liveRequested);
}

void TargetPage::showSnapshot(const TargetSnapshot &snapshot, TargetKind kind)
{
    // Read from Prometheus and not seen: one of hundreds, its page is built and updated when shown.
    const bool deferred = !m_noSessionsWhy.isEmpty() && !isVisible() && window()->isVisible();
    if (!m_content && kind != TargetKind::Unknown && !deferred)
        createContent(kind);

    if (snapshot.ok) {
        m_error.clear();
        m_hint.clear();
        m_failingSinceMs = 0;
        m_retryAtMs = m_retryEveryMs = 0;
        m_attempts = 0;
        m_banner->hide();
    } else {
        m_error = snapshot.error.message.isEmpty() ? tr("Sampling failed") : snapshot.error.message;
        m_hint = snapshot.error.hint;
        if (m_failingSinceMs == 0)
            m_failingSinceMs = snapshot.sampledAtMs;
        // Before the first successful sample the placeholder carries the error instead.
        m_banner->setVisible(m_content != nullptr);
    }
    updatePlaceholder();
    if (deferred) {
        if (snapshot.ok)
            m_pendingOk = snapshot;
        m_pending = snapshot;
        m_pendingKind = kind;
        return;
    }
    showContent(snapshot);
}

void TargetPage::showContent(const TargetSnapshot &snapshot)
{
    m_pending.reset();
    m_pendingOk.reset();
    if (m_content)
        m_content->showSnapshot(snapshot);
    if (m_sessions)
        m_sessions->updateSample(snapshot);
    if (m_pgpool)
        m_pgpool->showSnapshot(snapshot);
}

void TargetPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_pending)
        return;
    if (!m_content && m_pendingKind != TargetKind::Unknown) {
        createContent(m_pendingKind);
        m_banner->setVisible(!m_error.isEmpty());
        updatePlaceholder();
    }
    // The newest figures that answered first, then the newest sample (a failure keeps them, banner above).
    const TargetSnapshot latest = *m_pending;
    if (m_pendingOk && m_pendingOk->sampledAtMs != latest.sampledAtMs)
        showContent(*m_pendingOk);
    showContent(latest);
}

void TargetPage::setLinkText(const QString &text)
{
    if (text == m_link->text() && m_link->isHidden() == text.isEmpty())
        return;
    m_link->setText(text);
    m_link->setVisible(!text.isEmpty());
}

QString TargetPage::linkText() const
{
    return m_link->isHidden() ? QString() : m_link->text();
}

void TargetPage::setSourceText(const QString &text)
{
    if (text == m_source->text() && m_source->isHidden() == text.isEmpty())
        return;
    m_source->setText(text);
    m_source->setVisible(!text.isEmpty());
}

QString TargetPage::sourceText() const
{
    return m_source->isHidden() ? QString() : m_source->text();
}

void TargetPage::setReadFromPrometheus(const QString &why)
{
    m_noSessionsWhy = why;
    applyReadFromPrometheus();
}

void TargetPage::applyReadFromPrometheus()
{
    if (m_noSessionsWhy.isEmpty())
        return;
    if (m_tabs && m_sessions) {
        const int tab = m_tabs->indexOf(m_sessions);
        m_tabs->setTabEnabled(tab, false);
        m_tabs->setTabToolTip(tab, m_noSessionsWhy);
    }
    if (auto *postgres = qobject_cast<PostgresPage *>(m_content))
        postgres->setSessionListAvailable(false, m_noSessionsWhy);
    if (auto *bouncer = qobject_cast<BouncerPage *>(m_content))
        bouncer->setConnectionsUnavailable(tr("SHOW CLIENTS / SERVERS: not in Prometheus (counts only)"));
}

bool TargetPage::showSessionsTab(bool sessions)
{
    if (!m_tabs || (sessions && !m_noSessionsWhy.isEmpty()))
        return false;
    m_tabs->setCurrentIndex(sessions ? 1 : 0);
    return true;
}

void TargetPage::setActionsEnabled(bool enabled, const QString &reason)
{
    m_actionsEnabled = enabled;
    m_actionsReason = reason;
    if (m_sessions)
        m_sessions->setActionsEnabled(enabled, reason);
    if (auto *bouncer = qobject_cast<BouncerPage *>(m_content))
        bouncer->setActionsEnabled(enabled, reason);
}

void TargetPage::setActionConnInfo(const QString &conninfo)
{
    m_actionConnInfo = conninfo;
    if (auto *bouncer = qobject_cast<BouncerPage *>(m_content))
        bouncer->setActionConnInfo(conninfo, m_label);
}

void TargetPage::setNotice(const QString &text)
{
    m_notice->setText(text);
    m_notice->setVisible(!text.isEmpty());
}

QString TargetPage::noticeText() const
{
    return m_notice->isHidden() ? QString() : m_notice->text();
}

void TargetPage::setLiveAvailable(bool available)
{
    m_liveAvailable = available;
    if (m_content)
        m_content->setLiveAvailable(available);
}

void TargetPage::setPaused(bool paused)
{
    m_paused = paused;
    if (m_content)
        m_content->setPaused(paused);
    if (m_pgpool)
        m_pgpool->setPaused(paused);
}

QList<QCustomPlot *> TargetPage::charts() const
{
    QList<QCustomPlot *> out;
    if (m_content) {
        for (TimeChart *chart : m_content->charts())
            out.append(chart);
    }
    return out;
}

QString TargetPage::errorText() const
{
    return m_error;
}

void TargetPage::setRetry(int attempts, qint64 inMs)
{
    m_attempts = attempts;
    m_retryEveryMs = inMs;
    m_retryAtMs = QDateTime::currentMSecsSinceEpoch() + inMs;
    updatePlaceholder();
}

QString TargetPage::retryText() const
{
    if (m_retryAtMs <= 0)
        return tr("Retrying");
    const QString at = QDateTime::fromMSecsSinceEpoch(m_retryAtMs).toString(QStringLiteral("HH:mm:ss"));
    const qint64 s = (m_retryEveryMs + 500) / 1000;
    const QString every = s < 120 ? tr("%1\u00a0s").arg(s) : tr("%1\u00a0min").arg((s + 30) / 60);
    return m_attempts == 1 ? tr("Next attempt at %1 (%2 after the last); 1 failed so far").arg(at, every)
                           : tr("Next attempt at %1 (%2 after the last); %3 failed so far")
                                 .arg(at, every)
                                 .arg(m_attempts);
}

void TargetPage::updatePlaceholder()
{
    if (!m_error.isEmpty()) {
        const QString since =
            QDateTime::fromMSecsSinceEpoch(m_failingSinceMs).toString(QStringLiteral("HH:mm:ss"));
        QString banner = tr("<b>%1 is not answering</b> since %2: %3")
                             .arg(m_label.toHtmlEscaped(), since, m_error.toHtmlEscaped());
        if (!m_hint.isEmpty())
            banner += QStringLiteral(" — ") + m_hint.toHtmlEscaped();
        m_banner->setText(banner + QStringLiteral(". ") + retryText().toHtmlEscaped() + QLatin1Char('.'));
    }
    if (m_content)
        return;
    if (m_error.isEmpty()) {
        m_placeholder->setStyleSheet(QString());
        m_placeholder->setText(tr("Connecting to %1…").arg(m_label.toHtmlEscaped()));
    } else {
        const QColor failed = palette::targetFailed(palette());
        m_placeholder->setStyleSheet(QStringLiteral("color: %1;").arg(failed.name()));
        const QString hint =
            m_hint.isEmpty() ? QString() : tr("<br><br><b>What to check:</b> %1").arg(m_hint.toHtmlEscaped());
        m_placeholder->setText(
            tr("<b>Cannot sample %1</b><br><br>%2%3<br><br><small>%4; the charts start with "
               "the first successful sample.</small>")
                .arg(m_label.toHtmlEscaped(), m_error.toHtmlEscaped(), hint, retryText().toHtmlEscaped()));
    }
}

} // namespace poolscope::widgets
