#include "loadpanel.h"

#include "core/timeseries.h"
#include "db/conninfo.h"
#include "load/presets.h"
#include "ui_loadpanel.h"
#include "widgets/palette.h"
#include "widgets/timechart.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QInputDialog>
#include <QJsonDocument>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <cmath>

namespace poolscope::widgets {

namespace {

constexpr int ValidateDelayMs = 300;
constexpr double Nan = std::numeric_limits<double>::quiet_NaN();

QString seriesName(const char *name)
{
    return QStringLiteral("load/") + QLatin1String(name);
}

QString errorSeries(load::ErrorClass c)
{
    return QStringLiteral("load/errors/") + load::errorClassName(c);
}

TimeChart::ColorFunction groupColor(int index)
{
    return [index](const QPalette &p) {
        return palette::group(index, p);
    };
}

QString summaryText(const load::LoadSummary &s)
{
    const load::Percentiles lat = load::percentiles(s.totals.latency);
    const load::Percentiles wait = load::percentiles(s.totals.poolWait);
    QString text = LoadPanel::tr("%1 against %2: %3 clients, %4 s%5\n")
                       .arg(s.scenario, s.target)
                       .arg(s.clients)
                       .arg(s.durationS, 0, 'f', 1)
                       .arg(s.stoppedEarly ? LoadPanel::tr(" (stopped early)") : QString());
    text += LoadPanel::tr("transactions %1 (%2/s), failed %3, retries %4\n")
                .arg(s.totals.transactions)
                .arg(s.tps(), 0, 'f', 1)
                .arg(s.totals.failed)
                .arg(s.totals.retries);
    text += LoadPanel::tr("latency ms: p50 %1, p95 %2, p99 %3, max %4\n")
                .arg(lat.p50, 0, 'f', 2)
                .arg(lat.p95, 0, 'f', 2)
                .arg(lat.p99, 0, 'f', 2)
                .arg(lat.max, 0, 'f', 2);
    text += LoadPanel::tr("pool wait ms: p50 %1, p99 %2\n").arg(wait.p50, 0, 'f', 2).arg(wait.p99, 0, 'f', 2);
    text += LoadPanel::tr("connections: max %1, opened %2\n").arg(s.connectionsMax).arg(s.totals.connects);
    for (int i = 0; i < load::ErrorClassCount; ++i) {
        if (s.totals.errors[size_t(i)] > 0)
            text += LoadPanel::tr("errors %1: %2, e.g. %3\n")
                        .arg(load::errorClassName(load::ErrorClass(i)))
                        .arg(s.totals.errors[size_t(i)])
                        .arg(s.totals.examples[size_t(i)]);
    }
    return text + QLatin1Char('\n') + QString::fromUtf8(QJsonDocument(load::toJson(s)).toJson());
}

} // namespace

LoadPanel::LoadPanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::LoadPanel>()), m_series(std::make_unique<SeriesSet>())
{
    m_ui->setupUi(this);
    m_ui->scenarioEdit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_ui->summaryView->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_ui->targetCombo->lineEdit()->setPlaceholderText(tr("postgresql://app@127.0.0.1:5432/app"));

    TimeChart *tps = m_ui->tpsChart;
    tps->setTitle(tr("Transactions per second"));
    tps->setValueLabel(tr("transactions/s"));
    tps->addSeries(seriesName("tps"), tr("TPS"), palette::transactionsPerSecond, 2.0);
    TimeChart *latency = m_ui->latencyChart;
    latency->setTitle(tr("Request latency"));
    latency->setValueLabel(tr("ms"));
    latency->addSeries(seriesName("latency/p50"), tr("p50"), groupColor(0));
    latency->addSeries(seriesName("latency/p95"), tr("p95"), groupColor(1));
    latency->addSeries(seriesName("latency/p99"), tr("p99"), groupColor(3), 2.0);
    latency->addSeries(seriesName("latency/max"), tr("max"), palette::groupOthers);
    TimeChart *wait = m_ui->poolWaitChart;
    wait->setTitle(tr("App pool checkout wait"));
    wait->setValueLabel(tr("ms"));
    wait->addSeries(seriesName("pool_wait/p50"), tr("p50"), groupColor(0));
    wait->addSeries(seriesName("pool_wait/p99"), tr("p99"), groupColor(3), 2.0);
    TimeChart *conns = m_ui->connectionsChart;
    conns->setTitle(tr("Connections open"));
    conns->setValueLabel(tr("connections"));
    conns->setIntegerValues(true);
    conns->addSeries(seriesName("connections"), tr("connections"), groupColor(2), 2.0);
    conns->addSeries(seriesName("workers"), tr("workers active"), palette::groupOthers);
    TimeChart *errors = m_ui->errorsChart;
    errors->setTitle(tr("Errors per second by class"));
    errors->setValueLabel(tr("errors/s"));
    for (TimeChart *c : charts())
        c->setSeriesSet(m_series.get());

    m_validateTimer.setSingleShot(true);
    m_validateTimer.setInterval(ValidateDelayMs);
    connect(&m_validateTimer, &QTimer::timeout, this, &LoadPanel::validateEditor);
    connect(m_ui->scenarioEdit, &QPlainTextEdit::textChanged, this, [this] { m_validateTimer.start(); });
    connect(m_ui->scenarioCombo, &QComboBox::currentIndexChanged, this, &LoadPanel::onScenarioChosen);
    connect(m_ui->startButton, &QPushButton::clicked, this, &LoadPanel::start);
    connect(m_ui->stopButton, &QPushButton::clicked, this, &LoadPanel::stop);
    connect(m_ui->revertButton, &QPushButton::clicked, this,
            [this] { m_ui->scenarioEdit->setPlainText(m_loadedText); });
    connect(m_ui->saveAsButton, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString suggested = m_parsed ? m_parsed->name + QStringLiteral("-copy") : QString();
        const QString name =
            QInputDialog::getText(this, tr("Save scenario"), tr("Name (letters, digits, '.', '_', '-'):"),
                                  QLineEdit::Normal, suggested, &ok);
        if (ok && !name.isEmpty())
            saveScenarioAs(name);
    });
    m_confirmRemote = [this](const QString &message) {
        return QMessageBox::warning(this, tr("Load a remote server?"), message,
                                    QMessageBox::Yes | QMessageBox::Cancel,
                                    QMessageBox::Cancel) == QMessageBox::Yes;
    };
    m_confirmRequirements = [this](const QString &message) {
        QMessageBox box(QMessageBox::Warning, tr("Run where it cannot reproduce?"),
                        tr("This scenario will not show what it models on this target:"),
                        QMessageBox::Yes | QMessageBox::No, this);
        box.setInformativeText(message);
        box.button(QMessageBox::Yes)->setText(tr("Run anyway"));
        box.setDefaultButton(QMessageBox::No);
        return box.exec() == QMessageBox::Yes;
    };
    // Long titles do not widen the window: the box elides, the list shows them whole.
    m_ui->scenarioCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_ui->scenarioCombo->setMinimumContentsLength(24);
    // The target keeps room for host:port/db whatever the scenario's controls take beside it.
    m_ui->targetCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_ui->targetCombo->setMinimumContentsLength(20);

    fillScenarioCombo(QStringLiteral("steady-oltp"));
    updateButtons();
    setStatus(
        tr("Simulated clients against a database you own: choose a target and a scenario, then Start."));
}

LoadPanel::~LoadPanel()
{
    m_run.reset(); // stops the engine: every connection closed
}

QList<TimeChart *> LoadPanel::charts() const
{
    return {m_ui->tpsChart, m_ui->latencyChart, m_ui->poolWaitChart, m_ui->connectionsChart,
            m_ui->errorsChart};
}

void LoadPanel::setTargets(const QStringList &conninfos)
{
    const QString current = target();
    m_ui->targetCombo->clear();
    for (const QString &c : conninfos)
        m_ui->targetCombo->addItem(db::describe(db::parseConnInfo(c)), c);
    if (!current.isEmpty())
        setTarget(current);
}

void LoadPanel::setTarget(const QString &conninfo)
{
    const int i = m_ui->targetCombo->findData(conninfo);
    if (i >= 0)
        m_ui->targetCombo->setCurrentIndex(i);
    else
        m_ui->targetCombo->setEditText(conninfo);
}

QString LoadPanel::target() const
{
    // An offered target shows as user@host:port/db; its connection string is the item's data.
    const int i = m_ui->targetCombo->currentIndex();
    if (i >= 0 && m_ui->targetCombo->currentText() == m_ui->targetCombo->itemText(i))
        return m_ui->targetCombo->itemData(i).toString();
    return m_ui->targetCombo->currentText().trimmed();
}

void LoadPanel::fillScenarioCombo(const QString &select)
{
    const QSignalBlocker blocker(m_ui->scenarioCombo);
    m_ui->scenarioCombo->clear();
    for (const QString &name : load::presetNames()) {
        QString error;
        const auto s = load::loadScenario(name, &error);
        // The title says what it is; the name (for `poolscope load --scenario`) and the description on hover.
        m_ui->scenarioCombo->addItem(s && !s->title.isEmpty() ? s->title : name, name);
        if (s)
            m_ui->scenarioCombo->setItemData(m_ui->scenarioCombo->count() - 1,
                                             QStringLiteral("%1: %2").arg(name, s->description),
                                             Qt::ToolTipRole);
    }
    const QStringList saved = load::userScenarioNames();
    if (!saved.isEmpty())
        m_ui->scenarioCombo->insertSeparator(m_ui->scenarioCombo->count());
    for (const QString &name : saved)
        m_ui->scenarioCombo->addItem(tr("%1 (saved)").arg(name), name);
    const int i = m_ui->scenarioCombo->findData(select);
    m_ui->scenarioCombo->setCurrentIndex(std::max(0, i));
    onScenarioChosen(m_ui->scenarioCombo->currentIndex());
}

bool LoadPanel::selectScenario(const QString &name)
{
    const int i = m_ui->scenarioCombo->findData(name);
    if (i < 0)
        return false;
    if (i == m_ui->scenarioCombo->currentIndex())
        onScenarioChosen(i);
    else
        m_ui->scenarioCombo->setCurrentIndex(i);
    return true;
}

void LoadPanel::onScenarioChosen(int index)
{
    if (index < 0)
        return;
    QString error;
    const QByteArray text = load::scenarioText(m_ui->scenarioCombo->itemData(index).toString(), &error);
    if (text.isEmpty()) {
        setStatus(error, true);
        return;
    }
    m_loadedText = QString::fromUtf8(text);
    m_spinSource.reset(); // the spin boxes take the new scenario's values
    m_ui->scenarioEdit->setPlainText(m_loadedText);
    validateEditor();
    if (m_parsed && !m_parsed->needs.isEmpty() && !isRunning()) {
        QStringList needs;
        if (m_parsed->needs.server == QLatin1String("pgbouncer"))
            needs.append(m_parsed->needs.poolMode.isEmpty()
                             ? tr("PgBouncer in front")
                             : tr("a PgBouncer pool in %1 mode").arg(m_parsed->needs.poolMode));
        else if (m_parsed->needs.server == QLatin1String("postgres"))
            needs.append(tr("PostgreSQL itself (no pooler)"));
        if (m_parsed->needs.reachMaxConnections)
            needs.append(tr("max_connections within its reach"));
        setStatus(
            tr("%1 needs %2: Start checks the target first.").arg(m_parsed->name, needs.join(tr(" and "))));
    }
}

void LoadPanel::validateEditor()
{
    m_validateTimer.stop();
    QString error;
    auto s = load::scenarioFromJson(m_ui->scenarioEdit->toPlainText().toUtf8(), &error);
    if (!s) {
        m_parsed.reset(); // Start must not run an older version of the text
        m_validationError = error;
        m_ui->validationLabel->setText(
            tr("<span style=\"color:%1\">%2</span>")
                .arg(palette::targetFailed(palette()).name(), error.toHtmlEscaped()));
        m_ui->descriptionLabel->clear();
        updateButtons();
        return;
    }
    m_ui->validationLabel->setText(tr("Valid: %n worker(s) in all", nullptr, s->totalWorkers()));
    m_ui->descriptionLabel->setText(
        QStringLiteral("<b>%1</b><br>%2<br><i>%3</i>")
            .arg(s->title.toHtmlEscaped(), s->description.toHtmlEscaped(), s->expect.toHtmlEscaped()));
    // The spin boxes follow the JSON where it changed (not where the user set them since).
    const load::Workload &first = s->workloads.first();
    const load::AppConfig *app = s->app(first.app);
    const int clients = first.workers * (app ? app->processes : 1);
    // The spin box sets the first workload only (load::Overrides): say so, and how many the others add, so it
    // agrees with the run's summary, which counts every workload's clients.
    const int others = s->totalWorkers() - clients;
    m_ui->clientsLabel->setText(
        s->workloads.size() > 1
            ? tr("&Clients of %1:").arg(QString(first.name).replace(QLatin1Char('&'), QStringLiteral("&&")))
            : tr("&Clients:"));
    m_ui->clientsSpin->setSuffix(others > 0 ? tr(" + %1 other").arg(others) : QString());
    m_ui->clientsSpin->setToolTip(
        others > 0 ? tr("Clients of the first workload (%1); the scenario's other workloads add %2, and the "
                        "run's summary counts them all")
                         .arg(first.name)
                         .arg(others)
                   : tr("Clients of the scenario's workload"));
    const bool fresh = !m_spinSource;
    const load::Workload *before = fresh ? nullptr : &m_spinSource->workloads.first();
    if (fresh || before->workers != first.workers)
        m_ui->clientsSpin->setValue(clients);
    if (fresh || m_spinSource->durationS != s->durationS)
        m_ui->durationSpin->setValue(int(std::ceil(s->durationS)));
    if (fresh || before->rate != first.rate)
        m_ui->rateSpin->setValue(first.rate);
    m_spinSource = s;
    m_parsed = std::move(s);
    updateButtons();
}

QString LoadPanel::scenarioText() const
{
    return m_ui->scenarioEdit->toPlainText();
}

void LoadPanel::setScenarioText(const QString &json)
{
    m_ui->scenarioEdit->setPlainText(json);
    validateEditor();
}

void LoadPanel::setClients(int clients)
{
    m_ui->clientsSpin->setValue(clients);
}

void LoadPanel::setDurationS(int seconds)
{
    m_ui->durationSpin->setValue(seconds);
}

void LoadPanel::setRate(double rate)
{
    m_ui->rateSpin->setValue(rate);
}

bool LoadPanel::saveScenarioAs(const QString &name)
{
    QString error;
    const QString path = load::saveUserScenario(name, m_ui->scenarioEdit->toPlainText().toUtf8(), &error);
    if (path.isEmpty()) {
        setStatus(tr("Not saved: %1").arg(error), true);
        return false;
    }
    const QString text = m_ui->scenarioEdit->toPlainText();
    fillScenarioCombo(name);
    m_ui->scenarioEdit->setPlainText(text);
    validateEditor();
    setStatus(tr("Saved as %1").arg(path));
    return true;
}

void LoadPanel::setRemoteConfirmation(std::function<bool(const QString &)> ask)
{
    m_confirmRemote = std::move(ask);
}

bool LoadPanel::isRunning() const
{
    return m_starting || (m_run && m_run->isRunning());
}

void LoadPanel::start()
{
    if (isRunning())
        return;
    validateEditor();
    if (!m_parsed) {
        m_ui->tabs->setCurrentWidget(m_ui->scenarioTab);
        setStatus(tr("The scenario has a mistake: %1").arg(m_validationError), true);
        return;
    }
    if (target().isEmpty()) {
        setStatus(tr("Give a target: the connection string of the application's role."), true);
        m_ui->targetCombo->setFocus();
        return;
    }
    startWith(false);
}

void LoadPanel::setRequirementsConfirmation(std::function<bool(const QString &message)> ask)
{
    m_confirmRequirements = std::move(ask);
}

void LoadPanel::setPoolerConsoles(std::function<QStringList()> consoles)
{
    m_poolerConsoles = std::move(consoles);
}

void LoadPanel::startScenario(const QString &json, const QString &target, int durationS)
{
    if (isRunning())
        return;
    m_loadedText = json;
    m_spinSource.reset();
    setScenarioText(json);
    if (durationS > 0)
        setDurationS(durationS);
    setTarget(target);
    start();
}

void LoadPanel::startWith(bool allowRemote, bool force)
{
    m_allowRemote = allowRemote;
    load::Overrides o;
    o.clients = m_ui->clientsSpin->value();
    o.durationS = m_ui->durationSpin->value();
    o.rate = m_ui->rateSpin->value();
    load::LoadRun::Options options;
    options.conninfo = target();
    options.scenario = load::applyOverrides(*m_parsed, o);
    options.allowRemote = allowRemote;
    options.force = force;
    if (m_poolerConsoles)
        options.poolerConsoles = m_poolerConsoles();
    QString error;
    if (!load::validate(options.scenario, &error)) {
        setStatus(error, true);
        return;
    }
    m_run = std::make_unique<load::LoadRun>(options);
    connect(m_run.get(), &load::LoadRun::started, this, &LoadPanel::onStarted);
    connect(m_run.get(), &load::LoadRun::sampleReady, this, &LoadPanel::onSample);
    connect(m_run.get(), &load::LoadRun::finished, this, &LoadPanel::onFinished);
    connect(m_run.get(), &load::LoadRun::failed, this, &LoadPanel::onFailed);
    m_starting = true;
    m_runLabel = options.scenario.name;
    setStatus(tr("Checking %1 and running the scenario's setup…").arg(m_run->target()));
    m_run->start();
    updateButtons();
}

void LoadPanel::stop()
{
    if (m_run && m_run->isRunning()) {
        m_run->stop();
        setStatus(tr("Stopping: closing every connection…"));
    }
}

void LoadPanel::resetCharts()
{
    m_series = std::make_unique<SeriesSet>();
    for (TimeChart *c : charts())
        c->setSeriesSet(m_series.get());
    m_ui->errorsChart->clearSeries();
    m_errorClassesCharted.clear();
}

void LoadPanel::onStarted(const QString &target, const QString &serverKind)
{
    m_starting = false;
    resetCharts();
    const load::Scenario &s = m_run->scenario();
    // The whole run fills the charts' width (TimeChart::MinVisibleSeconds at least).
    for (TimeChart *c : charts())
        c->setWindowSeconds(std::max(TimeChart::MinVisibleSeconds, s.durationS + 2));
    m_ui->progressBar->setRange(0, int(std::ceil(s.durationS)));
    m_ui->progressBar->setValue(0);
    m_ui->summaryView->clear();
    if (m_run->warnings().isEmpty())
        setStatus(tr("Running %1 against %2 (%3)").arg(s.name, target, serverKind));
    else
        setStatus(tr("Running %1 against %2 (%3). Warning: %4")
                      .arg(s.name, target, serverKind, m_run->warnings().join(QLatin1Char(' '))),
                  true);
    updateButtons();
    Q_EMIT runStarted(tr("load: %1").arg(s.name), double(QDateTime::currentMSecsSinceEpoch()) / 1000.0);
}

void LoadPanel::onSample(const load::LoadSample &s)
{
    const double t = double(s.timeMs) / 1000.0;
    SeriesSet &set = *m_series;
    set.noteTime(t);
    set[seriesName("tps")].append(t, s.tps);
    // No request finished in the interval: a gap, not a latency of zero.
    set[seriesName("latency/p50")].append(t, s.hasLatency ? s.latency.p50 : Nan);
    set[seriesName("latency/p95")].append(t, s.hasLatency ? s.latency.p95 : Nan);
    set[seriesName("latency/p99")].append(t, s.hasLatency ? s.latency.p99 : Nan);
    set[seriesName("latency/max")].append(t, s.hasLatency ? s.latency.max : Nan);
    set[seriesName("pool_wait/p50")].append(t, s.hasPoolWait ? s.poolWait.p50 : Nan);
    set[seriesName("pool_wait/p99")].append(t, s.hasPoolWait ? s.poolWait.p99 : Nan);
    set[seriesName("connections")].append(t, s.connectionsOpen);
    set[seriesName("workers")].append(t, s.workersActive);
    for (int i = 0; i < load::ErrorClassCount; ++i) {
        set[errorSeries(load::ErrorClass(i))].append(t, s.errorsPerSecond[size_t(i)]);
        // A class joins the chart (and its legend) the first time it happens.
        if (s.errorsTotal[size_t(i)] > 0 && !m_errorClassesCharted.contains(i)) {
            m_errorClassesCharted.append(i);
            m_ui->errorsChart->addSeries(errorSeries(load::ErrorClass(i)),
                                         load::errorClassLabel(load::ErrorClass(i)), groupColor(i),
                                         i <= int(load::ErrorClass::QueryWaitTimeout) ? 2.0 : 1.6);
        }
    }
    for (TimeChart *c : charts())
        c->markDirty();

    const double left = std::max(0.0, s.durationS - s.elapsedS);
    m_ui->progressBar->setValue(int(std::min(s.elapsedS, s.durationS)));
    m_ui->remainingLabel->setText(tr("%1 s left").arg(std::ceil(left), 0, 'f', 0));
    std::uint64_t errors = 0;
    for (const auto e : s.errorsTotal)
        errors += e;
    setStatus(tr("%1: %2 tps, p99 %3 ms, %4 connections, %5 errors so far")
                  .arg(m_runLabel)
                  .arg(s.tps, 0, 'f', 0)
                  .arg(s.hasLatency ? QString::number(s.latency.p99, 'f', 1) : QStringLiteral("–"))
                  .arg(s.connectionsOpen)
                  .arg(errors));
    Q_EMIT sampleShown(s);
}

void LoadPanel::onFinished(const load::LoadSummary &summary)
{
    m_starting = false;
    m_lastSummary = summary;
    m_ui->summaryView->setPlainText(summaryText(summary));
    m_ui->progressBar->setValue(m_ui->progressBar->maximum());
    m_ui->remainingLabel->clear();
    setStatus(tr("%1 %2: %3 transactions (%4/s), %5 errors, at most %6 connections")
                  .arg(m_runLabel, summary.stoppedEarly ? tr("stopped") : tr("finished"))
                  .arg(summary.totals.transactions)
                  .arg(summary.tps(), 0, 'f', 1)
                  .arg(summary.totals.errorTotal())
                  .arg(summary.connectionsMax));
    // Not from inside its own signal: the run goes once the event loop is back.
    QTimer::singleShot(0, this, [this] {
        if (m_run && !m_run->isRunning())
            m_run.reset();
        updateButtons();
    });
    updateButtons();
    Q_EMIT runFinished(double(QDateTime::currentMSecsSinceEpoch()) / 1000.0);
}

void LoadPanel::onFailed(load::LoadRun::Failure failure, const QString &message)
{
    m_starting = false;
    QTimer::singleShot(0, this, [this] {
        if (m_run && !m_run->isRunning())
            m_run.reset();
        updateButtons();
    });
    if (failure == load::LoadRun::Failure::RemoteNotAllowed) {
        if (m_confirmRemote && m_confirmRemote(message)) {
            // A new run, allowed this time (the refused one goes with the next event loop turn).
            QTimer::singleShot(0, this, [this] {
                m_run.reset();
                startWith(true);
            });
            return;
        }
        setStatus(tr("Not started: the target is not on this machine."), true);
        updateButtons();
        return;
    }
    if (failure == load::LoadRun::Failure::Requirements) {
        // Said in the panel whatever the answer; run only on an explicit yes.
        setStatus(tr("Not started, it would not reproduce here: %1").arg(message), true);
        updateButtons();
        if (m_confirmRequirements && m_confirmRequirements(message)) {
            QTimer::singleShot(0, this, [this, allowRemote = m_allowRemote] {
                m_run.reset();
                startWith(allowRemote, true);
            });
        }
        return;
    }
    setStatus(tr("Not started: %1").arg(message), true);
    updateButtons();
}

void LoadPanel::setStatus(const QString &text, bool error)
{
    m_ui->statusLabel->setText(error ? tr("<span style=\"color:%1\">%2</span>")
                                           .arg(palette::targetFailed(palette()).name(), text.toHtmlEscaped())
                                     : text.toHtmlEscaped());
    m_ui->statusLabel->setToolTip(text);
}

QString LoadPanel::statusText() const
{
    return m_ui->statusLabel->toolTip();
}

void LoadPanel::updateButtons()
{
    const bool running = isRunning();
    m_ui->startButton->setEnabled(!running && m_parsed.has_value());
    m_ui->stopButton->setEnabled(running && !m_starting);
    for (QWidget *w : {static_cast<QWidget *>(m_ui->targetCombo), static_cast<QWidget *>(m_ui->scenarioCombo),
                       static_cast<QWidget *>(m_ui->clientsSpin), static_cast<QWidget *>(m_ui->durationSpin),
                       static_cast<QWidget *>(m_ui->rateSpin), static_cast<QWidget *>(m_ui->saveAsButton)})
        w->setEnabled(!running);
}

} // namespace poolscope::widgets
