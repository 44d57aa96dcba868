#include "sessionspage.h"

#include "core/blocking.h"
#include "core/sessionanalysis.h"
#include "core/targetconfig.h"
#include "models/sessionsfiltermodel.h"
#include "models/sessionsmodel.h"
#include "widgets/chartparts.h"
#include "widgets/palette.h"
#include "widgets/tableexport.h"
#include "widgets/transactioncharts.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMetaEnum>
#include <QPainter>
#include <QPixmap>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <utility>

namespace poolscope::widgets {

using models::SessionsFilterModel;
using models::SessionsModel;

namespace {

QString esc(const QString &text)
{
    return text.toHtmlEscaped();
}

// Short state names for the buttons: the aborted state's full name is long, and its colour says the rest.
QString stateButtonText(SessionState state)
{
    switch (state) {
    case SessionState::IdleInTransaction:
        return SessionsPage::tr("idle in transaction");
    case SessionState::IdleInTransactionAborted:
        return SessionsPage::tr("aborted");
    default:
        return sessionStateName(state);
    }
}

QIcon swatch(const QColor &colour)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setPen(colour.darker(130));
    p.setBrush(colour);
    p.drawRect(0, 0, 11, 11);
    return QIcon(pixmap);
}

} // namespace

SessionsPage::SessionsPage(QWidget *parent) : QWidget(parent)
{
    m_model = new SessionsModel(this);
    m_model->setStateColors([this](SessionState s) { return palette::sessionState(s, palette()); });
    m_filter = new SessionsFilterModel(this);
    m_filter->setSessionsModel(m_model);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);
    layout->addWidget(createActionBar());
    layout->addWidget(createFilterBar());

    createTable();
    m_detail = new QTextBrowser(this);
    m_detail->setObjectName(QStringLiteral("sessionDetail"));
    m_detail->setOpenLinks(false);
    m_detail->setMinimumWidth(260);
    connect(m_detail, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        // Links in the blocking tree: "pid:123" selects that session.
        if (url.scheme() == QLatin1String("pid"))
            selectPid(url.path().toLongLong());
    });

    m_horizontal = new QSplitter(Qt::Horizontal, this);
    m_horizontal->setObjectName(QStringLiteral("sessionsSplitter"));
    m_horizontal->addWidget(m_table);
    m_horizontal->addWidget(m_detail);
    m_horizontal->setStretchFactor(0, 3);
    m_horizontal->setStretchFactor(1, 1);
    m_horizontal->setSizes({1000, 320});
    m_horizontal->setChildrenCollapsible(false);

    m_charts = new TransactionCharts(this);
    m_vertical = new QSplitter(Qt::Vertical, this);
    m_vertical->setObjectName(QStringLiteral("sessionsVerticalSplitter"));
    m_vertical->addWidget(m_horizontal);
    m_vertical->addWidget(m_charts);
    m_vertical->setStretchFactor(0, 3);
    m_vertical->setStretchFactor(1, 2);
    m_vertical->setSizes({600, 280});
    layout->addWidget(m_vertical, 1);

    loadColumns();
    updateActions();
    updateCountLabel();
    updateDetail();
}

SessionsPage::~SessionsPage() = default;

QWidget *SessionsPage::createActionBar()
{
    auto *bar = new QWidget(this);
    auto *row = new QHBoxLayout(bar);
    row->setContentsMargins(0, 0, 0, 0);

    m_cancelAction = new QAction(tr("Cancel query"), this);
    m_cancelAction->setObjectName(QStringLiteral("cancelAction"));
    m_cancelAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    m_cancelAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_cancelAction, &QAction::triggered, this, [this] {
        if (const QList<qint64> pids = pidsToActOn(); !pids.isEmpty())
            Q_EMIT cancelRequested(pids);
    });
    addAction(m_cancelAction);

    m_terminateAction = new QAction(tr("Terminate"), this);
    m_terminateAction->setObjectName(QStringLiteral("terminateAction"));
    m_terminateAction->setShortcut(QKeySequence(Qt::Key_Delete));
    connect(m_terminateAction, &QAction::triggered, this, [this] {
        if (const QList<qint64> pids = pidsToActOn(); !pids.isEmpty())
            Q_EMIT terminateRequested(pids);
    });

    m_bulkAction = new QAction(tr("Bulk terminate…"), this);
    m_bulkAction->setObjectName(QStringLiteral("bulkTerminateAction"));
    m_bulkAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Delete));
    m_bulkAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_bulkAction, &QAction::triggered, this, [this] {
        if (m_bulkAction->isEnabled())
            Q_EMIT bulkTerminateRequested();
    });
    addAction(m_bulkAction);

    for (QAction *action : {m_cancelAction, m_terminateAction, m_bulkAction}) {
        auto *button = new QToolButton(bar);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        row->addWidget(button);
    }

    m_readOnlyLabel = new QLabel(tr("<b>Read-only</b>"), bar);
    m_readOnlyLabel->setObjectName(QStringLiteral("readOnlyLabel"));
    m_readOnlyLabel->setVisible(false);
    row->addSpacing(8);
    row->addWidget(m_readOnlyLabel);
    m_staleLabel = new QLabel(bar);
    m_staleLabel->setObjectName(QStringLiteral("staleSelectionLabel"));
    m_staleLabel->setVisible(false);
    row->addWidget(m_staleLabel, 1);
    row->addStretch(1);

    m_countLabel = new QLabel(bar);
    m_countLabel->setObjectName(QStringLiteral("sessionCount"));
    row->addWidget(m_countLabel);
    return bar;
}

QWidget *SessionsPage::createFilterBar()
{
    auto *bar = new QWidget(this);
    auto *rows = new QVBoxLayout(bar);
    rows->setContentsMargins(0, 0, 0, 0);
    rows->setSpacing(4);

    auto *first = new QHBoxLayout;
    m_filterEdit = new QLineEdit(bar);
    m_filterEdit->setObjectName(QStringLiteral("sessionFilter"));
    m_filterEdit->setPlaceholderText(
        tr("Filter by query, application, user, client, pooler client or pid (Ctrl+F)"));
    m_filterEdit->setClearButtonEnabled(true);
    connect(m_filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_filter->setText(text);
        updateCountLabel();
    });
    first->addWidget(m_filterEdit, 1);

    for (SessionState state : AllSessionStates) {
        auto *button = new QToolButton(bar);
        button->setObjectName(QStringLiteral("stateButton_") + QString::number(int(state)));
        button->setText(stateButtonText(state));
        // Show-only: a click shows only this state (again: every state), Ctrl+click adds or removes it.
        button->setCheckable(true);
        button->setChecked(false);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        const QString what = state == SessionState::Other
                                 ? tr("sessions in other states (fastpath function call, disabled) and "
                                      "sessions hidden by privileges")
                                 : tr("sessions that are %1").arg(sessionStateName(state));
        button->setToolTip(tr("Show only %1; Ctrl+click adds it to the states shown; click again for every "
                              "state")
                               .arg(what));
        connect(button, &QToolButton::clicked, this, [this, state] {
            const bool add = QGuiApplication::keyboardModifiers().testFlag(Qt::ControlModifier);
            std::bitset<SessionStateCount> only = m_onlyStates;
            if (add)
                only.flip(size_t(state));
            else if (only.count() == 1 && only.test(size_t(state)))
                only.reset(); // the one shown: back to every state
            else
                only = std::bitset<SessionStateCount>().set(size_t(state));
            setOnlyStates(only);
        });
        m_stateButtons[size_t(state)] = button;
        first->addWidget(button);
    }
    updateStateButtonIcons();
    rows->addLayout(first);

    auto *second = new QHBoxLayout;
    const std::array<QString, GroupDimensionCount> names = {
        QStringLiteral("applicationFilter"), QStringLiteral("userFilter"), QStringLiteral("databaseFilter"),
        QStringLiteral("clientFilter")};
    const std::array<QString, GroupDimensionCount> anyText = {tr("any application"), tr("any user"),
                                                              tr("any database"), tr("any client")};
    for (GroupDimension d : AllGroupDimensions) {
        auto *combo = new QComboBox(bar);
        combo->setObjectName(names[size_t(d)]);
        combo->addItem(anyText[size_t(d)]);
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(14);
        connect(combo, &QComboBox::currentIndexChanged, this, [this, d](int index) {
            const QStringList &values = m_comboValues[size_t(d)];
            m_filter->setGroupFilter(d, index > 0 && index <= values.size()
                                            ? std::optional<QString>(values[index - 1])
                                            : std::nullopt);
            updateCountLabel();
        });
        m_groupCombos[size_t(d)] = combo;
        second->addWidget(combo, 1);
    }

    auto *ageLabel = new QLabel(tr("State age ≥"), bar);
    m_minAge = new QSpinBox(bar);
    m_minAge->setObjectName(QStringLiteral("minimumAge"));
    m_minAge->setRange(0, 7 * 86400);
    m_minAge->setSuffix(tr(" s"));
    m_minAge->setSpecialValueText(tr("any"));
    m_minAge->setAccelerated(true);
    m_minAge->setToolTip(tr("Only sessions that have been in their state at least this long"));
    ageLabel->setBuddy(m_minAge);
    connect(m_minAge, &QSpinBox::valueChanged, this, [this](int seconds) {
        m_filter->setMinimumStateAge(seconds);
        updateCountLabel();
    });
    second->addWidget(ageLabel);
    second->addWidget(m_minAge);

    auto *clearButton = new QToolButton(bar);
    clearButton->setObjectName(QStringLiteral("clearFilters"));
    clearButton->setText(tr("Clear filters"));
    connect(clearButton, &QToolButton::clicked, this, &SessionsPage::clearFilters);
    second->addWidget(clearButton);
    rows->addLayout(second);
    return bar;
}

void SessionsPage::createTable()
{
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("sessionsTable"));
    m_table->setModel(m_filter);
    m_table->setSortingEnabled(true);
    // The oldest transactions first: what holds the pool and the xmin horizon.
    m_table->sortByColumn(SessionsModel::XactAge, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle); // "poolscope-load-web" keeps its start and its end
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    QHeaderView *header = m_table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setSectionsMovable(true);
    header->setHighlightSections(false);
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    const QFontMetrics fm = m_table->fontMetrics();
    // Tight defaults, so the query column still gets room next to the detail pane; the user can widen them.
    const auto width = [&fm](const QString &sample) {
        return fm.horizontalAdvance(sample) + 16;
    };
    header->resizeSection(SessionsModel::Pid, width(QStringLiteral("PID 99999")));
    header->resizeSection(SessionsModel::State, width(QStringLiteral("idle in transaction")) + 20);
    header->resizeSection(SessionsModel::Application, width(QStringLiteral("application")));
    header->resizeSection(SessionsModel::User, width(QStringLiteral("username")));
    header->resizeSection(SessionsModel::Database, width(QStringLiteral("database")));
    header->resizeSection(SessionsModel::Client, width(QStringLiteral("10.100.100.10:50000")));
    header->resizeSection(SessionsModel::BackendType, width(QStringLiteral("client backend")));
    for (int c : {SessionsModel::StateAge, SessionsModel::XactAge, SessionsModel::QueryAge})
        header->resizeSection(c, width(QStringLiteral("Xact age ▼")));
    header->resizeSection(SessionsModel::WaitEvent, width(QStringLiteral("Lock: transactionid")));
    header->resizeSection(SessionsModel::BlockedBy, width(QStringLiteral("Blocked by")));
    header->resizeSection(SessionsModel::HorizonAge, width(QStringLiteral("Horizon ▼")));
    header->resizeSection(SessionsModel::Pool, width(QStringLiteral("app/app")) + 10);
    header->resizeSection(SessionsModel::PoolerClient,
                          width(QStringLiteral("127.0.0.1:50000 billing-worker")));
    // Behind a pooler the Client column is the pooler; who really holds the backend comes right after it.
    header->moveSection(header->visualIndex(SessionsModel::Pool),
                        header->visualIndex(SessionsModel::Client) + 1);
    header->moveSection(header->visualIndex(SessionsModel::PoolerClient),
                        header->visualIndex(SessionsModel::Pool) + 1);
    // The ages right after the state: the table is sorted by transaction age, which must stay in view on a
    // 1280 px screen rather than past the text columns.
    header->moveSection(header->visualIndex(SessionsModel::StateAge),
                        header->visualIndex(SessionsModel::State) + 1);
    header->moveSection(header->visualIndex(SessionsModel::XactAge),
                        header->visualIndex(SessionsModel::StateAge) + 1);

    m_terminateAction->setShortcutContext(Qt::WidgetShortcut); // Delete in the filter box edits text
    m_table->addAction(m_terminateAction);

    connect(header, &QHeaderView::customContextMenuRequested, this, &SessionsPage::showHeaderMenu);
    connect(m_table, &QTableView::customContextMenuRequested, this, &SessionsPage::showTableMenu);
    installTableExport(m_table, tr("sessions"));
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this](const QItemSelection &selected, const QItemSelection &deselected) {
                const auto pidsOf = [](const QItemSelection &s) {
                    QList<qint64> pids;
                    for (const QModelIndex &i : s.indexes())
                        if (i.column() == 0)
                            pids.append(i.data(SessionsModel::PidRole).toLongLong());
                    return pids;
                };
                m_guard.deselected(pidsOf(deselected));
                if (!m_merging && !selected.isEmpty()) {
                    m_guard.selected(pidsOf(selected), m_sample, QDateTime::currentMSecsSinceEpoch());
                    m_staleLabel->hide();
                }
                updateActions();
            });
    // What can make a text column want to be wider: other rows in view, or their text changed.
    const auto textColumnsDirty = [this] {
        m_textColumnsDirty = true;
    };
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(m_filter, signal, this, textColumnsDirty);
    connect(m_filter, &QAbstractItemModel::modelReset, this, textColumnsDirty);
    connect(m_filter, &QAbstractItemModel::layoutChanged, this, textColumnsDirty);
    connect(m_table->verticalScrollBar(), &QScrollBar::valueChanged, this, textColumnsDirty);
    connect(header, &QHeaderView::sectionCountChanged, this, textColumnsDirty);
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                for (int c : {SessionsModel::Application, SessionsModel::PoolerClient}) {
                    if (topLeft.column() <= c && c <= bottomRight.column())
                        m_textColumnsDirty = true;
                }
            });
    connect(header, &QHeaderView::sectionResized, this, [this](int column) {
        if (!m_fitting && !m_userSizedColumns.contains(column))
            m_userSizedColumns.append(column);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                if (!m_merging)
                    showDetailFor(current);
            });
    connect(m_table, &QTableView::clicked, this, &SessionsPage::showDetailFor);
    // Filtering can hide the selected rows: the actions follow what is still selected.
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &SessionsPage::updateActions);
}

QString SessionsPage::hiddenColumnsKey()
{
    return QStringLiteral("sessions/hiddenColumns");
}

void SessionsPage::loadColumns()
{
    const QMetaEnum columns = QMetaEnum::fromType<SessionsModel::Column>();
    const std::unique_ptr<QSettings> settings = openSettings();
    // Hidden by default: the backend type (the table lists client backends, and rows hidden by privileges,
    // only) and the query age (the state age says the same for active sessions), so the query has room.
    const QStringList defaults{QString::fromLatin1(columns.valueToKey(SessionsModel::BackendType)),
                               QString::fromLatin1(columns.valueToKey(SessionsModel::QueryAge))};
    const QStringList hidden = settings->value(hiddenColumnsKey(), defaults).toStringList();
    for (int c = 0; c < SessionsModel::ColumnCount; ++c)
        m_table->setColumnHidden(c, hidden.contains(QString::fromLatin1(columns.valueToKey(c))));
}

void SessionsPage::saveColumns() const
{
    const QMetaEnum columns = QMetaEnum::fromType<SessionsModel::Column>();
    QStringList hidden;
    for (int c = 0; c < SessionsModel::ColumnCount; ++c) {
        if (m_table->isColumnHidden(c))
            hidden.append(QString::fromLatin1(columns.valueToKey(c)));
    }
    const std::unique_ptr<QSettings> settings = openSettings();
    settings->setValue(hiddenColumnsKey(), hidden);
}

void SessionsPage::setColumnShown(int column, bool shown)
{
    if (!shown) {
        int visible = 0;
        for (int c = 0; c < SessionsModel::ColumnCount; ++c)
            visible += m_table->isColumnHidden(c) ? 0 : 1;
        if (visible <= 1)
            return; // keep one column: a table without columns cannot get its header menu back
    }
    m_table->setColumnHidden(column, !shown);
    if (shown && m_table->horizontalHeader()->sectionSize(column) < 30)
        m_table->horizontalHeader()->resizeSection(column, 100);
    m_textColumnsDirty = true;
    saveColumns();
}

bool SessionsPage::isColumnShown(int column) const
{
    return !m_table->isColumnHidden(column);
}

void SessionsPage::showHeaderMenu(const QPoint &pos)
{
    QMenu menu(this);
    for (int c = 0; c < SessionsModel::ColumnCount; ++c) {
        QAction *action = menu.addAction(m_model->headerData(c, Qt::Horizontal).toString());
        action->setCheckable(true);
        action->setChecked(!m_table->isColumnHidden(c));
        connect(action, &QAction::toggled, this, [this, c](bool on) { setColumnShown(c, on); });
    }
    menu.exec(m_table->horizontalHeader()->viewport()->mapToGlobal(pos));
}

void SessionsPage::showTableMenu(const QPoint &pos)
{
    const QList<qint64> pids = selectedPids();
    QMenu menu(this);
    if (!pids.isEmpty()) {
        menu.addAction(m_cancelAction);
        menu.addAction(m_terminateAction);
        menu.addSeparator();
        QStringList pidTexts;
        for (qint64 pid : pids)
            pidTexts.append(QString::number(pid));
        menu.addAction(tr("Copy pid"), this,
                       [pidTexts] { QApplication::clipboard()->setText(pidTexts.join(QLatin1Char(' '))); });
        const QModelIndex current = m_table->currentIndex();
        if (current.isValid()) {
            const QString query = current.data(SessionsModel::FullQueryRole).toString();
            menu.addAction(tr("Copy query"), this, [query] { QApplication::clipboard()->setText(query); });
        }
    }
    addTableExport(menu, m_table); // the whole table as shown, selection or not
    menu.exec(m_table->viewport()->mapToGlobal(pos));
}

QList<qint64> SessionsPage::pidsToActOn()
{
    const QList<qint64> pids = selectedPids();
    const auto why = m_guard.staleReason(pids, m_sample, QDateTime::currentMSecsSinceEpoch());
    if (pids.isEmpty() || !why)
        return pids;
    m_table->clearSelection();
    m_staleLabel->setText(tr("<b>Nothing done</b>: %1. Select the sessions again.").arg(esc(*why)));
    m_staleLabel->setToolTip(m_staleLabel->text());
    m_staleLabel->show();
    return {};
}

void SessionsPage::fitTextColumns()
{
    constexpr int kMaxWidth = 280;
    QHeaderView *header = m_table->horizontalHeader();
    for (int c : {SessionsModel::Application, SessionsModel::PoolerClient}) {
        if (m_userSizedColumns.contains(c) || header->isSectionHidden(c))
            continue;
        const QAbstractItemView *view = m_table; // sizeHintForColumn is public there: the rows in view
        const int want =
            std::min(kMaxWidth, std::max(view->sizeHintForColumn(c), header->sectionSizeHint(c)));
        if (want <= header->sectionSize(c))
            continue; // grows only: a column does not jump back and forth with the rows in view
        m_fitting = true;
        header->resizeSection(c, want);
        m_fitting = false;
    }
}

QList<qint64> SessionsPage::selectedPids() const
{
    QModelIndexList rows = m_table->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QList<qint64> pids;
    for (const QModelIndex &index : rows)
        pids.append(index.data(SessionsModel::PidRole).toLongLong());
    return pids;
}

bool SessionsPage::selectPid(qint64 pid)
{
    return selectPids({pid}) == 1;
}

int SessionsPage::selectPids(const QList<qint64> &pids)
{
    if (m_pending)
        applySample();
    const auto rowsOf = [this, &pids] {
        QList<int> rows;
        for (int row = 0; row < m_filter->rowCount(); ++row) {
            if (pids.contains(m_filter->pidAt(row)))
                rows.append(row);
        }
        return rows;
    };
    QList<int> rows = rowsOf();
    if (rows.size() < pids.size() && m_filter->isFiltering()) {
        clearFilters(); // evidence asked for must not hide behind a filter
        rows = rowsOf();
    }
    QItemSelectionModel *selection = m_table->selectionModel();
    if (rows.isEmpty())
        return 0;
    QItemSelection wanted;
    for (int row : std::as_const(rows))
        wanted.select(m_filter->index(row, 0), m_filter->index(row, m_filter->columnCount() - 1));
    const QModelIndex first = m_filter->index(rows.first(), 0);
    selection->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
    selection->select(wanted, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(first);
    showDetailFor(first);
    return int(rows.size());
}

void SessionsPage::focusFilter()
{
    m_filterEdit->setFocus(Qt::ShortcutFocusReason);
    m_filterEdit->selectAll();
}

void SessionsPage::setOnlyStates(std::bitset<SessionStateCount> only)
{
    m_onlyStates = only;
    for (SessionState state : AllSessionStates) {
        const bool chosen = only.test(size_t(state));
        m_stateButtons[size_t(state)]->setChecked(chosen);
        m_filter->setStateShown(state, only.none() || chosen);
    }
    updateCountLabel();
}

void SessionsPage::clearFilters()
{
    m_filterEdit->clear();
    setOnlyStates({});
    for (QComboBox *c : m_groupCombos)
        c->setCurrentIndex(0);
    m_minAge->setValue(0);
}

void SessionsPage::setActionsEnabled(bool enabled, const QString &reason)
{
    m_actionsAllowed = enabled;
    m_readOnlyReason = reason;
    m_readOnlyLabel->setVisible(!enabled);
    m_readOnlyLabel->setToolTip(reason);
    m_readOnlyLabel->setText(reason.isEmpty() ? tr("<b>Read-only</b>")
                                              : tr("<b>Read-only</b>: %1").arg(esc(reason)));
    updateActions();
}

void SessionsPage::setPoolerChainProvider(PoolerChainProvider provider)
{
    m_poolerChain = std::move(provider);
    updateDetail();
}

void SessionsPage::setPoolerChain(const std::optional<PoolerChain> &chain)
{
    m_merging = true; // the filter may drop or admit rows: the detail pane keeps its session
    m_model->setPoolerChain(chain);
    m_merging = false;
    updateCountLabel();
    updateActions();
    updateDetail();
}

void SessionsPage::updateActions()
{
    const QList<qint64> pids = selectedPids();
    bool allActive = !pids.isEmpty();
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    for (const QModelIndex &index : rows) {
        if (SessionState(index.data(SessionsModel::StateRole).toInt()) != SessionState::Active)
            allActive = false;
    }
    if (!m_actionsAllowed) {
        const QString reason = m_readOnlyReason.isEmpty() ? tr("Read-only mode") : m_readOnlyReason;
        for (QAction *action : {m_cancelAction, m_terminateAction, m_bulkAction}) {
            action->setEnabled(false);
            action->setToolTip(reason);
        }
        return;
    }
    m_cancelAction->setEnabled(allActive);
    m_cancelAction->setToolTip(
        allActive ? tr("Cancel the running query of the selected sessions (Ctrl+.)")
                  : tr("Cancel is offered when every selected session is active: an idle session has no "
                       "query to cancel"));
    m_terminateAction->setEnabled(!pids.isEmpty());
    m_terminateAction->setToolTip(pids.isEmpty() ? tr("Select sessions to terminate")
                                                 : tr("End the selected sessions (Delete)"));
    m_bulkAction->setEnabled(true);
    m_bulkAction->setToolTip(tr("Terminate every session idle in transaction longer than a threshold"));
}

void SessionsPage::updateStateButtonIcons()
{
    for (SessionState state : AllSessionStates) {
        if (QToolButton *button = m_stateButtons[size_t(state)])
            button->setIcon(swatch(palette::sessionState(state, palette())));
    }
}

void SessionsPage::refreshGroupCombos()
{
    static const QList<Session> none;
    const QList<Session> &sessions = m_sample ? m_sample->sessions : none;
    for (GroupDimension d : AllGroupDimensions) {
        QComboBox *combo = m_groupCombos[size_t(d)];
        // The sampler grouped the sessions already (shared with every view of the sample); a sample made
        // without its summary is grouped here.
        const bool summarised = m_sample && (!m_sample->groupsBy(d).isEmpty() || sessions.isEmpty());
        QList<SessionGroup> groups =
            summarised ? m_sample->groupsBy(d) : analysis::groupSessions(sessions, d);
        std::sort(groups.begin(), groups.end(),
                  [](const SessionGroup &a, const SessionGroup &b) { return a.name < b.name; });
        QStringList values;
        QList<int> counts;
        for (const SessionGroup &g : groups) {
            values.append(g.name);
            counts.append(g.sessions());
        }
        // The chosen value stays listed (with 0 sessions) when its sessions are gone, so the filter the user
        // set is still visible and can be cleared.
        const std::optional<QString> chosen = m_filter->groupFilter(d);
        if (chosen && !values.contains(*chosen)) {
            const auto at = std::lower_bound(values.begin(), values.end(), *chosen);
            counts.insert(at - values.begin(), 0);
            values.insert(at, *chosen);
        }
        const QSignalBlocker blocker(combo);
        if (values != m_comboValues[size_t(d)]) {
            while (combo->count() > 1)
                combo->removeItem(1);
            for (const QString &v : values)
                combo->addItem(groupLabel(d, v));
            m_comboValues[size_t(d)] = values;
            combo->setCurrentIndex(chosen ? int(values.indexOf(*chosen)) + 1 : 0);
        }
        for (qsizetype i = 0; i < values.size(); ++i) {
            const QString text = tr("%1 (%2)").arg(groupLabel(d, values[i]), QString::number(counts[i]));
            if (combo->itemText(int(i) + 1) != text)
                combo->setItemText(int(i) + 1, text);
        }
    }
}

void SessionsPage::updateCountLabel()
{
    const int total = m_model->rowCount();
    const int shown = m_filter->rowCount();
    QString text =
        shown == total ? tr("%1 sessions").arg(total) : tr("%1 of %2 sessions").arg(shown).arg(total);
    if (m_sample && m_sample->counts.hidden > 0)
        text += tr(", %1 hidden by privileges").arg(m_sample->counts.hidden);
    if (m_stale) {
        const QColor warn = palette::sessionState(SessionState::IdleInTransactionAborted, palette());
        text += QStringLiteral(" <span style=\"color:%1\">%2</span>")
                    .arg(warn.name(), esc(tr("— last sample failed, showing the previous one")));
        m_countLabel->setToolTip(m_staleReason);
    } else {
        m_countLabel->setToolTip(QString());
    }
    m_countLabel->setText(text);
}

void SessionsPage::updateSample(const TargetSnapshot &snapshot)
{
    m_charts->updateSample(snapshot);
    if (!snapshot.ok || !snapshot.postgres) {
        // Keep the last sessions on screen (the page banner says what went wrong), marked stale.
        m_stale = true;
        m_staleReason = snapshot.error.message;
        updateCountLabel();
        return;
    }
    m_stale = false;
    m_sample = *snapshot.postgres;
    if (!isVisible() && window()->isVisible()) {
        m_pending = true; // behind the Charts tab: merged when shown
        return;
    }
    applySample();
}

void SessionsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_pending)
        applySample();
}

void SessionsPage::applySample()
{
    m_pending = false;
    if (!m_sample)
        return;
    m_merging = true;
    m_model->merge(m_sample->sessions, m_sample->serverNow);
    m_merging = false;
    refreshGroupCombos();
    updateCountLabel();
    updateActions();
    updateDetail();
    if (std::exchange(m_textColumnsDirty, false))
        fitTextColumns();
}

void SessionsPage::clear()
{
    m_pending = false;
    m_merging = true;
    m_model->clear();
    m_merging = false;
    m_sample.reset();
    m_stale = false;
    m_detailKey.reset();
    m_charts->clear();
    refreshGroupCombos();
    updateCountLabel();
    updateActions();
    updateDetail();
}

void SessionsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        updateStateButtonIcons();
        m_model->setStateColors([this](SessionState s) { return palette::sessionState(s, palette()); });
        updateDetail();
    }
    QWidget::changeEvent(event);
}

} // namespace poolscope::widgets
