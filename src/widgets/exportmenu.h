#pragma once

#include <QList>

class QAbstractItemView;
class QAction;
class QCustomPlot;
class QMainWindow;
class QMenu;
class QWidget;

namespace poolscope::widgets {

/// File → Export of a window (the main window, a replay window): "Chart as PNG…", "Chart as PDF…" and
/// "Table as CSV…", the same code as the charts' and tables' context menus (chartexport.h, tableexport.h).
/// Which chart or table: the one the keyboard focus was last in (tables), else the only one on screen, else
/// the user picks from those on screen (a list: arrows and Enter). Nothing on screen: a message says so.
/// Returns the submenu, inserted before `before` (nullptr: at the end).
QMenu *addExportMenu(QMainWindow *window, QMenu *fileMenu, QAction *before);

/// Charts with the export actions that are on screen in `window` now, in the window's order.
QList<QCustomPlot *> shownCharts(const QWidget *window);
/// Tables with the export action that are on screen in `window` now, in the window's order.
QList<QAbstractItemView *> shownTables(const QWidget *window);

} // namespace poolscope::widgets
