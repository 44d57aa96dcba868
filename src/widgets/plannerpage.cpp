#include "plannerpage.h"

#include "models/planmodel.h"
#include "widgets/palette.h"
#include "widgets/qcp.h"

#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

namespace poolscope::widgets {

namespace {

constexpr int kEvaluationDelayMs = 150; // scale-out searches wait until a slider stops

QSpinBox *spinBox(int min, int max, const QString &tip)
{
    auto *box = new QSpinBox;
    box->setRange(min, max);
    box->setToolTip(tip);
    box->setAccelerated(true);
    return box;
}

QLabel *heading(const QString &text)
{
    auto *l = new QLabel(text);
    l->setWordWrap(true); // never sets the page's minimum width
    return l;
}

QSlider *slider(const QString &tip)
{
    auto *s = new QSlider(Qt::Horizontal);
    s->setToolTip(tip);
    s->setFocusPolicy(Qt::StrongFocus);
    return s;
}

QString number(double v)
{
    return std::isfinite(v) ? QString::number(v, 'f', v < 10 ? 2 : 0) : QStringLiteral("∞");
}

} // namespace

PlannerPage::PlannerPage(QWidget *parent)
    : QWidget(parent), m_apps(new models::PlanModel(models::PlanModel::Rows::Apps, this)),
      m_poolers(new models::PlanModel(models::PlanModel::Rows::Poolers, this))
{
    build();
    m_apps->setPlan(&m_plan);
    m_poolers->setPlan(&m_plan);
    setPlan(plan::Plan{}, tr("a new plan: PostgreSQL's defaults, no applications yet"));
}

PlannerPage::~PlannerPage() = default;

void PlannerPage::build()
{
    auto *open = new QPushButton(tr("&Open plan…"));
    auto *save = new QPushButton(tr("&Save plan…"));
    auto *live = new QPushButton(tr("Plan from what is &connected"));
    live->setToolTip(
        tr("PostgreSQL's limits, the poolers' settings and pools, and the applications seen at their "
           "peak session counts, from the targets PoolScope samples now"));
    connect(open, &QPushButton::clicked, this, &PlannerPage::openDialog);
    connect(save, &QPushButton::clicked, this, &PlannerPage::saveDialog);
    connect(live, &QPushButton::clicked, this, &PlannerPage::planFromLiveRequested);
    m_originLabel = new QLabel;
    m_originLabel->setObjectName(QStringLiteral("plannerOrigin"));
    m_originLabel->setWordWrap(true);
    m_originLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(open);
    buttons->addWidget(save);
    buttons->addWidget(live);
    buttons->addWidget(m_originLabel, 1);

    m_verdict = new QLabel;
    m_verdict->setObjectName(QStringLiteral("plannerVerdict"));
    m_verdict->setWordWrap(true);
    m_verdict->setTextFormat(Qt::RichText);

    // PostgreSQL's limits.
    m_maxConnections = spinBox(1, 100000, tr("max_connections"));
    m_superuserReserved = spinBox(0, 100000, tr("superuser_reserved_connections"));
    m_reserved = spinBox(0, 100000, tr("reserved_connections (PostgreSQL 16+)"));
    m_otherSessions =
        spinBox(0, 100000, tr("Connections outside the plan: admin sessions, replication, monitoring"));
    auto *pgBox = new QGroupBox(tr("PostgreSQL"));
    auto *pgForm = new QGridLayout(pgBox);
    int cell = 0;
    for (auto [label, box] :
         {std::pair{tr("max_connections"), m_maxConnections},
          std::pair{tr("superuser reserved"), m_superuserReserved}, std::pair{tr("reserved"), m_reserved},
          std::pair{tr("other sessions"), m_otherSessions}}) {
        auto *l = new QLabel(label);
        l->setBuddy(box);
        pgForm->addWidget(l, cell / 2, (cell % 2) * 2);
        pgForm->addWidget(box, cell / 2, (cell % 2) * 2 + 1);
        ++cell;
        connect(box, &QSpinBox::valueChanged, this, [this] {
            if (m_updatingSliders)
                return;
            m_plan.postgres.maxConnections = m_maxConnections->value();
            m_plan.postgres.superuserReserved = m_superuserReserved->value();
            m_plan.postgres.reserved = m_reserved->value();
            m_plan.postgres.otherSessions = m_otherSessions->value();
            planChanged();
        });
    }
    pgForm->setColumnStretch(4, 1);

    auto table = [](models::PlanModel *model) {
        auto *view = new QTableView;
        view->setModel(model);
        view->setSelectionBehavior(QAbstractItemView::SelectRows);
        view->setSelectionMode(QAbstractItemView::SingleSelection);
        view->verticalHeader()->hide();
        view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        view->horizontalHeader()->setStretchLastSection(true);
        view->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                              QAbstractItemView::AnyKeyPressed);
        return view;
    };
    m_appTable = table(m_apps);
    m_poolerTable = table(m_poolers);
    connect(m_apps, &models::PlanModel::planEdited, this, &PlannerPage::planChanged);
    connect(m_poolers, &models::PlanModel::planEdited, this, &PlannerPage::planChanged);
    connect(m_appTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { selectApp(current.isValid() ? current.row() : -1); });

    // What-if sliders for the selected application.
    m_sliderTitle = heading(QString());
    m_appInstances = slider(tr("Instances of the selected application"));
    m_appPoolSize = slider(tr("Each process's pool size"));
    m_appRate = slider(tr("Requests per second, all instances together"));
    m_appInstancesValue = new QLabel;
    m_appPoolSizeValue = new QLabel;
    m_appRateValue = new QLabel;
    auto *sliders = new QFormLayout;
    auto row = [&](const QString &label, QSlider *s, QLabel *value) {
        auto *line = new QHBoxLayout;
        line->addWidget(s, 1);
        value->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("00000 req/s")));
        line->addWidget(value);
        auto *l = new QLabel(label);
        l->setBuddy(s);
        sliders->addRow(l, line);
    };
    row(tr("&Instances"), m_appInstances, m_appInstancesValue);
    row(tr("&Pool size"), m_appPoolSize, m_appPoolSizeValue);
    row(tr("&Traffic"), m_appRate, m_appRateValue);
    auto onSlider = [this] {
        if (m_updatingSliders || m_selectedApp < 0 || m_selectedApp >= m_plan.apps.size())
            return;
        plan::AppSpec &a = m_plan.apps[m_selectedApp];
        a.instances = m_appInstances->value();
        a.poolSize = m_appPoolSize->value();
        if (m_appRate->isEnabled())
            a.traffic->arrivalRatePerS = m_appRate->value();
        m_apps->refresh();
        planChanged();
    };
    for (QSlider *s : {m_appInstances, m_appPoolSize, m_appRate})
        connect(s, &QSlider::valueChanged, this, onSlider);

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(pgBox);
    leftLayout->addWidget(heading(tr("<b>Applications</b> (double-click a number to change it)")));
    leftLayout->addWidget(m_appTable, 2);
    leftLayout->addWidget(m_sliderTitle);
    leftLayout->addLayout(sliders);
    leftLayout->addWidget(heading(tr("<b>Poolers</b>")));
    leftLayout->addWidget(m_poolerTable, 1);

    // Results.
    m_chart = new QCustomPlot;
    m_chart->setObjectName(QStringLiteral("plannerChart"));
    m_chart->setMinimumHeight(160);
    m_chart->xAxis->setLabel(tr("worst case, % of the limit"));
    m_chart->yAxis->setTicks(true);
    m_chart->yAxis->grid()->setVisible(false);
    m_chart->plotLayout()->insertRow(0);
    m_chart->plotLayout()->addElement(
        0, 0, new QCPTextElement(m_chart, tr("Each limit and what may come against it")));
    m_queues = new QTableWidget(0, 6);
    m_queues->setHorizontalHeaderLabels(
        {tr("Application"), tr("Connections"), tr("Busy"), tr("Waits"), tr("Mean / p99 wait"), tr("Level")});
    m_queues->verticalHeader()->hide();
    m_queues->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_queues->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_queues->horizontalHeader()->setStretchLastSection(true);
    m_scaleOut = new QLabel;
    m_scaleOut->setWordWrap(true);
    m_scaleOut->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *right = new QWidget;
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_chart, 3);
    rightLayout->addWidget(heading(tr("<b>Waiting for a connection</b> (M/M/c, Erlang C; warning from 85 % "
                                      "utilisation, critical from 95 %)")));
    rightLayout->addWidget(m_queues, 1);
    rightLayout->addWidget(m_scaleOut);

    auto *split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 2); // the results get the larger share: they are what the page is for
    split->setStretchFactor(1, 3);
    split->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(m_verdict);
    layout->addWidget(split, 1);

    m_fullEvaluation = new QTimer(this);
    m_fullEvaluation->setSingleShot(true);
    m_fullEvaluation->setInterval(kEvaluationDelayMs);
    connect(m_fullEvaluation, &QTimer::timeout, this, &PlannerPage::evaluateNow);
}

void PlannerPage::setPlan(const plan::Plan &plan, const QString &origin)
{
    m_plan = plan;
    m_origin = origin;
    m_originLabel->setText(tr("Showing %1.").arg(origin));
    m_apps->setPlan(&m_plan);
    m_poolers->setPlan(&m_plan);
    m_updatingSliders = true;
    m_maxConnections->setValue(m_plan.postgres.maxConnections);
    m_superuserReserved->setValue(m_plan.postgres.superuserReserved);
    m_reserved->setValue(m_plan.postgres.reserved);
    m_otherSessions->setValue(m_plan.postgres.otherSessions);
    m_updatingSliders = false;
    selectApp(m_plan.apps.isEmpty() ? -1 : 0);
    evaluateNow();
}

void PlannerPage::selectApp(int row)
{
    m_selectedApp = row >= 0 && row < m_plan.apps.size() ? row : -1;
    if (m_selectedApp >= 0 && m_appTable->currentIndex().row() != m_selectedApp)
        m_appTable->setCurrentIndex(m_apps->index(m_selectedApp, models::PlanModel::AppInstances));
    updateSliders();
}

void PlannerPage::updateSliders()
{
    m_updatingSliders = true;
    const bool has = m_selectedApp >= 0;
    for (QSlider *s : {m_appInstances, m_appPoolSize, m_appRate})
        s->setEnabled(has);
    if (has) {
        const plan::AppSpec &a = m_plan.apps.at(m_selectedApp);
        m_sliderTitle->setText(tr("What if <b>%1</b> had…").arg(a.name.toHtmlEscaped()));
        // Ranges grow with the value so a slider never pins it at its end.
        m_appInstances->setRange(0, std::max(20, a.instances * 3));
        m_appInstances->setValue(a.instances);
        m_appPoolSize->setRange(1, std::max(50, a.poolSize * 3));
        m_appPoolSize->setValue(a.poolSize);
        m_appRate->setEnabled(a.traffic.has_value());
        const int rate = a.traffic ? int(std::lround(a.traffic->arrivalRatePerS)) : 0;
        m_appRate->setRange(0, std::max(100, rate * 3));
        m_appRate->setValue(rate);
        m_appInstancesValue->setText(QString::number(a.instances));
        m_appPoolSizeValue->setText(QString::number(a.poolSize));
        m_appRateValue->setText(a.traffic ? tr("%1 req/s").arg(rate) : tr("no traffic"));
    } else {
        m_sliderTitle->setText(tr("Select an application to try other numbers."));
    }
    m_updatingSliders = false;
}

void PlannerPage::planChanged()
{
    // Worst cases and limits are cheap: at once, as a slider moves. Scale-out and queueing when it stops.
    m_result = capacity::layers(m_plan);
    updateVerdict();
    updateChart();
    if (m_selectedApp >= 0) {
        const plan::AppSpec &a = m_plan.apps.at(m_selectedApp);
        m_appInstancesValue->setText(QString::number(a.instances));
        m_appPoolSizeValue->setText(QString::number(a.poolSize));
        if (a.traffic)
            m_appRateValue->setText(tr("%1 req/s").arg(std::lround(a.traffic->arrivalRatePerS)));
    }
    m_fullEvaluation->start();
}

void PlannerPage::evaluateNow()
{
    m_fullEvaluation->stop();
    m_result = capacity::evaluate(m_plan);
    updateVerdict();
    updateChart();
    updateQueues();
}

void PlannerPage::updateVerdict()
{
    const capacity::Result &r = m_result;
    const capacity::Layer *first = nullptr;
    for (const capacity::Layer &l : r.layers) {
        if (l.id == r.firstLimit)
            first = &l;
    }
    const QColor bad = palette::targetFailed(palette());
    const QColor good = palette::targetLive(palette());
    QString text;
    if (r.fits)
        text =
            tr("<b style=\"color:%1\">The plan fits.</b> PostgreSQL must accept up to %2 connections; %3 are "
               "usable (%4 left).")
                .arg(good.name())
                .arg(r.worstCaseBackends)
                .arg(r.usableBackends)
                .arg(r.usableBackends - r.worstCaseBackends);
    else
        text = tr("<b style=\"color:%1\">The plan does not fit.</b>").arg(bad.name());
    if (first && first->limit)
        text +=
            tr(" %1 <b>%2</b>: %3 %4 against %5 (%6).")
                .arg(r.fits ? tr("Tightest limit:") : tr("First limit to break:"), first->id.toHtmlEscaped())
                .arg(first->worstCase)
                .arg(first->what.toHtmlEscaped())
                .arg(*first->limit)
                .arg(first->detail.toHtmlEscaped());
    m_verdict->setText(text);
}

void PlannerPage::updateChart()
{
    m_chart->clearItems();
    // One row per limit: the worst case as a share of it; PostgreSQL's row stacked by contributor.
    QList<const capacity::Layer *> rows;
    for (const capacity::Layer &l : m_result.layers) {
        if (l.limit)
            rows.append(&l);
    }
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    double maxPct = 120;
    const QColor over = palette::targetFailed(palette());
    const QColor ok = palette::targetLive(palette());
    const QColor queues = palette::targetConnecting(palette());
    for (int i = 0; i < rows.size(); ++i) {
        const capacity::Layer &l = *rows.at(i);
        const double y = rows.size() - 1 - i; // first row on top
        ticker->addTick(y, l.id);
        const double limit = double(std::max<qint64>(1, *l.limit));
        const double pct = 100.0 * double(l.worstCase) / limit;
        maxPct = std::max(maxPct, std::min(pct * 1.05, 1000.0));
        // Stacked by who contributes (applications, poolers), alternating shades of the verdict's colour.
        const QColor base = l.fits() ? ok : (l.hard ? over : queues);
        QList<std::pair<QString, qint64>> parts = l.parts;
        if (parts.isEmpty())
            parts.append({l.id, l.worstCase});
        double x = 0;
        QStringList who;
        for (int k = 0; k < parts.size(); ++k) {
            const double w = 100.0 * double(parts.at(k).second) / limit;
            QColor fill = k % 2 ? base.lighter(125) : base;
            fill.setAlpha(170);
            auto *bar = new QCPItemRect(m_chart);
            bar->topLeft->setCoords(std::min(x, 1000.0), y + 0.3);
            bar->bottomRight->setCoords(std::min(x + w, 1000.0), y - 0.3);
            bar->setBrush(fill);
            bar->setPen(QPen(palette().color(QPalette::Base), 1));
            x += w;
            if (l.parts.size() > 1)
                who.append(QStringLiteral("%1 %2").arg(parts.at(k).first).arg(parts.at(k).second));
        }
        // The figures inside the row, from its left: never clipped by the plot's right edge.
        auto *label = new QCPItemText(m_chart);
        label->position->setCoords(0, y);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        label->setPadding(QMargins(6, 0, 0, 0));
        // Who contributes on a line of its own while the rows are tall enough: a narrow plot keeps it.
        const QString whoText = who.join(QStringLiteral(", "));
        label->setText(QStringLiteral("%1 / %2").arg(l.worstCase).arg(*l.limit) +
                       (l.fits() ? QString() : (l.hard ? tr("  breaks") : tr("  queues"))) +
                       (who.isEmpty() ? QString()
                                      : (rows.size() <= 6
                                             ? QString(QLatin1Char('\n') + whoText)
                                             : QString(QStringLiteral("  (") + whoText + QLatin1Char(')')))));
        label->setTextAlignment(Qt::AlignLeft);
        label->setColor(palette().color(QPalette::WindowText));
    }
    auto *limitLine = new QCPItemStraightLine(m_chart);
    limitLine->point1->setCoords(100, 0);
    limitLine->point2->setCoords(100, 1);
    QPen pen(palette().color(QPalette::WindowText));
    pen.setStyle(Qt::DashLine);
    limitLine->setPen(pen);
    m_chart->yAxis->setTicker(ticker);
    m_chart->yAxis->setRange(-0.6, std::max<qsizetype>(1, rows.size()) - 0.4);
    m_chart->xAxis->setRange(0, maxPct);
    m_chart->replot(QCustomPlot::rpQueuedReplot);
}

void PlannerPage::updateQueues()
{
    m_queues->setRowCount(int(m_result.queues.size()));
    for (int i = 0; i < m_result.queues.size(); ++i) {
        const capacity::QueueResult &q = m_result.queues.at(i);
        const auto ms = [](const std::optional<double> &v) {
            return v ? number(*v) + QStringLiteral(" ms") : QStringLiteral("—");
        };
        const QStringList cells{q.app,
                                QString::number(q.servers),
                                QString::number(q.queue.utilisation * 100, 'f', 1) + QStringLiteral(" %"),
                                QString::number(q.queue.pWait * 100, 'f', 1) + QStringLiteral(" %"),
                                q.queue.stable()
                                    ? ms(q.queue.meanWaitMs) + QStringLiteral(" / ") + ms(q.queue.p99WaitMs)
                                    : tr("grows without bound"),
                                capacity::levelName(q.level)};
        for (int c = 0; c < cells.size(); ++c) {
            auto *item = new QTableWidgetItem(cells.at(c));
            item->setToolTip(q.serversDetail);
            if (c == 5 && q.level != capacity::Level::Ok)
                item->setForeground(q.level == capacity::Level::Critical
                                        ? palette::targetFailed(palette())
                                        : palette::targetConnecting(palette()));
            m_queues->setItem(i, c, item);
        }
    }
    QStringList scale;
    for (const capacity::ScaleOut &s : m_result.scaleOut) {
        QString line =
            QStringLiteral("%1 <b>%2</b>: %3 now, ").arg(s.kind, s.name.toHtmlEscaped()).arg(s.instances);
        if (s.minInstances && *s.minInstances > 1)
            line += tr("fits from %1 on, ").arg(*s.minInstances);
        if (s.unbounded)
            line += tr("no upper limit");
        else if (s.maxInstances)
            line += tr("at most %1").arg(*s.maxInstances);
        else
            line += tr("none fits");
        scale.append(line);
    }
    m_scaleOut->setText(scale.isEmpty() ? QString()
                                        : tr("<b>Scale-out</b> (the largest count that still fits, the rest "
                                             "unchanged): ") +
                                              scale.join(QStringLiteral("; ")));
}

bool PlannerPage::openFile(const QString &path, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = tr("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    plan::ParseError pe;
    const auto p = plan::parsePlan(f.readAll(), &pe);
    if (!p) {
        *error = pe.text();
        return false;
    }
    setPlan(*p, QFileInfo(path).fileName());
    return true;
}

bool PlannerPage::saveFile(const QString &path, QString *error) const
{
    QSaveFile f(path);
    const QByteArray json = QJsonDocument(plan::toJson(m_plan)).toJson(QJsonDocument::Indented);
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size() || !f.commit()) {
        *error = tr("cannot write %1: %2").arg(path, f.errorString());
        return false;
    }
    return true;
}

void PlannerPage::openDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a capacity plan"), QString(),
                                                      tr("Plans (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!openFile(path, &error))
        QMessageBox::warning(this, tr("Capacity plan"),
                             tr("%1 is not a plan PoolScope can read:\n%2").arg(path, error));
}

void PlannerPage::saveDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save the capacity plan"),
                                                      QStringLiteral("plan.json"), tr("Plans (*.json)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!saveFile(path, &error))
        QMessageBox::warning(this, tr("Capacity plan"), error);
}

} // namespace poolscope::widgets
