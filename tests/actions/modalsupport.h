#pragma once
// Answering the modal message boxes of the action widgets from a test.

#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QTest>
#include <QTimer>

namespace poolscope::test {

/// Answers the next modal QMessageBox: records its text, then presses `key` (Enter, Escape) or, with key 0,
/// clicks its Yes button (OK when it has no Yes).
inline void answerMessageBox(QString *seenText, int key)
{
    QTimer::singleShot(50, [seenText, key] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box) {
            answerMessageBox(seenText, key); // not shown yet
            return;
        }
        *seenText = box->text();
        if (key != 0)
            QTest::keyClick(box, Qt::Key(key));
        else if (QAbstractButton *yes = box->button(QMessageBox::Yes))
            yes->click();
        else
            box->button(QMessageBox::Ok)->click();
    });
}

} // namespace poolscope::test
