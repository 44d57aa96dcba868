#pragma once

#include "core/auditentry.h"
#include "recordingreader.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::record {

/// A finding of the recording that was open at some moment of the window (its latest recorded state).
struct IncidentFinding
{
    qint64 id = 0;
    QString target; // where it showed
    QStringList targets;
    QString rule;
    QString subject;
    QString severity; // info, warning, critical
    QString layer;
    QString status;        // active, action-taken, recovered, still-present, resolved
    qint64 sinceMs = 0;    // when the condition began
    qint64 raisedAtMs = 0; // first seen
    qint64 lastSeenMs = 0;
    std::optional<qint64> endedAtMs;
    QString summary;
    QStringList advice;
    QJsonObject evidence;
    QList<qint64> pids;
    QStringList pools;
    QString actionTaken; // what was done about it, when an action was
    std::optional<qint64> actionAtMs;
};

/// A simulated load run (load_start … load_stop markers).
struct IncidentLoadRun
{
    qint64 startMs = 0;
    std::optional<qint64> endMs; // still running at the end of the recording
    QString target;
    QString label; // the scenario
};

/// What a target did in the window, from the samples' own columns.
struct IncidentTarget
{
    RecordedTarget target;
    int samples = 0;
    int failed = 0;
    QString lastError;
    std::optional<int> peakSessions;
    std::optional<int> usableConnections; // at the peak
    std::optional<int> peakIdleInTransaction;
    std::optional<double> peakTps;
    // PgBouncer
    int pools = 0;
    std::optional<int> peakClientsWaiting;
    std::optional<double> longestWaitS; // maxwait
};

/// Everything an incident report says about a window of a recording, apart from the charts: the targets and
/// their peaks, the findings open in the window (raised before its end, not ended before its start) in the
/// order they were raised, the actions of the audit log made in it (load runs apart), the load runs that
/// overlap it and the recording's own pauses in it. Pure: read from the file, nothing drawn.
struct IncidentData
{
    QString path;
    QString createdBy;           // "poolscope 0.1.0"
    qint64 recordingStartMs = 0; // first and last sample of the whole recording
    qint64 recordingEndMs = 0;
    qint64 fromMs = 0;
    qint64 toMs = 0;
    QList<IncidentTarget> targets;
    QList<IncidentFinding> findings;
    QList<audit::Entry> actions;
    QList<IncidentLoadRun> loadRuns;
    QList<RecordingMarker> pauses; // recording_paused / recording_resumed in the window
};

/// Reads the window [fromMs, toMs] of an open recording. False with `error` when a table cannot be read.
bool gatherIncident(const RecordingReader &reader, const QString &path, qint64 fromMs, qint64 toMs,
                    IncidentData *data, QString *error);

} // namespace poolscope::record
