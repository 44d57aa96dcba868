#include "pgpoolpage.h"

#include "models/pgpoolmodel.h"
#include "widgets/palette.h"
#include "widgets/tableexport.h"
#include "widgets/timechart.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>

namespace poolscope::widgets {

using models::PgpoolModel;

namespace {

constexpr int SeriesCapacity = 3600; // an hour of 1 s samples, like the target's own series

QWidget *titled(const QString &title, QWidget *content, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto *label = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), box);
    layout->addWidget(label);
    layout->addWidget(content, 1);
    return box;
}

// A translucent red over the table's base: the row stands out and its text stays readable on light and dark
// themes alike.
QColor alertColor(const QPalette &p)
{
    QColor c = palette::targetFailed(p);
    c.setAlpha(90);
    return c;
}

} // namespace

PgpoolPage::PgpoolPage(QWidget *parent)
    : QWidget(parent), m_series(SeriesCapacity), m_nodes(new PgpoolModel(PgpoolModel::Table::Nodes, this)),
      m_processes(new PgpoolModel(PgpoolModel::Table::Processes, this)),
      m_pools(new PgpoolModel(PgpoolModel::Table::Pools, this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);

    m_summary = new QLabel(tr("Waiting for the first SHOW POOL_NODES…"), this);
    m_summary->setObjectName(QStringLiteral("pgpoolSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    m_nodesView = makeTable(m_nodes, QStringLiteral("pgpoolNodes"));
    m_nodesView->setMaximumHeight(m_nodesView->verticalHeader()->defaultSectionSize() * 5 +
                                  m_nodesView->horizontalHeader()->sizeHint().height() + 4);

    m_chart = new TimeChart(this);
    m_chart->setObjectName(QStringLiteral("pgpoolChildrenChart"));
    m_chart->setTitle(tr("Children busy"));
    m_chart->setValueLabel(tr("children"));
    m_chart->setIntegerValues(true);
    m_chart->setSeriesSet(&m_series);
    m_chart->addSeries(
        busySeries(), tr("busy children"),
        [](const QPalette &p) { return palette::sessionState(SessionState::Active, p); }, 2.0);
    m_chart->setLimitSeries(limitSeries(), tr("num_init_children"), &palette::limitLine);
    m_chart->setMinimumHeight(180);

    m_backlogNote = new QLabel(
        tr("Each child serves one client at a time. Clients beyond num_init_children wait in the kernel's "
           "listen backlog, where no SHOW command sees them (unless reserved_connections ≥ 1, which refuses "
           "them with “Sorry, too many clients already”): a flat line at the dashed limit means clients are "
           "queueing invisibly."),
        this);
    m_backlogNote->setObjectName(QStringLiteral("pgpoolBacklogNote"));
    m_backlogNote->setWordWrap(true);
    QFont small = m_backlogNote->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_backlogNote->setFont(small);

    auto *chartBox = new QWidget(this);
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->setSpacing(2);
    chartLayout->addWidget(m_chart, 1);
    chartLayout->addWidget(m_backlogNote);

    m_processesView = makeTable(m_processes, QStringLiteral("pgpoolProcesses"));
    m_poolsView = makeTable(m_pools, QStringLiteral("pgpoolPools"));
    auto *tables = new QSplitter(Qt::Horizontal, this);
    tables->addWidget(titled(tr("Children (SHOW POOL_PROCESSES)"), m_processesView, tables));
    tables->addWidget(titled(tr("Backend connections (SHOW POOL_POOLS)"), m_poolsView, tables));
    tables->setChildrenCollapsible(false);

    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->setObjectName(QStringLiteral("pgpoolSplitter"));
    vertical->addWidget(titled(tr("Backend nodes (SHOW POOL_NODES)"), m_nodesView, vertical));
    vertical->addWidget(chartBox);
    vertical->addWidget(tables);
    vertical->setStretchFactor(0, 1);
    vertical->setStretchFactor(1, 3);
    vertical->setStretchFactor(2, 3);
    vertical->setChildrenCollapsible(false);
    layout->addWidget(vertical, 1);

    m_nodes->setAlertColor(alertColor(palette()));
}

PgpoolPage::~PgpoolPage() = default;

QTableView *PgpoolPage::makeTable(PgpoolModel *model, const QString &objectName)
{
    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(model);
    proxy->setSortRole(PgpoolModel::SortRole);
    proxy->setDynamicSortFilter(true);
    auto *view = new QTableView(this);
    view->setObjectName(objectName);
    view->setModel(proxy);
    view->setSortingEnabled(true);
    view->sortByColumn(0, Qt::AscendingOrder);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->setVisible(false);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 6);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    // Column widths from the header texts; the values are short (pids, names, states).
    for (int c = 0; c < model->columnCount(); ++c) {
        const QString header = model->headerData(c, Qt::Horizontal).toString();
        view->horizontalHeader()->resizeSection(
            c, std::max(70, view->fontMetrics().horizontalAdvance(header) + 24));
    }
    // "pgpoolNodes" -> "pgpool-nodes"
    installTableExport(view, QStringLiteral("pgpool-") + objectName.mid(6).toLower());
    return view;
}

void PgpoolPage::showSnapshot(const TargetSnapshot &snapshot)
{
    const double t = double(snapshot.sampledAtMs) / 1000.0;
    if (t >= m_series.lastTime()) {
        m_series.noteTime(t);
        if (snapshot.ok && snapshot.pgpool) {
            const PgpoolSample &p = *snapshot.pgpool;
            m_series[busySeries()].append(t, p.busyChildren());
            if (p.numInitChildren)
                m_series[limitSeries()].append(t, double(*p.numInitChildren));
            else
                m_series[limitSeries()].appendGap(t);
        } else {
            for (const QString &name : m_series.names())
                m_series[name].appendGap(t);
        }
        m_chart->markDirty();
    }
    if (!snapshot.ok || !snapshot.pgpool)
        return; // the page banner says what failed; the tables keep the last answer
    const PgpoolSample &p = *snapshot.pgpool;
    m_nodes->setSample(p);
    m_processes->setSample(p);
    m_pools->setSample(p);
    // Columns fit the first rows once (host:port, "Wait for connection"); later the user's widths stay.
    for (QTableView *view : {m_nodesView, m_processesView, m_poolsView}) {
        if (view->model()->rowCount() > 0 && !view->property("fitted").toBool()) {
            view->resizeColumnsToContents();
            view->setProperty("fitted", true);
        }
    }
    updateSummary(p);
}

void PgpoolPage::updateSummary(const PgpoolSample &p)
{
    QStringList parts;
    parts.append(
        QStringLiteral("<b>%1</b>")
            .arg(p.version.isEmpty() ? tr("Pgpool-II") : tr("Pgpool-II %1").arg(p.version.toHtmlEscaped())));
    const int busy = p.busyChildren();
    if (p.numInitChildren) {
        QString text = tr("%1 of %2 children busy").arg(busy).arg(*p.numInitChildren);
        if (const std::optional<double> u = p.childUtilisation())
            text += QStringLiteral(" (%1 %)").arg(std::lround(*u * 100));
        if (busy >= *p.numInitChildren)
            text = QStringLiteral("<b style=\"color:%1\">%2</b>")
                       .arg(palette::targetFailed(palette()).name(),
                            QString(text + tr(": new clients queue in the listen backlog")).toHtmlEscaped());
        else
            text = text.toHtmlEscaped();
        parts.append(text);
    } else {
        parts.append(tr("%1 children busy (num_init_children unknown)").arg(busy).toHtmlEscaped());
    }
    if (p.maxPool)
        parts.append(tr("max_pool %1").arg(*p.maxPool));
    int up = 0;
    QStringList down;
    for (const PgpoolNode &n : p.nodes) {
        if (n.status == QLatin1String("up") || n.status == QLatin1String("waiting"))
            ++up;
        else if (n.status != QLatin1String("unused"))
            down.append(tr("node %1 %2").arg(n.nodeId).arg(n.status));
    }
    parts.append(tr("%1 of %2 nodes up").arg(up).arg(p.nodes.size()));
    if (!down.isEmpty())
        parts.append(QStringLiteral("<b style=\"color:%1\">%2</b>")
                         .arg(palette::targetFailed(palette()).name(),
                              down.join(QStringLiteral(", ")).toHtmlEscaped()));
    m_summary->setText(parts.join(QStringLiteral(" · ")));
}

void PgpoolPage::setPaused(bool paused)
{
    m_chart->setPaused(paused);
}

void PgpoolPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        m_nodes->setAlertColor(alertColor(palette()));
    QWidget::changeEvent(event);
}

} // namespace poolscope::widgets
