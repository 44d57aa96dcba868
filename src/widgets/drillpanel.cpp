#include "drillpanel.h"

#include "load/metrics.h"
#include "load/presets.h"
#include "models/findingsmodel.h"
#include "widgets/findingscontroller.h"
#include "widgets/findingspanel.h"
#include "widgets/loadpanel.h"
#include "widgets/palette.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QTextDocument>
#include <QVBoxLayout>
#include <cmath>

namespace poolscope::widgets {

using findings::Finding;
using findings::Status;

namespace {

constexpr int TickMs = 500;

QLabel *wrapped(QWidget *parent, const QString &objectName)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QString seconds(double s)
{
    return QString::number(s, 'f', s < 10 ? 1 : 0);
}

} // namespace

DrillPanel::DrillPanel(LoadPanel *load, FindingsController *findings, QWidget *parent)
    : QWidget(parent), m_load(load), m_findings(findings)
{
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(8, 6, 8, 6);
    m_title = wrapped(content, QStringLiteral("drillTitle"));
    m_about = wrapped(content, QStringLiteral("drillAbout"));
    m_status = wrapped(content, QStringLiteral("drillStatus"));
    m_next = wrapped(content, QStringLiteral("drillNext"));
    m_fix = wrapped(content, QStringLiteral("drillFix"));
    m_app = wrapped(content, QStringLiteral("drillApplication"));
    m_start = new QPushButton(tr("&Start drill"), content);
    m_start->setObjectName(QStringLiteral("drillStart"));
    m_fixed = new QPushButton(tr("Run the &fixed application"), content);
    m_fixed->setObjectName(QStringLiteral("drillFixed"));
    m_stop = new QPushButton(tr("S&top"), content);
    m_stop->setObjectName(QStringLiteral("drillStop"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    layout->addWidget(m_title);
    layout->addWidget(m_about);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(m_next);
    layout->addWidget(m_app);
    layout->addWidget(m_fix);
    layout->addWidget(m_fixed, 0, Qt::AlignLeft);
    layout->addStretch(1);
    scroll->setWidget(content);
    outer->addWidget(scroll);
    QFont bigger = m_status->font();
    bigger.setPointSizeF(bigger.pointSizeF() * 1.1);
    m_status->setFont(bigger);

    connect(m_start, &QPushButton::clicked, this, &DrillPanel::start);
    connect(m_fixed, &QPushButton::clicked, this, &DrillPanel::startFixed);
    connect(m_stop, &QPushButton::clicked, this, &DrillPanel::stop);
    connect(m_load, &LoadPanel::runStarted, this, &DrillPanel::onRunStarted);
    connect(m_load, &LoadPanel::runFinished, this, &DrillPanel::onRunFinished);
    connect(m_load, &LoadPanel::sampleShown, this, &DrillPanel::onSample);
    connect(m_findings, &FindingsController::findingsChanged, this, &DrillPanel::onFindings);
    m_tick.setInterval(TickMs);
    connect(&m_tick, &QTimer::timeout, this, &DrillPanel::tick);
    updateTexts();
}

DrillPanel::~DrillPanel() = default;

void DrillPanel::setUris(const sandbox::SandboxUris &uris)
{
    m_uris = uris;
    updateTexts();
}

bool DrillPanel::setDrill(const QString &preset)
{
    const Drill *drill = findDrill(preset);
    if (!drill)
        return false;
    if (drill != m_drill) {
        stop();
        m_drill = drill;
        m_findingId = 0;
        m_namedAfterS.reset();
        m_appLine.clear();
        setPhase(Phase::Idle);
    }
    return true;
}

void DrillPanel::start()
{
    if (m_drill)
        run(m_drill->preset, m_drill->through, false);
}

void DrillPanel::startFixed()
{
    if (!m_drill || !m_drill->hasFix())
        return;
    if (m_ownRun && !m_fixedRun) {
        m_pendingFixed = true; // once the incident's connections are closed
        m_load->stop();
        return;
    }
    run(m_drill->fixedScenario, m_drill->fixedThrough, true);
}

void DrillPanel::stop()
{
    m_pendingFixed = false;
    if (m_ownRun)
        m_load->stop();
}

void DrillPanel::run(const QString &scenario, Drill::Through through, bool fixed)
{
    if (!m_uris || !m_drill)
        return;
    if (m_load->isRunning()) {
        m_status->setText(tr("The Load tab is running something else: stop it first."));
        return;
    }
    setOwnRun(true);
    m_fixedRun = fixed;
    m_fixedNamed = false;
    m_appLine.clear();
    if (!fixed) {
        m_findingId = 0;
        m_namedAfterS.reset();
    }
    setPhase(Phase::Starting);
    m_tick.start();
    m_load->startScenario(QString::fromUtf8(load::presetJson(scenario)), drillUri(*m_uris, through),
                          fixed ? 0 : m_drill->durationS);
}

void DrillPanel::onRunStarted()
{
    if (!m_ownRun)
        return;
    m_runStartMs = QDateTime::currentMSecsSinceEpoch();
    m_elapsed.start();
    setPhase(m_fixedRun ? Phase::FixedRunning : Phase::Waiting);
}

void DrillPanel::onRunFinished()
{
    if (!m_ownRun)
        return;
    setOwnRun(false);
    if (m_fixedRun)
        setPhase(Phase::FixedDone);
    else if (m_phase == Phase::Waiting || m_phase == Phase::Starting)
        setPhase(Phase::RunEnded);
    else
        updateTexts();
    if (m_pendingFixed) {
        m_pendingFixed = false;
        // Not from inside the Load tab's own signal: its run goes once the event loop is back.
        QTimer::singleShot(0, this, [this] { run(m_drill->fixedScenario, m_drill->fixedThrough, true); });
    }
}

void DrillPanel::onSample(const load::LoadSample &s)
{
    if (!m_ownRun)
        return;
    double errors = 0;
    int worst = -1;
    for (int i = 0; i < load::ErrorClassCount; ++i) {
        errors += s.errorsPerSecond[size_t(i)];
        if (s.errorsPerSecond[size_t(i)] > 0 &&
            (worst < 0 || s.errorsPerSecond[size_t(i)] > s.errorsPerSecond[size_t(worst)]))
            worst = i;
    }
    m_appLine = tr("<b>The application</b> (%1): %2 requests/s, %3 errors/s%4")
                    .arg(m_fixedRun ? tr("fixed") : tr("as it is"))
                    .arg(s.tps, 0, 'f', 0)
                    .arg(errors, 0, 'f', 0)
                    .arg(worst >= 0 ? QStringLiteral(" (") +
                                          load::errorClassLabel(load::ErrorClass(worst)).toHtmlEscaped() +
                                          QLatin1Char(')')
                                    : QString());
    m_app->setText(m_appLine);
    m_app->setVisible(true);
}

std::optional<Finding> DrillPanel::matching(qint64 sinceMs) const
{
    if (!m_drill)
        return std::nullopt;
    for (const Finding &f : m_findings->engine().findings()) {
        if (f.rule == m_drill->rule && f.raisedAtMs >= sinceMs)
            return f;
    }
    return std::nullopt;
}

void DrillPanel::onFindings()
{
    switch (m_phase) {
    case Phase::Waiting:
    case Phase::RunEnded:
        if (const auto f = matching(m_runStartMs)) {
            m_findingId = f->id;
            m_namedAfterS = double(f->raisedAtMs - m_runStartMs) / 1000.0;
            // The finding in front of the user, its action a Tab away.
            m_findings->showDock();
            m_findings->panel()->selectFinding(f->id);
            setPhase(Phase::Named);
        }
        break;
    case Phase::Named:
    case Phase::Watching: {
        const auto f = m_findings->engine().finding(m_findingId);
        if (!f)
            break;
        if (f->status == Status::ActionTaken)
            setPhase(Phase::Watching);
        else if (f->status != Status::Active)
            setPhase(Phase::Outcome);
        else
            updateTexts();
        break;
    }
    case Phase::FixedRunning:
        if (!m_fixedNamed && matching(m_runStartMs)) {
            m_fixedNamed = true;
            updateTexts();
        }
        break;
    case Phase::Outcome:
        updateTexts(); // "still present" may end later
        break;
    case Phase::Idle:
    case Phase::Starting:
    case Phase::FixedDone:
        break;
    }
}

void DrillPanel::tick()
{
    if (m_phase == Phase::Starting && !m_load->isRunning()) {
        setOwnRun(false); // refused or failed: the Load tab says why
        setPhase(Phase::Idle);
        m_status->setText(tr("Not started: %1").arg(m_load->statusText().toHtmlEscaped()));
        return;
    }
    updateTexts();
    if (!m_ownRun && m_phase != Phase::Watching && m_phase != Phase::Named)
        m_tick.stop();
}

void DrillPanel::setOwnRun(bool own)
{
    if (own == m_ownRun)
        return;
    m_ownRun = own;
    Q_EMIT runningChanged(own);
}

void DrillPanel::setPhase(Phase phase)
{
    const bool changed = phase != m_phase;
    m_phase = phase;
    updateTexts();
    if (changed)
        Q_EMIT phaseChanged(phase);
}

QString DrillPanel::statusText() const
{
    QTextDocument doc;
    doc.setHtml(m_status->text());
    return doc.toPlainText();
}

QString DrillPanel::nextStepText() const
{
    QTextDocument doc;
    doc.setHtml(m_next->text());
    return doc.toPlainText();
}

void DrillPanel::updateTexts()
{
    const bool ready = m_uris && m_drill;
    m_start->setEnabled(ready && !m_ownRun);
    m_fixed->setEnabled(ready && m_drill->hasFix() && !(m_ownRun && m_fixedRun));
    m_fixed->setVisible(m_drill && m_drill->hasFix());
    m_stop->setEnabled(m_ownRun);
    if (!m_drill) {
        m_title->setText(tr("<b>Incident drills</b>"));
        m_about->setText(tr("Pick a drill in the Drills menu."));
        m_status->clear();
        m_next->clear();
        m_fix->clear();
        return;
    }
    const Drill &d = *m_drill;
    m_title->setText(tr("<b>Drill: %1</b>").arg(d.title.toHtmlEscaped()));
    m_title->setToolTip(d.reproduces);
    m_about->setText(d.reproduces.toHtmlEscaped());
    // Read before Start; while it runs, the room goes to what happens (the title's tooltip keeps it).
    m_about->setVisible(!m_ownRun && (m_phase == Phase::Idle || m_phase == Phase::RunEnded));
    m_fix->setText(d.appFix.isEmpty() ? QString()
                                      : tr("<b>Where the fix is:</b> %1<br><b>The fixed application:</b> %2")
                                            .arg(d.appFix.toHtmlEscaped(), d.fixedDoes.toHtmlEscaped()));
    const double elapsed = m_elapsed.isValid() ? double(m_elapsed.elapsed()) / 1000.0 : 0;
    const QString &rule = d.rule;
    const std::optional<Finding> f =
        m_findingId ? m_findings->engine().finding(m_findingId) : std::optional<Finding>();
    const QString colour = f ? palette::severity(f->severity, palette()).name() : QString();
    QString status;
    QString next;
    switch (m_phase) {
    case Phase::Idle:
        status = ready ? tr("Ready: Start runs it against the demo sandbox.")
                       : tr("Waiting for the demo sandbox…");
        next = tr("<b>Look for:</b> %1").arg(d.lookFor.toHtmlEscaped());
        break;
    case Phase::Starting:
        status = tr("Starting %1…").arg(d.preset);
        next = tr("<b>Look for:</b> %1").arg(d.lookFor.toHtmlEscaped());
        break;
    case Phase::Waiting:
        status = tr("Waiting for the finding… (%1 s)").arg(std::floor(elapsed), 0, 'f', 0);
        next = tr("<b>Look for:</b> %1").arg(d.lookFor.toHtmlEscaped());
        break;
    case Phase::RunEnded:
        status = tr("The run ended before a finding named it.");
        next = tr("Start it again, or look at the thresholds (findings/… in the settings).");
        break;
    case Phase::Named:
    case Phase::Watching:
    case Phase::Outcome: {
        status = tr("Named: <b style=\"color:%1\">%2</b> after %3 s")
                     .arg(colour, f ? f->rule : rule, seconds(m_namedAfterS.value_or(0)));
        if (m_phase == Phase::Named)
            next = (f && !f->action.isNone())
                       ? tr("Now press <b>%1</b> in the Findings dock (it asks first, naming each one). %2")
                             .arg(f->action.label.toHtmlEscaped(), d.act.toHtmlEscaped())
                       : d.act.toHtmlEscaped();
        else if (m_phase == Phase::Watching)
            next = tr("Action taken: %1. Watching whether it goes away…")
                       .arg(f ? f->actionTaken.toHtmlEscaped() : QString());
        else if (f)
            next = tr("<b>Outcome: %1.</b>%2")
                       .arg(models::FindingsModel::statusWords(
                                *f, m_findings->engine().thresholds().actionWatchS),
                            d.hasFix() ? tr(" Now run the fixed application.") : QString());
        break;
    }
    case Phase::FixedRunning:
    case Phase::FixedDone:
        status = m_fixedNamed ? tr("The fixed application: %1 came back.").arg(rule)
                 : m_phase == Phase::FixedRunning
                     ? tr("The fixed application runs: no %1 for %2 s")
                           .arg(rule)
                           .arg(std::floor(elapsed), 0, 'f', 0)
                     : tr("The fixed application ran %1 s: %2 did not come back.")
                           .arg(m_load->lastSummary() ? m_load->lastSummary()->durationS : elapsed, 0, 'f', 0)
                           .arg(rule);
        next = d.fixedDoes.toHtmlEscaped();
        break;
    }
    m_status->setText(status);
    m_next->setText(next);
    m_app->setText(m_appLine);
    m_app->setVisible(!m_appLine.isEmpty());
}

} // namespace poolscope::widgets
