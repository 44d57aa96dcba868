#pragma once

#include "widgets/chartmarkers.h"

#include <QDateTime>
#include <QList>
#include <QTime>

namespace poolscope::widgets {

/// The actions taken from the window (terminate, cancel, pooler commands), marked on every target's charts
/// the way load runs are: a line at the moment it ran, labelled with what it did, the target and outcome in
/// its tooltip. The newest kMax are kept. GUI thread only.
class ActionMarks
{
public:
    static constexpr int kMax = 50;
    static constexpr int kLabelChars = 40;

    void add(const QString &what, const QString &target, const QString &result)
    {
        const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        ChartMarker m;
        m.kind = ChartMarker::Kind::Event;
        m.start = m.end = now;
        m.label = what.size() > kLabelChars ? what.left(kLabelChars - 1) + QChar(0x2026) : what;
        m.color = QColor(0x7c, 0x3a, 0xed); // violet: neither a session state nor a finding's severity
        m.toolTip = QStringLiteral("%1 at %2 on %3: %4")
                        .arg(what, QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), target, result);
        m_marks.append(m);
        if (m_marks.size() > kMax)
            m_marks.removeFirst();
    }
    const QList<ChartMarker> &markers() const { return m_marks; }

private:
    QList<ChartMarker> m_marks;
};

} // namespace poolscope::widgets
