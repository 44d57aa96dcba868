#include "textfields.h"

#include <zlib.h>

namespace poolscope::record::fields {

namespace {

// A frame never inflates beyond this: a damaged (or hostile) file cannot exhaust memory.
constexpr qsizetype kMaxFrameText = 256 * 1024 * 1024;

} // namespace

QByteArray deflateWith(const QByteArray &text, const QByteArray &dictionary)
{
    z_stream zs{};
    if (deflateInit(&zs, 6) != Z_OK)
        return {};
    if (!dictionary.isEmpty())
        deflateSetDictionary(&zs, reinterpret_cast<const Bytef *>(dictionary.constData()),
                             uInt(dictionary.size()));
    QByteArray out(qsizetype(deflateBound(&zs, uLong(text.size()))), Qt::Uninitialized);
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(text.constData()));
    zs.avail_in = uInt(text.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = uInt(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(rc == Z_STREAM_END ? qsizetype(zs.total_out) : 0);
    deflateEnd(&zs);
    return out;
}

bool inflateWith(const QByteArray &data, const QByteArray &dictionary, QByteArray *text)
{
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK)
        return false;
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    zs.avail_in = uInt(data.size());
    char chunk[16384];
    bool ok = false;
    text->clear();
    for (;;) {
        zs.next_out = reinterpret_cast<Bytef *>(chunk);
        zs.avail_out = sizeof(chunk);
        int rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_NEED_DICT) {
            if (dictionary.isEmpty() ||
                inflateSetDictionary(&zs, reinterpret_cast<const Bytef *>(dictionary.constData()),
                                     uInt(dictionary.size())) != Z_OK)
                break;
            rc = inflate(&zs, Z_NO_FLUSH);
        }
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        text->append(chunk, qsizetype(sizeof(chunk) - zs.avail_out));
        if (text->size() > kMaxFrameText)
            break;
        if (rc == Z_STREAM_END) {
            ok = true;
            break;
        }
        if (zs.avail_in == 0 && zs.avail_out != 0)
            break; // the stream ends early: truncated
    }
    inflateEnd(&zs);
    return ok;
}

void appendEscaped(QByteArray &out, const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            out += c;
        }
    }
}

std::optional<QString> unescape(const QByteArray &field)
{
    if (field == kNull)
        return std::nullopt;
    QByteArray out;
    out.reserve(field.size());
    for (qsizetype i = 0; i < field.size(); ++i) {
        const char c = field.at(i);
        if (c != '\\' || i + 1 == field.size()) {
            out += c;
            continue;
        }
        const char n = field.at(++i);
        out += n == 't' ? '\t' : n == 'n' ? '\n' : n == 'r' ? '\r' : n;
    }
    return QString::fromUtf8(out);
}

std::optional<qint64> toInt(const std::optional<QString> &v, bool *ok)
{
    if (!v)
        return std::nullopt;
    bool good = false;
    const qint64 n = v->toLongLong(&good);
    if (!good)
        *ok = false;
    return n;
}

std::optional<double> toReal(const std::optional<QString> &v, bool *ok)
{
    if (!v)
        return std::nullopt;
    bool good = false;
    const double n = v->toDouble(&good);
    if (!good)
        *ok = false;
    return n;
}

} // namespace poolscope::record::fields
