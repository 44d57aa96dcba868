#include "exportmenu.h"

#include "widgets/chartexport.h"
#include "widgets/qcp.h"
#include "widgets/tableexport.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QInputDialog>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>

namespace poolscope::widgets {

namespace {

/// The widget of `window` that last had the keyboard focus, menus and the menu bar aside: opening File →
/// Export from the keyboard moves the focus to the menu bar first.
class FocusMemory : public QObject
{
public:
    explicit FocusMemory(QWidget *window) : QObject(window), m_window(window)
    {
        connect(qApp, &QApplication::focusChanged, this, [this](QWidget *, QWidget *now) {
            if (now && now->window() == m_window && !qobject_cast<QMenuBar *>(now) &&
                !qobject_cast<QMenu *>(now))
                m_last = now;
        });
    }
    QWidget *last() const { return m_last; }

private:
    QWidget *m_window;
    QPointer<QWidget> m_last;
};

template <typename T> T *ancestorOf(QWidget *w)
{
    for (; w; w = w->parentWidget()) {
        if (auto *t = qobject_cast<T *>(w))
            return t;
    }
    return nullptr;
}

/// One of `names` picked by the user (the first preselected); -1 when cancelled.
int pick(QWidget *parent, const QString &title, const QString &label, const QStringList &names)
{
    if (names.size() == 1)
        return 0;
    bool ok = false;
    const QString chosen = QInputDialog::getItem(parent, title, label, names, 0, false, &ok);
    return ok ? int(names.indexOf(chosen)) : -1;
}

void exportChart(QMainWindow *window, ChartFormat format)
{
    const QString title =
        format == ChartFormat::Png ? QObject::tr("Export chart as PNG") : QObject::tr("Export chart as PDF");
    const QList<QCustomPlot *> charts = shownCharts(window);
    if (charts.isEmpty()) {
        QMessageBox::information(window, title,
                                 QObject::tr("No chart is shown: open a target's charts first."));
        return;
    }
    QStringList names;
    for (QCustomPlot *c : charts)
        names.append(chartTitle(c));
    // Charts of several targets can share titles: number them in the list.
    for (int i = 0; i < names.size(); ++i) {
        if (names.count(names.at(i)) > 1)
            names[i] = QStringLiteral("%1 (%2)").arg(names.at(i)).arg(i + 1);
    }
    const int i = pick(window, title, QObject::tr("Chart:"), names);
    if (i >= 0)
        saveChartInteractive(charts.at(i), format, window);
}

void exportTable(QMainWindow *window, const FocusMemory *focus)
{
    const QString title = QObject::tr("Export table as CSV");
    if (auto *view = ancestorOf<QAbstractItemView>(focus->last());
        view && tableExportAction(view) && view->isVisible()) {
        exportTableInteractive(view, window);
        return;
    }
    const QList<QAbstractItemView *> tables = shownTables(window);
    if (tables.isEmpty()) {
        QMessageBox::information(window, title,
                                 QObject::tr("No table is shown: open the Sessions tab, the pools or the "
                                             "Findings first."));
        return;
    }
    QStringList names;
    for (QAbstractItemView *t : tables)
        names.append(tableExportName(t));
    const int i = pick(window, title, QObject::tr("Table:"), names);
    if (i >= 0)
        exportTableInteractive(tables.at(i), window);
}

} // namespace

QList<QCustomPlot *> shownCharts(const QWidget *window)
{
    QList<QCustomPlot *> out;
    for (QCustomPlot *c : window->findChildren<QCustomPlot *>()) {
        if (c->isVisible() && chartExportAction(c, "actionSaveChartPng"))
            out.append(c);
    }
    return out;
}

QList<QAbstractItemView *> shownTables(const QWidget *window)
{
    QList<QAbstractItemView *> out;
    for (QAbstractItemView *v : window->findChildren<QAbstractItemView *>()) {
        if (v->isVisible() && tableExportAction(v))
            out.append(v);
    }
    return out;
}

QMenu *addExportMenu(QMainWindow *window, QMenu *fileMenu, QAction *before)
{
    auto *focus = new FocusMemory(window);
    auto *menu = new QMenu(QObject::tr("&Export"), fileMenu);
    menu->setObjectName(QStringLiteral("menuExport"));
    QAction *png = menu->addAction(QObject::tr("Chart as &PNG…"));
    png->setObjectName(QStringLiteral("actionExportChartPng"));
    QAction *pdf = menu->addAction(QObject::tr("Chart as P&DF…"));
    pdf->setObjectName(QStringLiteral("actionExportChartPdf"));
    QAction *csv = menu->addAction(QObject::tr("&Table as CSV…"));
    csv->setObjectName(QStringLiteral("actionExportTableCsv"));
    csv->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    QObject::connect(png, &QAction::triggered, window, [window] { exportChart(window, ChartFormat::Png); });
    QObject::connect(pdf, &QAction::triggered, window, [window] { exportChart(window, ChartFormat::Pdf); });
    QObject::connect(csv, &QAction::triggered, window, [window, focus] { exportTable(window, focus); });
    fileMenu->insertMenu(before, menu);
    return menu;
}

} // namespace poolscope::widgets
