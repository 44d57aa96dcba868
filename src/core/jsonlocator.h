#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace poolscope {

/// Where each key of a JSON text sits, so an error can name "apps[1].pool_size (line 12)". QJsonDocument
/// parses the values; this only scans the text for the line of every object key and array element, by path
/// ("postgres.max_connections", "apps[0]", "apps[0].traffic.arrival_rate_per_s"). For well-formed JSON only:
/// on malformed text it stops where it got lost and keeps what it found.
class JsonLocator
{
public:
    explicit JsonLocator(const QByteArray &json);
    /// The 1-based line of `path`; 0 when unknown.
    int line(const QString &path) const { return m_lines.value(path); }
    /// The 1-based line of a byte offset (QJsonParseError::offset).
    static int lineOfOffset(const QByteArray &json, qsizetype offset);

private:
    QHash<QString, int> m_lines;
};

} // namespace poolscope
