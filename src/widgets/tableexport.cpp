#include "tableexport.h"

#include "models/tablecsv.h"

#include <QAbstractItemView>
#include <QAction>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
#include <QSettings>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTreeView>

namespace poolscope::widgets {

namespace {

const char *const kAction = "actionExportCsv";
const char *const kNameProperty = "poolscopeTableName";
const char *const kDirKey = "export/lastDirectory";

QHeaderView *columnsHeader(const QAbstractItemView *view)
{
    if (const auto *table = qobject_cast<const QTableView *>(view))
        return table->horizontalHeader();
    if (const auto *tree = qobject_cast<const QTreeView *>(view))
        return tree->header();
    return nullptr;
}

} // namespace

QAction *installTableExport(QAbstractItemView *view, const QString &name)
{
    auto *action = new QAction(QObject::tr("&Export as CSV…"), view);
    action->setObjectName(QString::fromLatin1(kAction));
    action->setToolTip(QObject::tr("The rows and columns shown, as a CSV file"));
    view->setProperty(kNameProperty, name);
    QObject::connect(action, &QAction::triggered, view,
                     [view] { exportTableInteractive(view, view->window()); });
    if (view->contextMenuPolicy() != Qt::CustomContextMenu) {
        view->addAction(action);
        view->setContextMenuPolicy(Qt::ActionsContextMenu);
    }
    return action;
}

QAction *tableExportAction(const QAbstractItemView *view)
{
    return view ? view->findChild<QAction *>(QString::fromLatin1(kAction), Qt::FindDirectChildrenOnly)
                : nullptr;
}

QString tableExportName(const QAbstractItemView *view)
{
    return view ? view->property(kNameProperty).toString() : QString();
}

void addTableExport(QMenu &menu, const QAbstractItemView *view)
{
    if (QAction *action = tableExportAction(view)) {
        menu.addSeparator();
        menu.addAction(action);
    }
}

QByteArray tableCsvOf(const QAbstractItemView *view)
{
    const QAbstractItemModel *model = view->model();
    if (!model)
        return {};
    QList<int> columns;
    if (const QHeaderView *header = columnsHeader(view)) {
        for (int visual = 0; visual < header->count(); ++visual) {
            const int logical = header->logicalIndex(visual);
            if (logical >= 0 && !header->isSectionHidden(logical))
                columns.append(logical);
        }
    } else if (model->columnCount() > 0) {
        columns.append(0);
    }
    const QLocale locale = view->locale();
    return models::tableCsv(*model, columns, [view, &locale](const QModelIndex &index) -> QString {
        const QVariant value = index.data(Qt::DisplayRole);
        // The text the view draws: its delegate's (numbers and dates formatted as shown).
        if (const auto *delegate = qobject_cast<QStyledItemDelegate *>(view->itemDelegateForIndex(index)))
            return value.isValid() ? delegate->displayText(value, locale) : QString();
        return value.toString();
    });
}

bool exportTableCsv(const QAbstractItemView *view, const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error =
            QObject::tr("%1 cannot be written: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    const QByteArray csv = tableCsvOf(view);
    if (file.write(csv) != csv.size() || !file.commit()) {
        *error =
            QObject::tr("%1 cannot be written: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

void exportTableInteractive(QAbstractItemView *view, QWidget *dialogParent)
{
    QSettings settings;
    const QString dir = settings.value(QString::fromLatin1(kDirKey), QDir::homePath()).toString();
    QString name = tableExportName(view);
    if (name.isEmpty())
        name = QStringLiteral("table");
    const QString suggested = dir + QLatin1Char('/') + name + QLatin1Char('-') +
                              QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) +
                              QStringLiteral(".csv");
    const QString caption = QObject::tr("Export %1 as CSV").arg(name);
    const QString path =
        QFileDialog::getSaveFileName(dialogParent, caption, suggested, QObject::tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    settings.setValue(QString::fromLatin1(kDirKey), QFileInfo(path).absolutePath());
    QString error;
    if (!exportTableCsv(view, path, &error))
        QMessageBox::warning(dialogParent, caption,
                             QObject::tr("The table was not exported.\n\n%1").arg(error));
}

} // namespace poolscope::widgets
