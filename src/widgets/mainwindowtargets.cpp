// MainWindow's targets as saved configurations (File → Targets…, passwords, auto-remediation) and the links
// between a pooler and the PostgreSQL servers behind it.
#include "mainwindow.h"
#include "mainwindow_p.h"

#include "core/logging.h"
#include "core/recorder.h"
#include "db/autoremediator.h"
#include "db/conninfo.h"
#include "db/targetcontroller.h"
#include "metrics/prometheusclient.h"
#include "sandbox/demosession.h"
#include "widgets/findingscontroller.h"
#include "widgets/passwordstore.h"
#include "widgets/poolerlinks.h"
#include "widgets/postgrespage.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"
#include "widgets/targetsdialog.h"

#include <QAction>
#include <QDateTime>
#include <QInputDialog>
#include <QLineEdit>
#include <QSettings>

namespace poolscope::widgets {

void MainWindow::startConfig(const TargetConfig &config, const QByteArray &password)
{
    if (metrics::isPrometheusTarget(config.conninfo)) {
        startPrometheus(config.conninfo, config.intervalMs, password, &config);
        return;
    }
    const int index =
        addTarget(db::withPassword(config.conninfo, password), config.intervalMs, config.kindOverride);
    Target &t = *m_targets[size_t(index)];
    t.configId = config.id;
    t.config = config;
    if (config.autoRemediation.enabled) {
        // Opt-in per saved target: terminates (or, in dry-run mode, reports) old idle-in-transaction sessions
        // on each sample; a banner says so for as long as it is on.
        t.autoRemediator = std::make_unique<db::AutoRemediator>(t.conninfo);
        t.autoRemediator->setConfig(config.autoRemediation);
        connect(t.controller.get(), &db::TargetController::snapshotReady, t.autoRemediator.get(),
                &db::AutoRemediator::onSnapshot);
        t.page->setNotice(t.autoRemediator->bannerText());
        connect(t.autoRemediator.get(), &db::AutoRemediator::ran, this,
                [this, id = t.id, label = t.controller->target()](const terminate::Report &report) {
                    logging::get("ui")->warn("auto-remediation on {}: {}", label.toStdString(),
                                             report.summary().toStdString());
                    m_findings->noteTerminated(id, report.count(terminate::Outcome::Terminated));
                });
    }
    if (!config.name.isEmpty()) {
        t.select->setText(config.name);
        m_links->setName(t.id, config.name);
    }
    m_links->setConfig(t.id, config.id, config.linkedTarget);
    applyPoolerLinks();
}

void MainWindow::recordPoolerTraffic(int poolerId, const TargetSnapshot &snapshot)
{
    if (!snapshot.ok || !snapshot.bouncer)
        return;
    const double t = double(snapshot.sampledAtMs) / 1000.0;
    for (int pgId : m_links->postgresOf(poolerId)) {
        Target *pg = targetById(pgId);
        const std::optional<double> tps = m_links->trafficTo(poolerId, pgId, *snapshot.bouncer);
        if (!pg || !tps || m_links->poolersOf(pgId).value(0) != poolerId)
            continue; // the first linked pooler's traffic is charted
        TimeSeries &ts = (*pg->series)[series::poolerTps()];
        if (ts.isEmpty() || ts.timeAt(ts.size() - 1) <= t)
            ts.append(t, *tps);
    }
}

void MainWindow::applyPoolerLinks()
{
    for (auto &target : m_targets) {
        Target &t = *target;
        // PostgreSQL's TPS chart shows its first linked pooler's traffic beside its own figure.
        if (auto *postgres = qobject_cast<PostgresPage *>(t.page->content())) {
            const int pooler = m_links->poolersOf(t.id).value(0, -1);
            const Target *p = pooler >= 0 ? targetById(pooler) : nullptr;
            postgres->setPoolerTraffic(p ? p->name() : QString());
        }
        t.page->setLinkText(m_links->linkText(t.id));
        m_findings->setLinks(t.id, m_links->postgresOf(t.id));
        SessionsPage *sessions = t.page->sessions();
        if (!sessions)
            continue; // before the kind is known; the snapshot that creates the tab comes back here
        if (!t.chainProviderSet) {
            t.chainProviderSet = true;
            sessions->setPoolerChainProvider([links = m_links.get(), id = t.id](const Session &s) {
                return links->detailHtml(id, s, QDateTime::currentMSecsSinceEpoch());
            });
        }
        sessions->setPoolerChain(m_links->chainFor(t.id));
    }
}

QList<int> MainWindow::linkedPoolers(int index) const
{
    QList<int> out;
    if (index < 0 || index >= targetCount())
        return out;
    for (int id : m_links->poolersOf(m_targets[size_t(index)]->id))
        out.append(indexOfId(id));
    return out;
}

void MainWindow::loadSavedTargets()
{
    m_configs = loadTargets(*openSettings());
    for (const TargetConfig &config : std::as_const(m_configs)) {
        if (!config.rememberPassword) {
            startConfig(config, {});
            continue;
        }
        // Start once the keychain answered (with or without a password), so the first attempt does not
        // fail on a missing password that was remembered.
        m_passwordStore->read(config.id, [this, config](const QByteArray &password, const QString &) {
            if (!password.isEmpty())
                m_sessionPasswords.insert(config.id, password);
            startConfig(config, password);
        });
    }
}

QString MainWindow::whyNotEditable(int index) const
{
    if (index < 0 || index >= targetCount())
        return tr("No target selected");
    if (m_targets[size_t(index)]->configId.isEmpty())
        return m_demo ? tr("A demo target lives as long as the demo: add your own in File → Targets…")
                      : tr("Given on the command line, not saved: add it in File → Targets… to edit it");
    return {};
}

void MainWindow::editTarget(int index)
{
    if (!whyNotEditable(index).isEmpty())
        return;
    TargetsDialog dialog(m_configs, this);
    dialog.selectTarget(m_targets[size_t(index)]->configId);
    if (dialog.exec() == QDialog::Accepted)
        applyTargetConfigs(dialog.targets(), dialog.passwords());
}

void MainWindow::openTargetsDialog()
{
    TargetsDialog dialog(m_configs, this);
    if (const int current = currentTarget(); current >= 0 && !m_targets[size_t(current)]->configId.isEmpty())
        dialog.selectTarget(m_targets[size_t(current)]->configId);
    if (dialog.exec() != QDialog::Accepted)
        return;
    applyTargetConfigs(dialog.targets(), dialog.passwords());
}

void MainWindow::applyTargetConfigs(const QList<TargetConfig> &configs,
                                    const QHash<QString, QByteArray> &passwords)
{
    for (auto it = passwords.cbegin(); it != passwords.cend(); ++it) {
        if (it.value().isEmpty())
            m_sessionPasswords.remove(it.key());
        else
            m_sessionPasswords.insert(it.key(), it.value());
    }
    saveTargets(*openSettings(), configs);
    QHash<QString, bool> remembered;
    for (const TargetConfig &c : std::as_const(m_configs))
        remembered.insert(c.id, c.rememberPassword);
    for (const TargetConfig &c : configs) {
        const QByteArray pw = m_sessionPasswords.value(c.id);
        if (c.rememberPassword && !pw.isEmpty())
            m_passwordStore->write(c.id, pw);
        else if (!c.rememberPassword && remembered.value(c.id))
            m_passwordStore->remove(c.id); // only touch the keychain where something was remembered
    }
    for (const TargetConfig &old : std::as_const(m_configs)) {
        const bool kept = std::any_of(configs.cbegin(), configs.cend(),
                                      [&old](const TargetConfig &c) { return c.id == old.id; });
        if (!kept && old.rememberPassword)
            m_passwordStore->remove(old.id);
    }
    // Stop saved targets that were removed or changed; keep the unchanged ones sampling.
    QHash<QString, TargetConfig> wanted;
    for (const TargetConfig &c : configs)
        wanted.insert(c.id, c);
    // A saved Prometheus goes with every target read from it.
    for (int i = int(m_promSources.size()) - 1; i >= 0; --i) {
        const PromSource &source = *m_promSources[size_t(i)];
        if (source.configId.isEmpty())
            continue;
        const auto it = wanted.constFind(source.configId);
        if (it == wanted.cend() || !(it.value() == source.config) || passwords.contains(source.configId))
            removePrometheusSource(source.id);
    }
    for (int i = int(m_targets.size()) - 1; i >= 0; --i) {
        const Target &t = *m_targets[size_t(i)];
        if (t.configId.isEmpty() || t.prom)
            continue;
        const auto it = wanted.constFind(t.configId);
        const bool passwordChanged = passwords.contains(t.configId);
        if (it == wanted.cend() || !(it.value() == t.config) || passwordChanged)
            removeTarget(i);
    }
    for (const TargetConfig &c : configs) {
        bool running = false;
        for (const auto &t : m_targets)
            running = running || t->configId == c.id;
        for (const auto &source : m_promSources)
            running = running || source->configId == c.id;
        if (!running)
            startConfig(c, m_sessionPasswords.value(c.id));
    }
    m_configs = configs;
}

void MainWindow::promptForPassword(int id)
{
    const int index = indexOfId(id);
    if (index < 0)
        return;
    Target &t = *m_targets[size_t(index)];
    bool ok = false;
    const QString password = QInputDialog::getText(
        this, tr("Password needed"),
        tr("%1 asks for a password (none in ~/.pgpass or the service file).\nPassword:").arg(t.address()),
        QLineEdit::Password, QString(), &ok);
    if (!ok || password.isEmpty())
        return; // stays failed with the libpq message; the user can add it in File → Targets…
    if (t.configId.isEmpty()) {
        // A command-line target: restart it with the password, for this session only.
        const db::SplitConnInfo split = db::splitPassword(t.conninfo);
        const int interval = t.controller->intervalMs();
        removeTarget(index);
        addTarget(db::withPassword(split.conninfo, password.toUtf8()), interval);
        return;
    }
    const TargetConfig config = t.config;
    m_sessionPasswords.insert(config.id, password.toUtf8());
    removeTarget(index);
    startConfig(config, password.toUtf8());
}
} // namespace poolscope::widgets
