#pragma once

#include <QFrame>
#include <QScrollArea>

namespace poolscope::widgets {

/// `content` in a frameless scroll area that gives it all the room there is and scrolls only when the
/// window is smaller than the content's minimum: a page or dock never forces the window past the screen
/// (1280×800 with any docks open), and its charts keep their readable minimum heights.
inline QScrollArea *scrollable(QWidget *content, QWidget *parent = nullptr)
{
    auto *area = new QScrollArea(parent);
    area->setFrameShape(QFrame::NoFrame);
    area->setWidgetResizable(true);
    area->setWidget(content);
    return area;
}

} // namespace poolscope::widgets
