#pragma once

#include "core/postgressample.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QMap>
#include <QStringList>
#include <optional>

// How a PostgreSQL target's session list is stored: one compressed frame per sample in which anything
// changed. A keyframe holds every session; a delta holds the sessions that are new or changed ("+" lines)
// and the pids that went away ("-" lines). Frames are zlib streams; a delta is compressed with its
// keyframe's text (the last 32 KiB) as the preset dictionary, so a changed session costs little more than
// what changed. README "Recording file format".
namespace poolscope::record {

/// The session fields in stored (and exported) order.
const QStringList &sessionColumns();

/// One session as a tab-separated line in sessionColumns() order (tabs, newlines and backslashes escaped,
/// \N for unknown).
QByteArray encodeSession(const Session &session);
/// The reverse of encodeSession(); false on a malformed line.
bool decodeSession(const QByteArray &line, Session *session);
/// The line's fields, unescaped (nullopt for \N), in sessionColumns() order; empty on a malformed line.
QList<std::optional<QString>> sessionFields(const QByteArray &line);

struct SessionFrame
{
    bool keyframe = false;
    int changes = 0; // lines in the frame
    QByteArray data; // zlib stream (deltas: with the keyframe's dictionary)
};

/// Turns consecutive session lists of one target into frames.
class SessionFrameEncoder
{
public:
    /// The frame for this sample; nullopt when nothing changed since the previous one (nothing is stored).
    /// A keyframe every `keyframeEvery` frames, on the first call and after reset().
    std::optional<SessionFrame> encode(const QList<Session> &sessions, int keyframeEvery);
    /// The next frame is a keyframe (after a gap: a failed sample, a frame that could not be written).
    void reset();

private:
    QMap<qint64, QByteArray> m_rows; // pid -> encoded line
    QList<Session> m_last;           // the list last encoded (shared, not copied)
    QByteArray m_dictionary; // the last keyframe's text (its last 32 KiB): deltas are compressed with it
    int m_sinceKeyframe = 0;
    bool m_needKeyframe = true;
};

/// Rebuilds session lists from a keyframe and the deltas after it, in order.
class SessionFrameDecoder
{
public:
    /// False (and `error`) when the frame cannot be decoded: the recording is damaged.
    bool apply(const QByteArray &data, bool keyframe, QString *error);
    void clear()
    {
        m_rows.clear();
        m_decoded.clear();
        m_haveKeyframe = false;
    }
    int size() const { return int(m_rows.size()); }
    /// The encoded lines, by pid.
    const QMap<qint64, QByteArray> &lines() const { return m_rows; }
    /// The sessions, in pid order. A session whose line did not change since the last call is not decoded
    /// again (reading a day of samples in order decodes what changed, not every session of every sample).
    QList<Session> sessions() const;

private:
    QMap<qint64, QByteArray> m_rows;
    mutable QHash<qint64, Session> m_decoded; // by pid, for the lines in m_rows as they are
    QByteArray m_dictionary;
    bool m_haveKeyframe = false;
};

} // namespace poolscope::record
