#pragma once

#include <QRegularExpression>
#include <QString>

namespace poolscope::widgets {

/// A number and its unit never part at a line break in a message box ("1 min 9 s", "12.5 ms", "80 %",
/// "3.2 /s"): the spaces inside a value become no-break spaces. Words and other numbers are left alone.
inline QString keepValuesTogether(QString text)
{
    static const QRegularExpression unit(QStringLiteral("(\\d) (?=(?:ms|s|min|h|/s|MB|kB|GB)\\b|%)"));
    static const QRegularExpression minutes(QStringLiteral("(\\d\\x{00a0}(?:min|h)) (?=\\d)"));
    text.replace(unit, QStringLiteral("\\1\u00a0"));
    text.replace(minutes, QStringLiteral("\\1\u00a0"));
    return text;
}

} // namespace poolscope::widgets
