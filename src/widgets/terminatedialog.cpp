#include "terminatedialog.h"

#include "ui_terminatedialog.h"

#include "core/readonly.h"
#include "core/taskpool.h"
#include "db/terminator.h"
#include "widgets/nowrap.h"

#include <QHeaderView>
#include <QMessageBox>
#include <QPushButton>

namespace poolscope::widgets {

namespace {

struct PreviewResult
{
    std::optional<terminate::Plan> plan;
    DbError error;
};

enum Column
{
    ColPid,
    ColUser,
    ColApplication,
    ColDatabase,
    ColClient,
    ColState,
    ColAge,
    ColResult,
    ColumnCount
};

// "1 session", "2 sessions" (no translations are loaded, so tr()'s %n plural forms would show "(s)").
QString sessions(qsizetype n)
{
    return n == 1 ? QStringLiteral("1 session") : QString::number(n) + QStringLiteral(" sessions");
}

QString ageText(double s)
{
    return QString::number(s, 'f', s < 100 ? 1 : 0) + QStringLiteral(" s");
}

} // namespace

TerminateDialog::TerminateDialog(const QString &conninfo, const QString &targetName, QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::TerminateDialog>()), m_targetName(targetName)
{
    m_ui->setupUi(this);
    db::Terminator::Options options;
    options.source = QStringLiteral("gui");
    m_terminator = std::make_shared<db::Terminator>(conninfo, options);
    setWindowTitle(tr("Terminate sessions on %1").arg(targetName));
    m_ui->targetLabel->setText(
        tr("Target: <b>%1</b> (%2)").arg(targetName.toHtmlEscaped(), m_terminator->target().toHtmlEscaped()));

    m_ui->previewTable->setColumnCount(ColumnCount);
    m_ui->previewTable->setHorizontalHeaderLabels({tr("pid"), tr("user"), tr("application"), tr("database"),
                                                   tr("client"), tr("state"), tr("age"), tr("result")});
    m_ui->previewTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_ui->previewTable->horizontalHeader()->setStretchLastSection(true);
    QFont bold = m_ui->readOnlyLabel->font();
    bold.setBold(true);
    m_ui->readOnlyLabel->setFont(bold);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(250);
    connect(&m_debounce, &QTimer::timeout, this, &TerminateDialog::startPreview);
    m_refresh.setInterval(2000);
    connect(&m_refresh, &QTimer::timeout, this, &TerminateDialog::startPreview);

    for (QCheckBox *box :
         {m_ui->idleInTransactionBox, m_ui->abortedBox, m_ui->activeBox, m_ui->allowSuperuserBox})
        connect(box, &QCheckBox::toggled, this, &TerminateDialog::onFieldsChanged);
    connect(m_ui->escalateBox, &QCheckBox::toggled, this, &TerminateDialog::updateButtons);
    connect(m_ui->olderThanSpin, &QSpinBox::valueChanged, this, &TerminateDialog::onFieldsChanged);
    for (QLineEdit *edit : {m_ui->applicationEdit, m_ui->userEdit, m_ui->databaseEdit, m_ui->clientEdit})
        connect(edit, &QLineEdit::textChanged, this, &TerminateDialog::onFieldsChanged);
    connect(m_ui->terminateButton, &QPushButton::clicked, this, &TerminateDialog::terminateNow);
    connect(m_ui->closeButton, &QPushButton::clicked, this, &QDialog::reject);
    connect(readonly::Notifier::instance(), &readonly::Notifier::changed, this,
            &TerminateDialog::updateButtons);

    updateButtons();
    startPreview();
    m_refresh.start();
}

TerminateDialog::~TerminateDialog() = default;

void TerminateDialog::setRefreshIntervalMs(int ms)
{
    if (ms <= 0) {
        m_refresh.stop();
        return;
    }
    m_refresh.setInterval(ms);
    if (!m_done)
        m_refresh.start();
}

void TerminateDialog::setPredicate(const terminate::Predicate &p)
{
    const QSignalBlocker blockers[] = {QSignalBlocker(m_ui->idleInTransactionBox),
                                       QSignalBlocker(m_ui->abortedBox),
                                       QSignalBlocker(m_ui->activeBox),
                                       QSignalBlocker(m_ui->allowSuperuserBox),
                                       QSignalBlocker(m_ui->olderThanSpin),
                                       QSignalBlocker(m_ui->applicationEdit),
                                       QSignalBlocker(m_ui->userEdit),
                                       QSignalBlocker(m_ui->databaseEdit),
                                       QSignalBlocker(m_ui->clientEdit)};
    m_ui->idleInTransactionBox->setChecked(p.states.contains(QStringLiteral("idle in transaction")));
    m_ui->abortedBox->setChecked(p.states.contains(QStringLiteral("idle in transaction (aborted)")));
    m_ui->activeBox->setChecked(p.states.contains(QStringLiteral("active")));
    m_ui->olderThanSpin->setValue(int(p.olderThanS));
    m_ui->applicationEdit->setText(p.application);
    m_ui->userEdit->setText(p.user);
    m_ui->databaseEdit->setText(p.database);
    m_ui->clientEdit->setText(p.client);
    m_ui->allowSuperuserBox->setChecked(p.allowSuperuser);
    onFieldsChanged();
}

terminate::Predicate TerminateDialog::predicate() const
{
    terminate::Predicate p;
    p.states.clear();
    if (m_ui->idleInTransactionBox->isChecked())
        p.states.append(QStringLiteral("idle in transaction"));
    if (m_ui->abortedBox->isChecked())
        p.states.append(QStringLiteral("idle in transaction (aborted)"));
    if (m_ui->activeBox->isChecked())
        p.states.append(QStringLiteral("active"));
    p.olderThanS = m_ui->olderThanSpin->value();
    p.application = m_ui->applicationEdit->text().trimmed();
    p.user = m_ui->userEdit->text().trimmed();
    p.database = m_ui->databaseEdit->text().trimmed();
    p.client = m_ui->clientEdit->text().trimmed();
    p.allowSuperuser = m_ui->allowSuperuserBox->isChecked();
    return p;
}

bool TerminateDialog::escalate() const
{
    return m_ui->escalateBox->isChecked();
}

QString TerminateDialog::confirmationText() const
{
    const int n = m_plan ? int(m_plan->hits.size()) : 0;
    const QString target = m_plan ? m_plan->target : m_terminator->target();
    const QString where =
        m_targetName == target ? target : m_targetName + QStringLiteral(" (") + target + u')';
    return tr("Terminate %1 on %2?").arg(sessions(n), where);
}

void TerminateDialog::onFieldsChanged()
{
    if (m_done)
        return;
    ++m_generation;
    m_debounce.start();
}

void TerminateDialog::refreshPreview()
{
    startPreview();
}

void TerminateDialog::startPreview()
{
    if (m_done)
        return;
    if (m_busy) {
        m_pending = true;
        return;
    }
    const terminate::Predicate p = predicate();
    QString invalid;
    if (p.states.isEmpty())
        invalid = tr("Choose at least one state.");
    else if (!p.isValid(&invalid))
        invalid = tr("Client: %1").arg(invalid);
    if (!invalid.isEmpty()) {
        m_plan.reset();
        m_ui->previewTable->setRowCount(0);
        showError(invalid);
        return;
    }
    m_busy = true;
    m_pending = false;
    updateButtons();
    const quint64 generation = m_generation;
    std::shared_ptr<db::Terminator> terminator = m_terminator;
    auto preview = [terminator, p] {
        PreviewResult r;
        r.plan = terminator->preview(p, &r.error);
        return r;
    };
    TaskPool::run(this, preview, [this, generation](const PreviewResult &r) {
        m_busy = false;
        if (m_done)
            return;
        if (r.plan) {
            m_plan = r.plan;
            showPlan();
        } else {
            m_plan.reset();
            m_ui->previewTable->setRowCount(0);
            showError(r.error.message);
        }
        // Fields edited while this read ran: read again under the new fields.
        if (m_pending || generation != m_generation)
            startPreview();
        else
            Q_EMIT previewUpdated();
        updateButtons();
    });
}

void TerminateDialog::fillRow(int row, const terminate::Candidate &c, double age, const QString &result,
                              const QString &reason)
{
    auto set = [&](int col, const QString &text) {
        auto *item = new QTableWidgetItem(text);
        if (col == ColPid || col == ColAge)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_ui->previewTable->setItem(row, col, item);
    };
    set(ColPid, QString::number(c.pid));
    set(ColUser, c.usename);
    set(ColApplication, c.applicationName);
    set(ColDatabase, c.datname);
    set(ColClient, c.clientAddr.isEmpty() ? tr("local") : c.clientAddr);
    set(ColState, c.state.value_or(tr("(hidden)")));
    set(ColAge, ageText(age));
    set(ColResult, reason.isEmpty() ? result : result + QStringLiteral(": ") + reason);
    m_ui->previewTable->item(row, ColResult)->setToolTip(reason);
    if (!c.query.isEmpty())
        m_ui->previewTable->item(row, ColState)->setToolTip(c.query);
}

void TerminateDialog::showPlan()
{
    const terminate::Plan &plan = *m_plan;
    // Keep the selected pid selected across refreshes.
    qint64 selectedPid = -1;
    if (const auto *item = m_ui->previewTable->item(m_ui->previewTable->currentRow(), ColPid))
        selectedPid = item->text().toLongLong();
    const QList<terminate::PidResult> guarded = terminate::guardResults(plan);
    m_ui->previewTable->setRowCount(int(plan.hits.size() + guarded.size()));
    int row = 0;
    const bool active = escalate();
    for (const terminate::PlanEntry &e : plan.hits) {
        const QString note = active && e.row.state == QLatin1String("active")
                                 ? tr("cancel first; terminate if the query does not end")
                                 : QString();
        fillRow(row++, e.row, e.stateAgeS, terminate::outcomeName(terminate::Outcome::WouldTerminate), note);
    }
    for (const terminate::PidResult &r : guarded)
        fillRow(row++, r.row, r.stateAgeS, tr("skipped"), r.reason);
    for (int r = 0; r < m_ui->previewTable->rowCount(); ++r) {
        if (m_ui->previewTable->item(r, ColPid)->text().toLongLong() == selectedPid)
            m_ui->previewTable->setCurrentCell(r, ColPid);
    }
    QString text = plan.hits.isEmpty()
                       ? tr("Preview: no session matches; nothing would be terminated.")
                       : tr("Preview: %1 would be terminated.").arg(sessions(plan.hits.size()));
    if (const QString skipped = plan.excludedSummary(); !skipped.isEmpty())
        text += QLatin1Char(' ') + skipped + QLatin1Char('.');
    m_ui->previewLabel->setText(text);
}

void TerminateDialog::showReport()
{
    const terminate::Report &report = *m_report;
    m_ui->previewTable->setRowCount(int(report.results.size()));
    for (int i = 0; i < report.results.size(); ++i) {
        const terminate::PidResult &r = report.results.at(i);
        fillRow(i, r.row, r.stateAgeS, terminate::outcomeName(r.outcome), r.reason);
    }
    QString text = tr("Done: %1.").arg(report.summary());
    if (!report.connected && report.refused.isEmpty())
        text = tr("Failed: %1").arg(report.error.message);
    m_ui->previewLabel->setText(text);
}

void TerminateDialog::showError(const QString &message)
{
    m_ui->previewLabel->setText(tr("Preview unavailable: %1").arg(message));
}

void TerminateDialog::setFieldsEnabled(bool enabled)
{
    m_ui->predicateBox->setEnabled(enabled);
}

void TerminateDialog::updateButtons()
{
    const bool readOnly = readonly::isReadOnly();
    m_ui->readOnlyLabel->setVisible(readOnly);
    const int n = m_plan && !m_done ? int(m_plan->hits.size()) : 0;
    m_ui->terminateButton->setText(n > 0 ? tr("&Terminate %1…").arg(sessions(n)) : tr("&Terminate…"));
    m_ui->terminateButton->setEnabled(!readOnly && !m_busy && !m_done && n > 0);
    m_ui->terminateButton->setToolTip(readOnly ? tr("Read-only mode: actions are disabled") : QString());
    if (m_done)
        m_ui->closeButton->setDefault(true);
}

void TerminateDialog::terminateNow()
{
    if (m_busy || m_done || !m_plan || m_plan->hits.isEmpty())
        return;
    // Exactly what the user sees now; refreshes wait until the question is answered.
    const terminate::Plan plan = *m_plan;
    const bool escalating = escalate();
    m_refresh.stop();
    m_debounce.stop();
    if (readonly::isReadOnly()) {
        // The button is disabled in read-only mode; a programmatic call still goes through the terminator,
        // which refuses and audits.
    } else {
        QStringList lines;
        for (const terminate::PlanEntry &e : plan.hits)
            lines.append(QStringLiteral("%1  %2  %3  %4  %5")
                             .arg(e.row.pid)
                             .arg(e.row.usename, e.row.applicationName, e.row.state.value_or(QString()),
                                  ageText(e.stateAgeS)));
        QMessageBox box(QMessageBox::Warning, tr("Terminate sessions"),
                        keepValuesTogether(confirmationText()), QMessageBox::Yes | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("terminateConfirmation"));
        QString info = tr("Their open transactions are rolled back and the clients see "
                          "\"terminating connection due to administrator command\".");
        if (escalating)
            info += QLatin1Char(' ') + tr("Active queries are cancelled first.");
        box.setInformativeText(info);
        box.setDetailedText(lines.join(QLatin1Char('\n')));
        box.setDefaultButton(QMessageBox::Cancel);
        box.button(QMessageBox::Yes)->setText(tr("&Terminate %1").arg(plan.hits.size()));
        if (box.exec() != QMessageBox::Yes) {
            if (!m_done)
                m_refresh.start();
            startPreview();
            return;
        }
    }
    m_busy = true;
    m_done = true;
    setFieldsEnabled(false);
    updateButtons();
    m_ui->previewLabel->setText(tr("Terminating %1…").arg(sessions(plan.hits.size())));
    std::shared_ptr<db::Terminator> terminator = m_terminator;
    db::Terminator::RunOptions ro;
    ro.cancelActiveFirst = escalating;
    TaskPool::run(
        this, [terminator, plan, ro] { return terminator->execute(plan, ro); },
        [this](const terminate::Report &report) {
            m_report = report;
            m_busy = false;
            showReport();
            updateButtons();
            Q_EMIT finished(*m_report);
        });
}

} // namespace poolscope::widgets
