#include "sessioncodec.h"

#include "textfields.h"

#include <QSet>
#include <QString>
#include <algorithm>
#include <utility>

namespace poolscope::record {

using namespace fields;

namespace {

// zlib uses at most the last 32 KiB of a preset dictionary.
constexpr qsizetype kDictionaryBytes = 32 * 1024;

/// The preset dictionary for the deltas after keyframe `text`: every distinct field of it (names, addresses,
/// queries: what changed sessions repeat, whichever session changes) and then as much of its end as fits
/// in zlib's 32 KiB window. Encoder and decoder build it the same way from the same text.
QByteArray dictionaryOf(const QByteArray &text)
{
    QByteArray fields;
    QSet<QByteArray> seen;
    qsizetype begin = 0;
    for (qsizetype i = 0; i <= text.size(); ++i) {
        if (i < text.size() && text.at(i) != '\t' && text.at(i) != '\n')
            continue;
        const QByteArray field = text.mid(begin, i - begin);
        begin = i + 1;
        if (field.size() < 4 || seen.contains(field) || std::all_of(field.cbegin(), field.cend(), [](char c) {
                return (c >= '0' && c <= '9') || c == '.';
            }))
            continue; // numbers (pids, times) are the session's own: they would only take the room
        if (fields.size() + field.size() + 1 > kDictionaryBytes / 2)
            break;
        seen.insert(field);
        fields += field + '\t';
    }
    return fields + text.right(kDictionaryBytes - fields.size());
}

} // namespace

const QStringList &sessionColumns()
{
    static const QStringList columns{QStringLiteral("pid"),
                                     QStringLiteral("backend_start"),
                                     QStringLiteral("datname"),
                                     QStringLiteral("usename"),
                                     QStringLiteral("application_name"),
                                     QStringLiteral("client_addr"),
                                     QStringLiteral("client_port"),
                                     QStringLiteral("backend_type"),
                                     QStringLiteral("state"),
                                     QStringLiteral("wait_event_type"),
                                     QStringLiteral("wait_event"),
                                     QStringLiteral("xact_start"),
                                     QStringLiteral("query_start"),
                                     QStringLiteral("state_change"),
                                     QStringLiteral("query"),
                                     QStringLiteral("hidden"),
                                     QStringLiteral("leader_pid"),
                                     QStringLiteral("query_id"),
                                     QStringLiteral("backend_xmin_age"),
                                     QStringLiteral("backend_xid_age"),
                                     QStringLiteral("blocked_by")};
    return columns;
}

QByteArray encodeSession(const Session &s)
{
    Writer w;
    w.out.reserve(128 + s.query.size());
    w.integer(s.pid);
    w.optReal(s.backendStart);
    w.text(s.datname);
    w.text(s.usename);
    w.text(s.applicationName);
    w.text(s.clientAddr);
    w.optInt(s.clientPort);
    w.text(s.backendType);
    w.optText(s.state);
    w.text(s.waitEventType);
    w.text(s.waitEvent);
    w.optReal(s.xactStart);
    w.optReal(s.queryStart);
    w.optReal(s.stateChange);
    w.text(s.query);
    w.integer(s.hidden ? 1 : 0);
    w.optInt(s.leaderPid);
    w.optInt(s.queryId);
    w.optInt(s.backendXminAge);
    w.optInt(s.backendXidAge);
    QStringList blockers;
    for (const qint64 pid : s.blockedBy)
        blockers.append(QString::number(pid));
    w.text(blockers.join(QLatin1Char(' ')));
    return w.out;
}

QList<std::optional<QString>> sessionFields(const QByteArray &line)
{
    const QList<QByteArray> parts = line.split('\t');
    if (parts.size() != sessionColumns().size())
        return {};
    QList<std::optional<QString>> fields;
    fields.reserve(parts.size());
    for (const QByteArray &p : parts)
        fields.append(unescape(p));
    return fields;
}

bool decodeSession(const QByteArray &line, Session *s)
{
    const QList<std::optional<QString>> f = sessionFields(line);
    if (f.isEmpty() || !f[0])
        return false;
    bool ok = true;
    auto str = [&](int i) {
        return f[i].value_or(QString());
    };
    s->pid = toInt(f[0], &ok).value_or(0);
    s->backendStart = toReal(f[1], &ok);
    s->datname = str(2);
    s->usename = str(3);
    s->applicationName = str(4);
    s->clientAddr = str(5);
    s->clientPort = toInt(f[6], &ok);
    s->backendType = str(7);
    s->state = f[8];
    s->waitEventType = str(9);
    s->waitEvent = str(10);
    s->xactStart = toReal(f[11], &ok);
    s->queryStart = toReal(f[12], &ok);
    s->stateChange = toReal(f[13], &ok);
    s->query = str(14);
    s->hidden = str(15) == QLatin1String("1");
    s->leaderPid = toInt(f[16], &ok);
    s->queryId = toInt(f[17], &ok);
    s->backendXminAge = toInt(f[18], &ok);
    s->backendXidAge = toInt(f[19], &ok);
    s->blockedBy.clear();
    for (const QString &p : str(20).split(QLatin1Char(' '), Qt::SkipEmptyParts))
        s->blockedBy.append(p.toLongLong());
    return ok;
}

std::optional<SessionFrame> SessionFrameEncoder::encode(const QList<Session> &sessions, int keyframeEvery)
{
    // The sampler hands the previous sample's list on when nothing changed (ActivityCache): no need to look.
    if (!m_needKeyframe && m_sinceKeyframe + 1 < keyframeEvery && !m_last.isEmpty() &&
        m_last.isSharedWith(sessions)) {
        ++m_sinceKeyframe;
        return std::nullopt;
    }
    m_last = sessions;
    QMap<qint64, QByteArray> rows;
    for (const Session &s : sessions)
        rows.insert(s.pid, encodeSession(s));
    const bool keyframe = m_needKeyframe || m_sinceKeyframe + 1 >= keyframeEvery;
    QByteArray text;
    int changes = 0;
    if (keyframe) {
        for (auto it = rows.cbegin(); it != rows.cend(); ++it) {
            text += '+' + it.value() + '\n';
            ++changes;
        }
    } else {
        for (auto it = rows.cbegin(); it != rows.cend(); ++it) {
            const auto old = m_rows.constFind(it.key());
            if (old == m_rows.cend() || old.value() != it.value()) {
                text += '+' + it.value() + '\n';
                ++changes;
            }
        }
        for (auto it = m_rows.cbegin(); it != m_rows.cend(); ++it) {
            if (!rows.contains(it.key())) {
                text += '-' + QByteArray::number(it.key()) + '\n';
                ++changes;
            }
        }
    }
    m_rows = std::move(rows);
    if (!keyframe && changes == 0) {
        ++m_sinceKeyframe; // an unchanged sample costs nothing, but counts towards the next keyframe
        return std::nullopt;
    }
    m_needKeyframe = false;
    m_sinceKeyframe = keyframe ? 0 : m_sinceKeyframe + 1;
    if (keyframe) {
        const QByteArray data = deflateWith(text, {});
        m_dictionary = dictionaryOf(text); // deltas repeat its names, queries and addresses
        return SessionFrame{true, changes, data};
    }
    return SessionFrame{false, changes, deflateWith(text, m_dictionary)};
}

void SessionFrameEncoder::reset()
{
    m_needKeyframe = true;
}

bool SessionFrameDecoder::apply(const QByteArray &data, bool keyframe, QString *error)
{
    if (!keyframe && !m_haveKeyframe) {
        if (error)
            *error = QStringLiteral("a session delta without its keyframe");
        return false;
    }
    QByteArray text;
    if (!inflateWith(data, keyframe ? QByteArray() : m_dictionary, &text)) {
        if (error)
            *error = QStringLiteral("a session frame cannot be uncompressed");
        return false;
    }
    QMap<qint64, QByteArray> previous; // a keyframe lists every row again: most are what they were
    if (keyframe) {
        previous = std::exchange(m_rows, {});
        m_dictionary = dictionaryOf(text);
        m_haveKeyframe = true;
    }
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty())
            continue;
        const QByteArray body = line.mid(1);
        if (line.at(0) == '+') {
            const qsizetype tab = body.indexOf('\t');
            bool ok = false;
            const qint64 pid = body.left(tab).toLongLong(&ok);
            if (!ok || tab < 0) {
                if (error)
                    *error = QStringLiteral("a session line is malformed");
                return false;
            }
            const auto before = keyframe ? previous.constFind(pid) : m_rows.constFind(pid);
            if (before == (keyframe ? previous.cend() : m_rows.cend()) || *before != body)
                m_decoded.remove(pid);
            m_rows.insert(pid, body);
        } else if (line.at(0) == '-') {
            const qint64 pid = body.toLongLong();
            m_rows.remove(pid);
            m_decoded.remove(pid);
        } else {
            if (error)
                *error = QStringLiteral("a session frame holds an unknown line");
            return false;
        }
    }
    return true;
}

QList<Session> SessionFrameDecoder::sessions() const
{
    QList<Session> out;
    out.reserve(m_rows.size());
    if (m_decoded.size() > m_rows.size())
        m_decoded.clear(); // rows a keyframe dropped
    for (auto it = m_rows.cbegin(); it != m_rows.cend(); ++it) {
        auto cached = m_decoded.constFind(it.key());
        if (cached == m_decoded.cend()) {
            Session s;
            if (!decodeSession(it.value(), &s))
                continue;
            cached = m_decoded.insert(it.key(), std::move(s));
        }
        out.append(*cached);
    }
    return out;
}

} // namespace poolscope::record
