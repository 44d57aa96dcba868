#include "reportdialog.h"

#include "record/recordingreader.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QUrl>
#include <QVBoxLayout>

namespace poolscope::report {

namespace {

const char *const kDirKey = "export/lastDirectory";
const QString kTimeFormat = QStringLiteral("yyyy-MM-dd HH:mm:ss");

enum Choice
{
    Offered,
    Whole,
    Last30,
    LastHour,
    Custom,
};

} // namespace

ReportDialog::ReportDialog(const widgets::ReportRequest &request, QWidget *parent)
    : QDialog(parent), m_request(request)
{
    setWindowTitle(tr("Incident report"));
    setMinimumWidth(fontMetrics().averageCharWidth() * 80); // room for a path
    {
        record::RecordingReader reader;
        if (reader.open(request.recording, &m_error)) {
            std::tie(m_spanStartMs, m_spanEndMs) = reader.timeSpan();
            if (m_spanEndMs == 0)
                m_error = tr("%1: the recording holds no sample yet").arg(request.recording);
        }
    }
    auto *layout = new QVBoxLayout(this);
    auto *intro =
        new QLabel(tr("A self-contained HTML file for a post-mortem: the charts of the window, the "
                      "findings with their evidence and advice, the actions taken and their outcome. "
                      "Nothing in it is loaded from anywhere."),
                   this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_span = new QLabel(this);
    m_span->setObjectName(QStringLiteral("recordingSpan"));
    m_span->setWordWrap(true);
    m_span->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_span);

    auto *form = new QFormLayout;
    m_choice = new QComboBox(this);
    m_choice->addItem(request.windowLabel.isEmpty() ? tr("as offered") : request.windowLabel);
    m_choice->addItem(tr("the whole recording"));
    m_choice->addItem(tr("the last 30 minutes of the recording"));
    m_choice->addItem(tr("the last hour of the recording"));
    m_choice->addItem(tr("from and to below"));
    form->addRow(tr("&Window:"), m_choice);
    m_from = new QDateTimeEdit(this);
    m_to = new QDateTimeEdit(this);
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        edit->setDisplayFormat(kTimeFormat);
        edit->setCalendarPopup(true);
    }
    form->addRow(tr("&From:"), m_from);
    form->addRow(tr("&To:"), m_to);

    QSettings settings;
    const QString dir = settings.value(QString::fromLatin1(kDirKey), QDir::homePath()).toString();
    m_html = new QLineEdit(this);
    m_html->setText(dir + QStringLiteral("/poolscope-incident-") +
                    QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmm")) +
                    QStringLiteral(".html"));
    auto *browse = new QPushButton(tr("&Browse…"), this);
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(m_html, 1);
    pathRow->addWidget(browse);
    auto *pathLabel = new QLabel(tr("&HTML file:"), this);
    pathLabel->setBuddy(m_html);
    form->addRow(pathLabel, pathRow);
    m_pdf = new QCheckBox(tr("Also write a &PDF beside it (A4)"), this);
    m_pdf->setChecked(settings.value(QStringLiteral("report/pdf"), true).toBool());
    form->addRow(QString(), m_pdf);
    layout->addLayout(form);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Write report"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ReportDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ReportDialog::reject);
    connect(browse, &QPushButton::clicked, this, &ReportDialog::browse);
    connect(m_choice, &QComboBox::currentIndexChanged, this, &ReportDialog::applyChoice);
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        connect(edit, &QDateTimeEdit::dateTimeChanged, this, [this] {
            if (!m_applying)
                m_choice->setCurrentIndex(Custom);
        });
    }

    if (!isUsable()) {
        m_span->setText(m_error.toHtmlEscaped());
        m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
        return;
    }
    auto clock = [](qint64 ms) {
        return QDateTime::fromMSecsSinceEpoch(ms).toString(kTimeFormat);
    };
    m_span->setText(tr("Recording <b>%1</b> holds %2 to %3.")
                        .arg(QDir::toNativeSeparators(request.recording).toHtmlEscaped(),
                             clock(m_spanStartMs), clock(m_spanEndMs)));
    m_applying = true; // the range moves the edits: not the user's choice of "from and to"
    for (QDateTimeEdit *edit : {m_from, m_to})
        edit->setDateTimeRange(QDateTime::fromMSecsSinceEpoch(m_spanStartMs - 3600000),
                               QDateTime::fromMSecsSinceEpoch(m_spanEndMs + 3600000));
    m_applying = false;
    m_choice->setCurrentIndex(Offered);
    applyChoice(Offered);
    m_choice->setFocus();
}

void ReportDialog::applyChoice(int index)
{
    qint64 from = m_request.fromMs, to = m_request.toMs;
    switch (index) {
    case Offered:
        break;
    case Whole:
        from = m_spanStartMs;
        to = m_spanEndMs;
        break;
    case Last30:
    case LastHour:
        to = m_spanEndMs;
        from = std::max(m_spanStartMs, to - (index == Last30 ? 30 : 60) * 60000LL);
        break;
    default:
        return; // Custom: the edits as they are
    }
    from = std::clamp(from, m_spanStartMs, m_spanEndMs);
    to = std::clamp(to, from, m_spanEndMs);
    m_applying = true;
    m_from->setDateTime(QDateTime::fromMSecsSinceEpoch(from));
    m_to->setDateTime(QDateTime::fromMSecsSinceEpoch(to));
    m_applying = false;
}

QString ReportDialog::pdfPath() const
{
    const QFileInfo html(m_html->text());
    return html.path() + QLatin1Char('/') + html.completeBaseName() + QStringLiteral(".pdf");
}

void ReportDialog::browse()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Incident report"), m_html->text(),
                                                      tr("HTML files (*.html *.htm)"));
    if (!path.isEmpty())
        m_html->setText(path);
}

ReportResult ReportDialog::write()
{
    ReportOptions options;
    // The edits show seconds: the window's ends are whole seconds, the end rounded up to include its sample.
    options.fromMs = m_from->dateTime().toMSecsSinceEpoch();
    options.toMs = m_to->dateTime().toMSecsSinceEpoch() + 999;
    options.htmlPath = m_html->text();
    if (m_pdf->isChecked())
        options.pdfPath = pdfPath();
    QProgressDialog progress(tr("Writing the incident report…"), tr("Cancel"), 0, 100, this);
    progress.setWindowTitle(tr("Incident report"));
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    m_result =
        writeIncidentReport(m_request.recording, options, [&progress](int percent, const QString &step) {
            progress.setLabelText(step);
            progress.setValue(percent); // processes events while modal: Cancel is heard
            return !progress.wasCanceled();
        });
    return m_result;
}

void ReportDialog::accept()
{
    if (m_html->text().trimmed().isEmpty()) {
        QMessageBox::warning(this, windowTitle(), tr("Choose where to write the report first."));
        m_html->setFocus();
        return;
    }
    if (m_from->dateTime() >= m_to->dateTime()) {
        QMessageBox::warning(this, windowTitle(), tr("The window ends before it starts."));
        m_to->setFocus();
        return;
    }
    // Replacing a file is said first (the file dialog asks the same when one is browsed to).
    QStringList existing;
    for (const QString &p : {m_html->text(), m_pdf->isChecked() ? pdfPath() : QString()}) {
        if (!p.isEmpty() && QFileInfo::exists(p))
            existing.append(QDir::toNativeSeparators(p));
    }
    if (!existing.isEmpty() &&
        QMessageBox::question(this, windowTitle(), tr("Replace %1?").arg(existing.join(tr(" and "))),
                              QMessageBox::Yes | QMessageBox::No, QMessageBox::No) != QMessageBox::Yes)
        return;
    QSettings settings;
    settings.setValue(QString::fromLatin1(kDirKey), QFileInfo(m_html->text()).absolutePath());
    settings.setValue(QStringLiteral("report/pdf"), m_pdf->isChecked());
    const ReportResult r = write();
    if (r.failure == ReportFailure::Cancelled)
        return;
    if (!r.ok()) {
        QMessageBox::warning(this, windowTitle(), tr("The report was not written.\n\n%1").arg(r.error));
        return;
    }
    const QString written = r.pdfBytes > 0 ? tr("%1\nand %2")
                                                 .arg(QDir::toNativeSeparators(m_html->text()),
                                                      QDir::toNativeSeparators(pdfPath()))
                                           : QDir::toNativeSeparators(m_html->text());
    QMessageBox box(QMessageBox::Information, windowTitle(),
                    tr("Report written: %n chart(s), %1 finding(s), %2 action(s).", nullptr, r.charts)
                        .arg(r.findings)
                        .arg(r.actions),
                    QMessageBox::NoButton, this);
    box.setInformativeText(written);
    QPushButton *open = box.addButton(tr("&Open"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Close);
    box.setDefaultButton(open);
    box.exec();
    if (box.clickedButton() == open)
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(m_html->text()).absoluteFilePath()));
    QDialog::accept();
}

void installReportOpener()
{
    widgets::setReportOpener([](QWidget *parent, const widgets::ReportRequest &request) {
        auto *dialog = new ReportDialog(request, parent);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        if (!dialog->isUsable()) {
            QMessageBox::warning(
                parent, dialog->windowTitle(),
                ReportDialog::tr("This recording cannot be reported on.\n\n%1").arg(dialog->error()));
            delete dialog;
            return;
        }
        dialog->open();
    });
}

} // namespace poolscope::report
