#pragma once

#include "core/targetconfig.h"

#include <QDialog>
#include <QHash>
#include <QList>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QTreeWidgetItem;

namespace Ui {
class TargetsDialog;
}

namespace poolscope::widgets {

/// Add / edit / remove / duplicate saved targets, grouped. The connection can be typed as a libpq URI, a
/// key=value string or service=NAME, or through the fields, which stay in sync with the string. A password
/// typed anywhere is moved out of the connection string into the password field: it is handed to the window
/// for this session (and to the keychain if asked), never written to settings. A Prometheus
/// (prometheus+http(s)://HOST:PORT, Kind "Prometheus") is a URL instead: its password or bearer token goes to
/// the same field and keychain, and its test says how many instances it discovers.
class TargetsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit TargetsDialog(const QList<TargetConfig> &targets, QWidget *parent = nullptr);
    ~TargetsDialog() override;

    QList<TargetConfig> targets() const { return m_targets; }
    /// Passwords typed in this dialog, by target id (memory only).
    QHash<QString, QByteArray> passwords() const { return m_passwords; }

    /// Selects the target with this id (tests, "Edit target" from the main window).
    void selectTarget(const QString &id);
    /// "Pooler in front of…": for a pooler target, the PostgreSQL target it is linked to (item data: the
    /// target's id; the first item, "Automatic", is empty).
    QComboBox *linkCombo() const { return m_linkCombo; }

public Q_SLOTS:
    void accept() override;

private:
    void rebuildTree(const QString &selectId);
    void onSelectionChanged();
    void loadForm();
    void onConnInfoEdited();
    void extractPassword(TargetConfig &target);
    void onFieldEdited(const char *keyword, QLineEdit *edit);
    void onSslModeChanged();
    void storeFormMeta();
    void addTarget();
    void duplicateTarget();
    void removeTarget();
    void testConnection();
    /// A Prometheus target's test: how many instances a read discovers, or why it cannot be read.
    void testPrometheus(const TargetConfig &target);
    void setFormEnabled(bool enabled);
    void loadLinkCombo();
    void onLinkChosen();
    void updateFieldsFromConnInfo();
    void setConnInfoKeyword(const char *keyword, const QString &value);
    TargetConfig *current();
    int currentIndex() const;

    std::unique_ptr<Ui::TargetsDialog> m_ui;
    QList<TargetConfig> m_targets;
    QHash<QString, QByteArray> m_passwords;
    QString m_currentId;
    bool m_loading = false;
    bool m_testing = false;
    QLabel *m_linkLabel = nullptr;
    QComboBox *m_linkCombo = nullptr;
};

} // namespace poolscope::widgets
