#include "targetsdialog.h"

#include "core/taskpool.h"
#include "db/connectiontest.h"
#include "db/conninfo.h"
#include "metrics/prometheusclient.h"
#include "ui_targetsdialog.h"

#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QUrl>

namespace poolscope::widgets {

namespace {

constexpr int IdRole = Qt::UserRole + 1;
constexpr int PrometheusKind = -1; // the Kind combo's "Prometheus" item: a URL, not a kind to detect

struct FieldBinding
{
    const char *keyword;
    QLineEdit *Ui::TargetsDialog::*edit;
};

const FieldBinding kFields[] = {
    {"host", &Ui::TargetsDialog::hostEdit},
    {"port", &Ui::TargetsDialog::portEdit},
    {"dbname", &Ui::TargetsDialog::dbnameEdit},
    {"user", &Ui::TargetsDialog::userEdit},
    {"sslrootcert", &Ui::TargetsDialog::sslrootcertEdit},
    {"sslcert", &Ui::TargetsDialog::sslcertEdit},
    {"sslkey", &Ui::TargetsDialog::sslkeyEdit},
    {"connect_timeout", &Ui::TargetsDialog::connectTimeoutEdit},
};

bool isPrometheus(const TargetConfig &t)
{
    return metrics::isPrometheusTarget(t.conninfo.trimmed());
}

/// The URL without its password.
QString prometheusDisplay(const QString &url)
{
    QString error;
    const auto endpoint = metrics::parsePrometheusTarget(url.trimmed(), &error);
    return endpoint ? endpoint->display : url.trimmed();
}

QString displayName(const TargetConfig &t)
{
    if (!t.name.isEmpty())
        return t.name;
    if (isPrometheus(t))
        return prometheusDisplay(t.conninfo);
    const db::ConnSpec spec = db::parseConnInfo(t.conninfo);
    return spec.isValid() ? db::describe(spec) : QObject::tr("(invalid connection string)");
}

// Whether a target is (or may be) a pooler console, for the "Pooler in front of…" choice: its kind says so,
// or, while it is detected, its database is a console's (pgbouncer, pgcat, Odyssey's console).
bool mayBePooler(const TargetConfig &t)
{
    if (t.kindOverride == TargetKind::PgBouncer)
        return true;
    if (t.kindOverride != TargetKind::Unknown || isPrometheus(t))
        return false;
    const QByteArray db = db::parseConnInfo(t.conninfo).value("dbname");
    return db == "pgbouncer" || db == "pgcat" || db == "console";
}

} // namespace

TargetsDialog::TargetsDialog(const QList<TargetConfig> &targets, QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::TargetsDialog>()), m_targets(targets)
{
    m_ui->setupUi(this);
    m_ui->splitter->setStretchFactor(0, 1);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->sslmodeCombo->addItem(tr("(default: prefer)"), QString());
    for (const char *mode : {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
        m_ui->sslmodeCombo->addItem(QLatin1String(mode), QLatin1String(mode));
    m_ui->kindCombo->addItem(tr("Detect"), int(TargetKind::Unknown));
    m_ui->kindCombo->addItem(tr("PostgreSQL"), int(TargetKind::Postgres));
    m_ui->kindCombo->addItem(tr("PgBouncer console"), int(TargetKind::PgBouncer));
    m_ui->kindCombo->addItem(tr("Pgpool-II"), int(TargetKind::Pgpool));
    m_ui->kindCombo->addItem(tr("Prometheus (every instance it knows)"), PrometheusKind);
    m_ui->conninfoEdit->setPlaceholderText(tr("postgresql://user@host:5432/db, host=... dbname=..., "
                                              "service=NAME, or prometheus+http://host:9090"));

    // "Pooler in front of…": below the form's last row, built here so the .ui stays as it is.
    m_linkLabel = new QLabel(tr("Pooler in &front of…"), m_ui->editPane);
    m_linkCombo = new QComboBox(m_ui->editPane);
    m_linkCombo->setObjectName(QStringLiteral("linkCombo"));
    m_linkLabel->setBuddy(m_linkCombo);
    const int linkRow = m_ui->form->rowCount();
    m_ui->form->addWidget(m_linkLabel, linkRow, 0);
    m_ui->form->addWidget(m_linkCombo, linkRow, 1);
    connect(m_linkCombo, &QComboBox::activated, this, &TargetsDialog::onLinkChosen);
    connect(m_ui->tree, &QTreeWidget::currentItemChanged, this, &TargetsDialog::onSelectionChanged);
    connect(m_ui->addButton, &QPushButton::clicked, this, &TargetsDialog::addTarget);
    connect(m_ui->duplicateButton, &QPushButton::clicked, this, &TargetsDialog::duplicateTarget);
    connect(m_ui->removeButton, &QPushButton::clicked, this, &TargetsDialog::removeTarget);
    connect(m_ui->testButton, &QPushButton::clicked, this, &TargetsDialog::testConnection);
    connect(m_ui->buttons, &QDialogButtonBox::accepted, this, &TargetsDialog::accept);
    connect(m_ui->buttons, &QDialogButtonBox::rejected, this, &TargetsDialog::reject);
    connect(m_ui->conninfoEdit, &QLineEdit::textEdited, this, &TargetsDialog::onConnInfoEdited);
    connect(m_ui->conninfoEdit, &QLineEdit::editingFinished, this, [this] {
        if (TargetConfig *t = current())
            extractPassword(*t);
    });
    for (const FieldBinding &f : kFields) {
        QLineEdit *edit = (*m_ui).*(f.edit);
        connect(edit, &QLineEdit::textEdited, this, [this, f, edit] { onFieldEdited(f.keyword, edit); });
    }
    connect(m_ui->sslmodeCombo, &QComboBox::activated, this, &TargetsDialog::onSslModeChanged);
    connect(m_ui->nameEdit, &QLineEdit::textEdited, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->groupCombo, &QComboBox::currentTextChanged, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->kindCombo, &QComboBox::activated, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->intervalSpin, &QDoubleSpinBox::valueChanged, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->rememberCheck, &QCheckBox::toggled, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->autoCheck, &QCheckBox::toggled, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->autoAgeSpin, &QSpinBox::valueChanged, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->autoAppEdit, &QLineEdit::textEdited, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->autoDryRunCheck, &QCheckBox::toggled, this, &TargetsDialog::storeFormMeta);
    connect(m_ui->passwordEdit, &QLineEdit::textEdited, this, [this](const QString &text) {
        if (TargetConfig *t = current())
            m_passwords.insert(t->id, text.toUtf8());
    });

    rebuildTree(m_targets.isEmpty() ? QString() : m_targets.first().id);
    if (m_targets.isEmpty())
        setFormEnabled(false);
}

TargetsDialog::~TargetsDialog() = default;

int TargetsDialog::currentIndex() const
{
    for (int i = 0; i < m_targets.size(); ++i) {
        if (m_targets.at(i).id == m_currentId)
            return i;
    }
    return -1;
}

TargetConfig *TargetsDialog::current()
{
    const int i = currentIndex();
    return i < 0 ? nullptr : &m_targets[i];
}

void TargetsDialog::rebuildTree(const QString &selectId)
{
    m_loading = true;
    m_ui->tree->clear();
    QHash<QString, QTreeWidgetItem *> groups;
    QStringList groupNames;
    QTreeWidgetItem *select = nullptr;
    for (const TargetConfig &t : m_targets) {
        const QString group = t.group.isEmpty() ? tr("Ungrouped") : t.group;
        QTreeWidgetItem *parent = groups.value(group);
        if (!parent) {
            parent = new QTreeWidgetItem(m_ui->tree, {group});
            parent->setFlags(Qt::ItemIsEnabled);
            parent->setExpanded(true);
            groups.insert(group, parent);
            if (!t.group.isEmpty())
                groupNames.append(t.group);
        }
        auto *item = new QTreeWidgetItem(parent, {displayName(t)});
        item->setData(0, IdRole, t.id);
        item->setToolTip(0, isPrometheus(t) ? tr("Prometheus: %1").arg(prometheusDisplay(t.conninfo))
                                            : db::describe(db::parseConnInfo(t.conninfo)));
        if (t.id == selectId)
            select = item;
    }
    const QString groupText = m_ui->groupCombo->currentText();
    m_ui->groupCombo->clear();
    m_ui->groupCombo->addItems(groupNames);
    m_ui->groupCombo->setCurrentText(groupText);
    m_loading = false;
    if (select)
        m_ui->tree->setCurrentItem(select);
    else
        onSelectionChanged();
}

void TargetsDialog::selectTarget(const QString &id)
{
    rebuildTree(id);
}

void TargetsDialog::onSelectionChanged()
{
    if (m_loading)
        return;
    QTreeWidgetItem *item = m_ui->tree->currentItem();
    m_currentId = item ? item->data(0, IdRole).toString() : QString();
    loadForm();
}

void TargetsDialog::setFormEnabled(bool enabled)
{
    m_ui->editPane->setEnabled(enabled);
    m_ui->duplicateButton->setEnabled(enabled);
    m_ui->removeButton->setEnabled(enabled);
}

void TargetsDialog::loadForm()
{
    const TargetConfig *t = current();
    setFormEnabled(t != nullptr);
    m_loading = true;
    m_ui->nameEdit->setText(t ? t->name : QString());
    m_ui->groupCombo->setCurrentText(t ? t->group : QString());
    m_ui->conninfoEdit->setText(t ? t->conninfo : QString());
    m_ui->conninfoEdit->setCursorPosition(0); // show where the string starts (host, port), not its tail
    m_ui->kindCombo->setCurrentIndex(std::max(
        0, m_ui->kindCombo->findData(
               t && isPrometheus(*t) ? PrometheusKind : int(t ? t->kindOverride : TargetKind::Unknown))));
    m_ui->intervalSpin->setValue(t ? t->intervalMs / 1000.0 : 1.0);
    m_ui->rememberCheck->setChecked(t && t->rememberPassword);
    const AutoRemediationConfig autoConfig = t ? t->autoRemediation : AutoRemediationConfig{};
    m_ui->autoCheck->setChecked(autoConfig.enabled);
    m_ui->autoAgeSpin->setValue(autoConfig.olderThanS);
    m_ui->autoAppEdit->setText(autoConfig.application);
    m_ui->autoDryRunCheck->setChecked(autoConfig.dryRun);
    m_ui->passwordEdit->setText(t ? QString::fromUtf8(m_passwords.value(t->id)) : QString());
    m_ui->testResult->clear();
    m_loading = false;
    updateFieldsFromConnInfo();
    loadLinkCombo();
}

void TargetsDialog::loadLinkCombo()
{
    const TargetConfig *t = current();
    const bool wasLoading = m_loading;
    m_loading = true;
    m_linkCombo->clear();
    m_linkCombo->addItem(tr("Automatic (the PostgreSQL target its SHOW DATABASES points at)"), QString());
    int selected = 0;
    if (t) {
        for (const TargetConfig &other : std::as_const(m_targets)) {
            if (other.id == t->id || other.kindOverride == TargetKind::PgBouncer || mayBePooler(other))
                continue;
            m_linkCombo->addItem(displayName(other), other.id);
            if (other.id == t->linkedTarget)
                selected = m_linkCombo->count() - 1;
        }
        if (!t->linkedTarget.isEmpty() && selected == 0) {
            // Linked to a target that is gone: shown, so the user sees it and can clear it.
            m_linkCombo->addItem(tr("(a removed target)"), t->linkedTarget);
            selected = m_linkCombo->count() - 1;
        }
    }
    m_linkCombo->setCurrentIndex(selected);
    // Only poolers sit in front of a server; a link set on another kind stays editable so it can be cleared.
    const bool pooler = t && (mayBePooler(*t) || !t->linkedTarget.isEmpty());
    m_linkCombo->setEnabled(pooler);
    m_linkLabel->setEnabled(pooler);
    const QString tip =
        pooler
            ? tr("The PostgreSQL target whose backends this pooler holds: its Sessions tab then shows which "
                 "client holds each backend. Automatic links it to the target its SHOW DATABASES host and "
                 "port point at.")
            : tr("For pooler targets (Kind: PgBouncer console, or a connection to the pgbouncer "
                 "database)");
    m_linkCombo->setToolTip(tip);
    m_linkLabel->setToolTip(tip);
    m_loading = wasLoading;
}

void TargetsDialog::onLinkChosen()
{
    TargetConfig *t = current();
    if (!t || m_loading)
        return;
    t->linkedTarget = m_linkCombo->currentData().toString();
}

void TargetsDialog::updateFieldsFromConnInfo()
{
    m_loading = true;
    const QString text = m_ui->conninfoEdit->text().trimmed();
    const bool prometheus = metrics::isPrometheusTarget(text);
    // A Prometheus: a URL, read with basic auth (user in the URL) or a bearer token; no libpq fields, no
    // kind to detect, nothing to remediate on the servers behind it.
    const db::ConnSpec spec = db::parseConnInfo(prometheus ? QString() : m_ui->conninfoEdit->text());
    QString prometheusError;
    if (prometheus)
        metrics::parsePrometheusTarget(text, &prometheusError);
    m_ui->conninfoError->setText(prometheus                         ? prometheusError
                                 : spec.isValid() || text.isEmpty() ? QString()
                                                                    : spec.parseError);
    m_ui->kindCombo->setEnabled(!prometheus);
    if (prometheus)
        m_ui->kindCombo->setCurrentIndex(m_ui->kindCombo->findData(PrometheusKind));
    else if (m_ui->kindCombo->currentData().toInt() == PrometheusKind)
        m_ui->kindCombo->setCurrentIndex(0);
    m_ui->formLabel15->setText(prometheus ? tr("Password / to&ken") : tr("Pass&word"));
    m_ui->passwordEdit->setPlaceholderText(prometheus ? tr("basic auth (user@ in the URL) or a bearer token")
                                                      : tr("only if ~/.pgpass or the service file has none"));
    m_ui->passwordEdit->setToolTip(
        prometheus ? tr("With a user in the URL (prometheus+https://user@host/), the basic-auth password; "
                        "without one, a bearer token. Empty: $POOLSCOPE_PROMETHEUS_TOKEN, if set.")
                   : QString());
    m_ui->testResult->setPlaceholderText(
        prometheus
            ? tr("The test asks Prometheus which PostgreSQL and PgBouncer instances it knows (from "
                 "postgres_exporter, pgbouncer_exporter or a PoolScope export), or says why it cannot.")
            : tr("Test connection reports the server kind and version, the role's privileges and what "
                 "will be missing without them."));
    m_ui->rememberCheck->setText(prometheus ? tr("Remember the password or token in the system keychain")
                                            : tr("Remember the password in the system keychain"));
    for (QWidget *w :
         {static_cast<QWidget *>(m_ui->autoCheck), static_cast<QWidget *>(m_ui->autoAgeSpin),
          static_cast<QWidget *>(m_ui->autoAppEdit), static_cast<QWidget *>(m_ui->autoDryRunCheck)})
        w->setEnabled(!prometheus);
    m_ui->testButton->setText(prometheus ? tr("&Test: discover instances") : tr("&Test connection"));
    for (const FieldBinding &f : kFields) {
        QLineEdit *edit = (*m_ui).*(f.edit);
        if (spec.isValid() || prometheus)
            edit->setText(QString::fromUtf8(spec.value(f.keyword)));
        edit->setEnabled(spec.isValid() && !prometheus);
    }
    const int ssl = m_ui->sslmodeCombo->findData(QString::fromUtf8(spec.value("sslmode")));
    m_ui->sslmodeCombo->setCurrentIndex(std::max(0, ssl));
    m_ui->sslmodeCombo->setEnabled(spec.isValid() && !prometheus);
    m_loading = false;
}

void TargetsDialog::onConnInfoEdited()
{
    TargetConfig *t = current();
    if (!t || m_loading)
        return;
    // Kept as typed, even when it does not parse yet: nothing the user typed is lost. The password is split
    // off when editing finishes, never mid-typing (a half-typed URI must not be rewritten under the cursor).
    t->conninfo = m_ui->conninfoEdit->text();
    updateFieldsFromConnInfo();
    loadLinkCombo(); // dbname=pgbouncer makes it a pooler
    if (QTreeWidgetItem *item = m_ui->tree->currentItem())
        item->setText(0, displayName(*t));
}

void TargetsDialog::extractPassword(TargetConfig &t)
{
    if (isPrometheus(t)) {
        // prometheus+https://user:password@host/: the password to the password field, the URL without it.
        const QString url = t.conninfo.trimmed();
        const qsizetype schemeEnd = url.indexOf(QLatin1String("://"));
        QUrl parsed(url.mid(url.indexOf(QLatin1Char('+')) + 1), QUrl::StrictMode);
        if (schemeEnd < 0 || !parsed.isValid() || parsed.password().isEmpty())
            return;
        const QByteArray password = parsed.password().toUtf8();
        parsed.setPassword(QString());
        t.conninfo = url.left(url.indexOf(QLatin1Char('+')) + 1) + parsed.toString();
        m_passwords.insert(t.id, password);
        if (t.id == m_currentId) {
            m_loading = true;
            m_ui->passwordEdit->setText(QString::fromUtf8(password));
            m_ui->conninfoEdit->setText(t.conninfo);
            m_loading = false;
            updateFieldsFromConnInfo();
        }
        return;
    }
    const db::SplitConnInfo split = db::splitPassword(t.conninfo);
    if (!split.error.isEmpty() || split.password.isEmpty())
        return;
    // A password typed into the string goes to the password field, never into the saved string.
    m_passwords.insert(t.id, split.password);
    t.conninfo = split.conninfo;
    if (t.id == m_currentId) {
        m_loading = true;
        m_ui->passwordEdit->setText(QString::fromUtf8(split.password));
        m_ui->conninfoEdit->setText(split.conninfo);
        m_loading = false;
        updateFieldsFromConnInfo();
    }
}

void TargetsDialog::setConnInfoKeyword(const char *keyword, const QString &value)
{
    TargetConfig *t = current();
    if (!t)
        return;
    db::ConnSpec spec = db::parseConnInfo(t->conninfo);
    if (!spec.isValid())
        return;
    for (qsizetype i = spec.params.size() - 1; i >= 0; --i) {
        if (spec.params.at(i).first == keyword)
            spec.params.removeAt(i);
    }
    if (!value.trimmed().isEmpty())
        spec.set(keyword, value.trimmed().toUtf8());
    t->conninfo = db::toConnInfoString(spec);
    m_loading = true;
    m_ui->conninfoEdit->setText(t->conninfo);
    m_loading = false;
    if (QTreeWidgetItem *item = m_ui->tree->currentItem())
        item->setText(0, displayName(*t));
}

void TargetsDialog::onFieldEdited(const char *keyword, QLineEdit *edit)
{
    if (m_loading)
        return;
    setConnInfoKeyword(keyword, edit->text());
}

void TargetsDialog::onSslModeChanged()
{
    if (m_loading)
        return;
    setConnInfoKeyword("sslmode", m_ui->sslmodeCombo->currentData().toString());
}

void TargetsDialog::storeFormMeta()
{
    TargetConfig *t = current();
    if (!t || m_loading)
        return;
    const QString oldGroup = t->group;
    t->name = m_ui->nameEdit->text().trimmed();
    t->group = m_ui->groupCombo->currentText().trimmed();
    const int kind = m_ui->kindCombo->currentData().toInt();
    if (kind == PrometheusKind && !isPrometheus(*t)) {
        // Kind: Prometheus on a connection string: start its URL from the host given so far.
        const QByteArray host = db::parseConnInfo(t->conninfo).value("host");
        t->conninfo = QStringLiteral("prometheus+http://%1:9090")
                          .arg(host.isEmpty() || host.startsWith('/') ? QStringLiteral("localhost")
                                                                      : QString::fromUtf8(host));
        m_loading = true;
        m_ui->conninfoEdit->setText(t->conninfo);
        m_loading = false;
        updateFieldsFromConnInfo();
        m_ui->conninfoEdit->setFocus();
        m_ui->conninfoEdit->setSelection(
            int(QStringLiteral("prometheus+http://").size()),
            int(t->conninfo.size() - QStringLiteral("prometheus+http://").size()));
    }
    t->kindOverride = kind == PrometheusKind ? TargetKind::Unknown : TargetKind(kind);
    t->intervalMs = int(std::lround(m_ui->intervalSpin->value() * 1000));
    t->rememberPassword = m_ui->rememberCheck->isChecked();
    t->autoRemediation.enabled = m_ui->autoCheck->isChecked();
    t->autoRemediation.olderThanS = m_ui->autoAgeSpin->value();
    t->autoRemediation.application = m_ui->autoAppEdit->text().trimmed();
    t->autoRemediation.dryRun = m_ui->autoDryRunCheck->isChecked();
    loadLinkCombo(); // the kind decides whether the pooler link applies
    if (t->group != oldGroup && !m_ui->groupCombo->hasFocus())
        rebuildTree(t->id);
    else if (QTreeWidgetItem *item = m_ui->tree->currentItem())
        item->setText(0, displayName(*t));
}

void TargetsDialog::addTarget()
{
    TargetConfig t;
    t.id = TargetConfig::newId();
    if (const TargetConfig *cur = current())
        t.group = cur->group;
    m_targets.append(t);
    rebuildTree(t.id);
    m_ui->conninfoEdit->setFocus();
}

void TargetsDialog::duplicateTarget()
{
    const TargetConfig *cur = current();
    if (!cur)
        return;
    TargetConfig copy = *cur;
    copy.id = TargetConfig::newId();
    if (!copy.name.isEmpty())
        copy.name += tr(" (copy)");
    if (m_passwords.contains(cur->id))
        m_passwords.insert(copy.id, m_passwords.value(cur->id));
    m_targets.insert(currentIndex() + 1, copy);
    rebuildTree(copy.id);
}

void TargetsDialog::removeTarget()
{
    const int i = currentIndex();
    if (i < 0)
        return;
    const QString name = displayName(m_targets.at(i));
    if (QMessageBox::question(this, tr("Remove target"), tr("Stop monitoring and forget %1?").arg(name)) !=
        QMessageBox::Yes)
        return;
    m_passwords.remove(m_targets.at(i).id);
    const QString removedId = m_targets.at(i).id;
    m_targets.removeAt(i);
    // Poolers linked to it go back to automatic rather than pointing at nothing.
    for (TargetConfig &t : m_targets) {
        if (t.linkedTarget == removedId)
            t.linkedTarget.clear();
    }
    rebuildTree(m_targets.isEmpty() ? QString()
                                    : m_targets.at(std::min<int>(i, int(m_targets.size()) - 1)).id);
}

void TargetsDialog::testConnection()
{
    const TargetConfig *t = current();
    if (!t || m_testing)
        return;
    if (isPrometheus(*t)) {
        testPrometheus(*t);
        return;
    }
    const QString conninfo = db::withPassword(t->conninfo, m_passwords.value(t->id));
    m_testing = true;
    m_ui->testButton->setEnabled(false);
    m_ui->testResult->setPlainText(tr("Testing %1…").arg(displayName(*t)));
    // libpq blocks: run it off the GUI thread.
    const QString id = t->id;
    TaskPool::run(
        this, [conninfo] { return db::testConnection(conninfo); },
        [this, id](const db::ConnectionReport &report) {
            m_testing = false;
            m_ui->testButton->setEnabled(true);
            if (id == m_currentId)
                m_ui->testResult->setPlainText(report.summary());
        });
}

void TargetsDialog::testPrometheus(const TargetConfig &t)
{
    QString error;
    const auto endpoint =
        metrics::parsePrometheusTarget(t.conninfo.trimmed(), &error, m_passwords.value(t.id));
    if (!endpoint) {
        m_ui->testResult->setPlainText(error);
        return;
    }
    m_testing = true;
    m_ui->testButton->setEnabled(false);
    m_ui->testResult->setPlainText(
        tr("Asking %1 which PostgreSQL and PgBouncer instances it knows…").arg(endpoint->display));
    // Two instant queries and their parsing, off the GUI thread (PrometheusReader); the reader goes with the
    // dialog.
    auto *reader = new metrics::PrometheusReader(*endpoint, 10000, this);
    const QString id = t.id;
    connect(reader, &metrics::PrometheusReader::finished, this,
            [this, reader, id, display = endpoint->display](const metrics::FleetRead &read) {
                reader->deleteLater();
                m_testing = false;
                m_ui->testButton->setEnabled(true);
                if (id != m_currentId)
                    return;
                m_ui->testResult->setPlainText(read.ok ? tr("Prometheus at %1 answered in %2 ms. %3")
                                                             .arg(display)
                                                             .arg(read.elapsedMs)
                                                             .arg(metrics::fleetSummary(read.targets))
                                                       : read.error);
            });
    reader->read();
}

void TargetsDialog::accept()
{
    for (TargetConfig &t : m_targets)
        extractPassword(t);
    for (const TargetConfig &t : std::as_const(m_targets)) {
        if (isPrometheus(t)) {
            QString error;
            if (metrics::parsePrometheusTarget(t.conninfo.trimmed(), &error))
                continue;
            rebuildTree(t.id);
            QMessageBox::warning(this, tr("Invalid target"), error);
            m_ui->conninfoEdit->setFocus();
            return;
        }
        const db::ConnSpec spec = db::parseConnInfo(t.conninfo);
        if (t.conninfo.trimmed().isEmpty() || !spec.isValid()) {
            rebuildTree(t.id);
            QMessageBox::warning(this, tr("Invalid target"),
                                 t.conninfo.trimmed().isEmpty()
                                     ? tr("This target has no connection string.")
                                     : tr("This connection string does not parse: %1").arg(spec.parseError));
            m_ui->conninfoEdit->setFocus();
            return;
        }
    }
    QDialog::accept();
}

} // namespace poolscope::widgets
