#pragma once

#include <QString>
#include <QStringList>

namespace poolscope::record {

class RecordingReader;

enum class ExportFormat
{
    Csv,  // <table>.csv, RFC 4180, a header row
    Json, // <table>.json, an array of objects
};

struct ExportResult
{
    bool ok = false;
    QString error;
    QStringList files;                  // written, in table order
    QList<QPair<QString, qint64>> rows; // table -> rows written
};

/// Writes every table of the recording into `dir` (created if missing), one file per table: meta, targets,
/// samples, sessions (decoded: one row per session per sample, with the sample's id, target and time),
/// pools, findings, audit, markers. Stops at the first error (a damaged frame, a file that cannot be
/// written) and says which.
ExportResult exportRecording(const RecordingReader &reader, const QString &dir, ExportFormat format);

} // namespace poolscope::record
