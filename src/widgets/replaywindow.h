#pragma once

#include <QList>
#include <QMainWindow>
#include <memory>
#include <vector>

class QAction;
class QLabel;
class QSlider;
class QTabWidget;
class QTreeWidget;

namespace poolscope {
class SeriesSet;
}
namespace poolscope::record {
class RecordingReader;
}

namespace poolscope::widgets {

class TargetPage;

/// A recording (`poolscope record`, README "Recording") shown in the views of a live target: one TargetPage
/// per recorded target (charts, Sessions tab, pools), the findings open at the moment, and a timeline
/// scrubber. Dragging the scrubber shows every page as it was at that moment (its newest sample at or before
/// it); the charts hold the whole recording. Actions are disabled; the title and the status bar say REPLAY.
class ReplayWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit ReplayWindow(QWidget *parent = nullptr);
    ~ReplayWindow() override;

    /// Reads the recording and shows its last moment. False with `error` ("FILE: damaged: ...") when it
    /// cannot be read; the window then shows nothing.
    bool openRecording(const QString &path, QString *error);

    /// Moments on the timeline (every distinct sample time, all targets together).
    int positionCount() const { return int(m_timeline.size()); }
    int position() const;
    /// Shows moment `index` (0 = the first sample), as the scrubber does.
    void setPosition(int index);
    qint64 positionTimeMs() const;
    int pageCount() const { return int(m_targets.size()); }
    TargetPage *page(int index) const;
    QSlider *scrubber() const { return m_slider; }
    /// Findings open at the current moment: one row each (target, rule, severity, summary).
    QTreeWidget *findingsView() const { return m_findings; }
    /// How long the last setPosition() took, in ms (scrub latency).
    double lastScrubMs() const { return m_lastScrubMs; }

private:
    struct Replayed;
    void showMoment(qint64 tMs);

    std::unique_ptr<record::RecordingReader> m_reader;
    std::vector<std::unique_ptr<Replayed>> m_targets;
    QList<qint64> m_timeline;
    QString m_path;
    QTabWidget *m_tabs;
    QTreeWidget *m_findings;
    QSlider *m_slider;
    QLabel *m_time;
    QAction *m_reportAction = nullptr;
    double m_lastScrubMs = 0;
};

} // namespace poolscope::widgets
