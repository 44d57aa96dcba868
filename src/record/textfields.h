#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

// The text form of the recording's compressed frames (session lists, pooler connection rounds): one record
// per line, tab-separated fields with tabs, newlines and backslashes escaped and \N for unknown, in a zlib
// stream. Shared by the session and the pooler codecs. README "Recording file format".
namespace poolscope::record::fields {

inline constexpr char kNull[] = "\\N";

/// zlib stream of `text`, with `dictionary` preset when not empty.
QByteArray deflateWith(const QByteArray &text, const QByteArray &dictionary = {});
/// The text of a zlib stream; false when it is damaged, needs a dictionary it was not given (a delta
/// without its keyframe), or is too large (a damaged or hostile file cannot exhaust memory).
bool inflateWith(const QByteArray &data, const QByteArray &dictionary, QByteArray *text);

void appendEscaped(QByteArray &out, const QString &text);
/// The field unescaped; nullopt for \N.
std::optional<QString> unescape(const QByteArray &field);
/// The field as a number; nullopt when unknown, and `ok` set to false when it is not a number.
std::optional<qint64> toInt(const std::optional<QString> &v, bool *ok);
std::optional<double> toReal(const std::optional<QString> &v, bool *ok);

/// Builds one line, field by field.
struct Writer
{
    QByteArray out;
    bool first = true;
    void sep()
    {
        if (!first)
            out += '\t';
        first = false;
    }
    void text(const QString &v)
    {
        sep();
        appendEscaped(out, v);
    }
    void optText(const std::optional<QString> &v)
    {
        sep();
        if (v)
            appendEscaped(out, *v);
        else
            out += kNull;
    }
    void integer(qint64 v)
    {
        sep();
        out += QByteArray::number(v);
    }
    void optInt(const std::optional<qint64> &v)
    {
        sep();
        out += v ? QByteArray::number(*v) : QByteArray(kNull);
    }
    void optReal(const std::optional<double> &v)
    {
        sep();
        out += v ? QByteArray::number(*v, 'f', 6) : QByteArray(kNull);
    }
};

} // namespace poolscope::record::fields
