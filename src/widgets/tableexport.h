#pragma once

#include <QString>

class QAbstractItemView;
class QAction;
class QMenu;
class QWidget;

namespace poolscope::widgets {

/// "Export as CSV…" for every data table (sessions, pools, pooler clients and servers, Pgpool-II, findings,
/// fleet, audit): what the user sees is written — the rows of the view's model (a proxy's: filtered and
/// sorted), the visible columns in their on-screen order, each cell's display text, a header row — as RFC
/// 4180 CSV in UTF-8 (models/tablecsv.h). File → Export → Table as CSV… reaches the same code (exportmenu.h).

/// Adds the action to `view` (a child of it, object name actionExportCsv); `name` ("sessions") names the
/// table in choosers and suggested file names. A view with a context menu of its own (Qt::CustomContextMenu)
/// adds the action to that menu through addTableExport(); any other gets Qt::ActionsContextMenu with it.
QAction *installTableExport(QAbstractItemView *view, const QString &name);
/// The action installTableExport() added; nullptr when none.
QAction *tableExportAction(const QAbstractItemView *view);
/// The name given to installTableExport(); empty when none.
QString tableExportName(const QAbstractItemView *view);
/// For the views' own context menus: a separator and the view's export action (nothing when it has none).
void addTableExport(QMenu &menu, const QAbstractItemView *view);

/// Writes the table as the user sees it into `path` (whole or not at all). False with the reason in `error`.
bool exportTableCsv(const QAbstractItemView *view, const QString &path, QString *error);
/// The CSV bytes exportTableCsv() writes.
QByteArray tableCsvOf(const QAbstractItemView *view);
/// Asks for a file ("<name>-<time>.csv"), writes, and shows a warning with the reason when it fails.
void exportTableInteractive(QAbstractItemView *view, QWidget *dialogParent);

} // namespace poolscope::widgets
