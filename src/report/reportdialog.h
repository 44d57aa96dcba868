#pragma once

#include "incidentreport.h"
#include "widgets/reportrequest.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace poolscope::report {

/// File → Incident report…: which window of the recording (the window's offer — the charts' range in a
/// replay, the last 30 minutes live —, the whole recording, its last 30 minutes or hour, or any from/to),
/// where to write the HTML and whether to write a PDF beside it; then the report is written with a progress
/// dialog (Cancel stops it) and the dialog offers to open it. Keyboard: every field has a mnemonic, Enter
/// writes, Esc closes.
class ReportDialog : public QDialog
{
    Q_OBJECT
public:
    /// Opens the recording for its span; when it cannot be read, isUsable() is false and error() says why.
    ReportDialog(const widgets::ReportRequest &request, QWidget *parent = nullptr);

    bool isUsable() const { return m_spanEndMs > 0; }
    QString error() const { return m_error; }

    QComboBox *windowChoice() const { return m_choice; }
    QDateTimeEdit *fromEdit() const { return m_from; }
    QDateTimeEdit *toEdit() const { return m_to; }
    QLineEdit *htmlPathEdit() const { return m_html; }
    QCheckBox *pdfCheck() const { return m_pdf; }
    /// The PDF's path: the HTML's with .pdf.
    QString pdfPath() const;

    /// Writes the report as the dialog says (what "Write report" does, without the question after it).
    ReportResult write();
    const ReportResult &lastResult() const { return m_result; }

private:
    void applyChoice(int index);
    void browse();
    void accept() override;

    widgets::ReportRequest m_request;
    qint64 m_spanStartMs = 0;
    qint64 m_spanEndMs = 0;
    QString m_error;
    QComboBox *m_choice = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QLineEdit *m_html = nullptr;
    QCheckBox *m_pdf = nullptr;
    QLabel *m_span = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    ReportResult m_result;
    bool m_applying = false;
};

/// Makes File → Incident report… of the main and replay windows open a ReportDialog
/// (widgets::setReportOpener).
void installReportOpener();

} // namespace poolscope::report
