#include "auditview.h"

#include "core/auditentry.h"
#include "core/auditlog.h"
#include "widgets/tableexport.h"

#include <QFile>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

namespace poolscope::widgets {

namespace {
constexpr int kPollMs = 1000;
constexpr qint64 kTailBytes = 4 * 1024 * 1024; // a first read of a large file starts near its end
} // namespace

AuditView::AuditView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *bar = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("auditFilter"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setPlaceholderText(tr("Filter: pid, action, target, result…"));
    bar->addWidget(m_filter, 1);
    m_count = new QLabel(this);
    m_count->setObjectName(QStringLiteral("auditCount"));
    bar->addWidget(m_count);
    layout->addLayout(bar);

    m_model = new QStandardItemModel(0, ColumnCount, this);
    m_model->setHorizontalHeaderLabels(
        {tr("Time"), tr("Action"), tr("Target"), tr("Sessions"), tr("Result"), tr("Source")});
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("auditTable"));
    m_table->setModel(m_proxy);
    installTableExport(m_table, tr("audit"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(Result, QHeaderView::Stretch);
    m_table->setMinimumHeight(60);
    layout->addWidget(m_table, 1);
    setFocusProxy(m_filter);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterFixedString(text);
        updateCount();
    });

    m_poll = new QTimer(this);
    m_poll->setInterval(kPollMs);
    connect(m_poll, &QTimer::timeout, this, &AuditView::reload);
    updateCount();
}

void AuditView::reload()
{
    const QString path = audit::filePath();
    QFile file(path);
    if (path != m_path || !file.exists() || file.size() < m_offset) {
        m_model->removeRows(0, m_model->rowCount());
        m_path = path;
        m_offset = 0;
    }
    if (!file.exists() || file.size() == m_offset || !file.open(QIODevice::ReadOnly)) {
        updateCount();
        return;
    }
    if (m_offset == 0 && file.size() > kTailBytes) {
        file.seek(file.size() - kTailBytes);
        file.readLine(); // a partial line
    } else {
        file.seek(m_offset);
    }
    QList<QList<QStandardItem *>> rows;
    while (!file.atEnd()) {
        const qint64 lineStart = file.pos();
        const QByteArray line = file.readLine();
        if (!line.endsWith('\n')) { // still being written: read again next time
            file.seek(lineStart);
            break;
        }
        const std::optional<audit::Entry> e = audit::parseLine(line);
        if (!e)
            continue;
        const QString tip = QString::fromUtf8(QJsonDocument(e->raw).toJson(QJsonDocument::Indented));
        QList<QStandardItem *> row;
        const QDateTime local = e->time.toLocalTime();
        for (const QString &text : {local.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")), e->action,
                                    e->target, e->sessions, e->result, e->source}) {
            auto *item = new QStandardItem(text);
            item->setToolTip(tip);
            row.append(item);
        }
        row[Time]->setData(e->time, Qt::UserRole);
        rows.append(row);
    }
    m_offset = file.pos();
    for (auto &row : rows) // newest first
        m_model->insertRow(0, row);
    if (m_model->rowCount() > kMaxRows)
        m_model->removeRows(kMaxRows, m_model->rowCount() - kMaxRows);
    if (!rows.isEmpty()) {
        for (int c : {Time, Action, Target, Sessions, Source})
            m_table->resizeColumnToContents(c);
        m_table->setColumnWidth(Target, std::min(m_table->columnWidth(Target), 320));
        m_table->setColumnWidth(Sessions, std::min(m_table->columnWidth(Sessions), 260));
    }
    updateCount();
}

int AuditView::rowCount() const
{
    return m_proxy->rowCount();
}

QString AuditView::text(int row, Column column) const
{
    return m_proxy->index(row, column).data().toString();
}

void AuditView::updateCount()
{
    const int all = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    const QString entries = all == 1 ? tr("1 entry") : tr("%1 entries").arg(all);
    m_count->setText(shown == all ? entries : tr("%1 of %2").arg(shown).arg(entries));
    m_count->setToolTip(m_path.isEmpty() ? audit::filePath() : m_path);
}

void AuditView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    reload();
    m_poll->start();
}

void AuditView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_poll->stop();
}

} // namespace poolscope::widgets
