#include "findingspanel.h"

#include "models/findingsmodel.h"
#include "ui_findingspanel.h"
#include "widgets/palette.h"
#include "widgets/tableexport.h"

#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSortFilterProxyModel>
#include <cmath>

namespace poolscope::widgets {

using findings::Finding;
using models::FindingsModel;

namespace {

QString valueText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("–");
    case QJsonValue::Bool:
        return v.toBool() ? FindingsPanel::tr("yes") : FindingsPanel::tr("no");
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (std::abs(d - std::round(d)) < 1e-9 && std::abs(d) < 1e15)
            return QString::number(qint64(std::llround(d)));
        return QString::number(d, 'f', std::abs(d) < 10 ? 2 : 1);
    }
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue &item : v.toArray())
            parts.append(item.isObject() ? QString::fromUtf8(
                                               QJsonDocument(item.toObject()).toJson(QJsonDocument::Compact))
                                         : valueText(item));
        return parts.join(QStringLiteral(", "));
    }
    case QJsonValue::Object:
        break;
    }
    return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
}

// The same finding in the same state: at most its figures (summary, advice, evidence) differ.
bool sameState(const Finding &a, const Finding &b)
{
    return a.id == b.id && a.status == b.status && a.severity == b.severity && a.action == b.action &&
           a.actionTaken == b.actionTaken && a.endedAtMs == b.endedAtMs;
}

bool sameDetail(const Finding &a, const Finding &b)
{
    return sameState(a, b) && a.summary == b.summary && a.advice == b.advice && a.evidence == b.evidence;
}

// A finding's figures that move at every sample are shown at most this often (its state changes at once).
constexpr int FiguresEveryMs = 1000;

} // namespace

FindingsPanel::FindingsPanel(QWidget *parent)
    : QWidget(parent), m_ui(std::make_unique<Ui::FindingsPanel>()), m_model(new FindingsModel(this)),
      m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(FindingsModel::RankRole);
    m_proxy->setDynamicSortFilter(true);
    m_proxy->sort(FindingsModel::SeverityColumn, Qt::AscendingOrder);
    QTableView *table = m_ui->table;
    table->setObjectName(QStringLiteral("findingsTable"));
    table->setModel(m_proxy);
    installTableExport(table, tr("findings"));
    table->verticalHeader()->hide();
    table->setTabKeyNavigation(false); // Tab leaves the list for the buttons; arrows move within it
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setIconSize(QSize(10, 10));
    QHeaderView *header = table->horizontalHeader();
    header->setStretchLastSection(true);
    header->setSectionResizeMode(QHeaderView::Interactive);
    const int em = table->fontMetrics().horizontalAdvance(QLatin1Char('m'));
    header->resizeSection(FindingsModel::SeverityColumn, 6 * em);
    header->resizeSection(FindingsModel::RuleColumn, 14 * em);
    header->resizeSection(FindingsModel::TargetColumn, 9 * em);
    header->resizeSection(FindingsModel::SinceColumn, 11 * em);
    header->resizeSection(FindingsModel::StatusColumn, 10 * em);
    // The list a little wider than the detail (its Status and summary columns must show at 1280 px).
    m_ui->splitter->setStretchFactor(0, 5);
    m_ui->splitter->setStretchFactor(1, 4);
    m_ui->splitter->setSizes({700, 560});
    m_ui->detailSplitter->setStretchFactor(0, 3);
    m_ui->detailSplitter->setStretchFactor(1, 2);
    m_ui->detailSplitter->setSizes({330, 230});
    m_ui->evidenceTable->verticalHeader()->hide();
    m_ui->evidenceTable->horizontalHeader()->setStretchLastSection(true);
    m_ui->evidenceTable->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 4);
    // Enter presses them once Tab got there (Space is the window's pause key).
    m_ui->evidenceButton->setAutoDefault(true);
    m_ui->actionButton->setAutoDefault(true);
    m_ui->actionButton->setObjectName(QStringLiteral("findingActionButton"));
    m_ui->evidenceButton->setObjectName(QStringLiteral("findingEvidenceButton"));

    connect(table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        updateDetail(true);
        Q_EMIT currentFindingChanged(currentFindingId());
    });
    connect(table, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        if (const quint64 id = m_proxy->data(index, FindingsModel::FindingIdRole).value<quint64>())
            Q_EMIT evidenceRequested(id);
    });
    connect(m_ui->evidenceButton, &QPushButton::clicked, this, [this] {
        if (const quint64 id = currentFindingId())
            Q_EMIT evidenceRequested(id);
    });
    connect(m_ui->actionButton, &QPushButton::clicked, this, [this] {
        if (const quint64 id = currentFindingId())
            Q_EMIT actionRequested(id);
    });
    m_ui->planButton->setObjectName(QStringLiteral("findingPlanButton"));
    connect(m_ui->planButton, &QPushButton::clicked, this, [this] {
        if (const quint64 id = currentFindingId())
            Q_EMIT planRequested(id);
    });
    m_figuresTimer.setSingleShot(true);
    connect(&m_figuresTimer, &QTimer::timeout, this, [this] { updateDetail(); });
    updateDetail(true);
}

FindingsPanel::~FindingsPanel() = default;

QTableView *FindingsPanel::tableView() const
{
    return m_ui->table;
}

QPushButton *FindingsPanel::actionButton() const
{
    return m_ui->actionButton;
}

QPushButton *FindingsPanel::evidenceButton() const
{
    return m_ui->evidenceButton;
}

QPushButton *FindingsPanel::planButton() const
{
    return m_ui->planButton;
}

QTableWidget *FindingsPanel::evidenceTable() const
{
    return m_ui->evidenceTable;
}

QString FindingsPanel::summaryText() const
{
    return m_summary;
}

QString FindingsPanel::adviceText() const
{
    return m_ui->adviceView->toPlainText();
}

QString FindingsPanel::headerText() const
{
    return m_ui->headerLabel->text();
}

void FindingsPanel::setFindings(const QList<Finding> &list, qint64 nowMs, double actionWatchS)
{
    m_model->setFindings(list, nowMs, actionWatchS);
    // The worst finding is shown until the user picks one.
    if (!m_ui->table->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_ui->table->setCurrentIndex(m_proxy->index(0, 0));
    updateHeader();
    updateDetail();
}

void FindingsPanel::setNow(qint64 nowMs)
{
    m_model->setNow(nowMs);
}

void FindingsPanel::setActionsEnabled(bool enabled, const QString &reason)
{
    m_actionsEnabled = enabled;
    m_actionsReason = reason;
    updateActionButton();
}

void FindingsPanel::setActionState(quint64 findingId, bool running, const QString &note)
{
    m_runningId = running ? findingId : (m_runningId == findingId ? 0 : m_runningId);
    if (!note.isEmpty() || running) {
        m_noteId = findingId;
        m_note = note;
    }
    updateActionButton();
}

quint64 FindingsPanel::currentFindingId() const
{
    const QModelIndex index = m_ui->table->currentIndex();
    return index.isValid() ? m_proxy->data(index, FindingsModel::FindingIdRole).value<quint64>() : 0;
}

bool FindingsPanel::selectFinding(quint64 findingId)
{
    const int row = m_model->rowOf(findingId);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    m_ui->table->setCurrentIndex(index);
    m_ui->table->scrollTo(index);
    return true;
}

void FindingsPanel::focusList()
{
    m_ui->table->setFocus(Qt::ShortcutFocusReason);
    if (!m_ui->table->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_ui->table->setCurrentIndex(m_proxy->index(0, 0));
}

const Finding *FindingsPanel::current() const
{
    const QModelIndex index = m_ui->table->currentIndex();
    return index.isValid() ? m_model->findingAt(m_proxy->mapToSource(index).row()) : nullptr;
}

void FindingsPanel::updateHeader()
{
    int open = 0;
    int ended = 0;
    QList<int> bySeverity(3, 0);
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const Finding *f = m_model->findingAt(row);
        if (f->isOpen()) {
            ++open;
            ++bySeverity[int(f->severity)];
        } else {
            ++ended;
        }
    }
    QString text;
    if (open == 0) {
        text = tr("No open findings.");
    } else {
        QStringList parts;
        for (findings::Severity s :
             {findings::Severity::Critical, findings::Severity::Warning, findings::Severity::Info}) {
            if (bySeverity[int(s)] > 0)
                parts.append(QStringLiteral("<span style=\"color:%1\">%2</span>")
                                 .arg(palette::severity(s, palette()).name(),
                                      FindingsModel::severityCount(s, bySeverity[int(s)])));
        }
        text = (open == 1 ? tr("<b>1 open finding</b>: ") : tr("<b>%1 open findings</b>: ").arg(open)) +
               parts.join(QStringLiteral(", "));
    }
    if (ended > 0)
        text += tr(" · %1 ended recently (greyed)").arg(ended);
    m_ui->headerLabel->setText(text);
}

void FindingsPanel::updateDetail(bool force)
{
    const Finding *f = current();
    if (!force && ((!f && !m_shown) || (f && m_shown && sameDetail(*f, *m_shown)))) {
        updateActionButton();
        return;
    }
    if (!force && f && m_shown && sameState(*f, *m_shown) && m_figuresShown.isValid() &&
        m_figuresShown.elapsed() < FiguresEveryMs) {
        // Only figures moved (ages, counts at 10 Hz): laid out again once a second, not at every sample.
        if (!m_figuresTimer.isActive())
            m_figuresTimer.start(int(FiguresEveryMs - m_figuresShown.elapsed()));
        updateActionButton();
        return;
    }
    m_figuresTimer.stop();
    m_figuresShown.start();
    m_shown = f ? std::optional<Finding>(*f) : std::nullopt;
    m_ui->evidenceButton->setEnabled(f != nullptr);
    if (!f) {
        m_summary.clear();
        m_ui->evidenceTable->setRowCount(0);
        setAdvice(tr("<p>Select a finding to see what it is, the evidence and what to do.</p>"));
        updateActionButton();
        return;
    }
    // One pane for the sentence and the advice: it gets the dock's whole height.
    const QString color = palette::severity(f->severity, palette()).name();
    m_summary = QStringLiteral("%1 %2 on %3: %4")
                    .arg(findings::severityName(f->severity).toUpper(), f->rule,
                         f->targets.join(QStringLiteral(" → ")), f->summary);
    QString html =
        QStringLiteral("<p><b style=\"color:%1\">%2</b> <b>%3</b> on %4: %5</p>")
            .arg(color, findings::severityName(f->severity).toUpper(), f->rule.toHtmlEscaped(),
                 f->targets.join(QStringLiteral(" → ")).toHtmlEscaped(), f->summary.toHtmlEscaped());
    html += tr("<b>What to do</b><ul style=\"margin-left:-20px\">");
    for (const QString &a : f->advice)
        html += QStringLiteral("<li>") + a.toHtmlEscaped() + QStringLiteral("</li>");
    html += QStringLiteral("</ul>");
    setAdvice(html);
    QTableWidget *evidence = m_ui->evidenceTable;
    // In the rule's order: the figures that matter most come first. The same keys as shown (a finding's
    // figures moving at every sample): only the values that changed are set, nothing is laid out again.
    const auto &items = f->evidence.items();
    bool sameKeys = evidence->rowCount() == int(items.size());
    for (int i = 0; sameKeys && i < items.size(); ++i)
        sameKeys = evidence->item(i, 0) && evidence->item(i, 0)->text() == QLatin1String(items.at(i).first);
    if (!sameKeys) {
        evidence->setRowCount(0);
        evidence->setRowCount(int(items.size()));
    }
    for (int i = 0; i < items.size(); ++i) {
        const QString text = valueText(items.at(i).second);
        if (sameKeys) {
            QTableWidgetItem *value = evidence->item(i, 1);
            if (value->text() != text) {
                value->setText(text);
                value->setToolTip(text);
            }
            continue;
        }
        auto *key = new QTableWidgetItem(QString::fromLatin1(items.at(i).first));
        auto *value = new QTableWidgetItem(text);
        value->setToolTip(text);
        evidence->setItem(i, 0, key);
        evidence->setItem(i, 1, value);
    }
    if (!sameKeys)
        evidence->resizeColumnToContents(0);
    updateActionButton();
}

void FindingsPanel::setAdvice(const QString &html)
{
    // setHtml lays the whole document out again: not for the same text at every sample.
    if (html == m_adviceHtml)
        return;
    m_adviceHtml = html;
    m_ui->adviceView->setHtml(html);
}

void FindingsPanel::updateActionButton()
{
    const Finding *f = current();
    QPushButton *button = m_ui->actionButton;
    QString note;
    bool enabled = false;
    if (!f || f->action.isNone()) {
        button->setText(tr("No one-click action"));
        note = f ? tr("The fix is in the advice.") : QString();
    } else {
        button->setText(f->action.label);
        if (!f->isOpen())
            note = tr("Ended: nothing to act on.");
        else if (!m_actionsEnabled)
            note = tr("Disabled: %1.").arg(m_actionsReason);
        else if (m_runningId != 0)
            note = tr("An action is running…");
        else
            enabled = true;
    }
    if (f && f->id == m_noteId && !m_note.isEmpty() && note.isEmpty())
        note = m_note;
    else if (f && f->actionAtMs && note.isEmpty())
        note = tr("Action at %1: %2").arg(FindingsModel::clockTime(*f->actionAtMs), f->actionTaken);
    button->setEnabled(enabled);
    button->setToolTip(enabled ? tr("Asks first, naming what will be done; audited") : note);
    m_ui->actionNote->setText(note);
    // A limit was reached: the planner shows which one breaks first and what fits.
    m_ui->planButton->setVisible(f && findings::opensPlanner(f->rule));
}

} // namespace poolscope::widgets
