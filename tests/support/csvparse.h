#pragma once
// A strict RFC 4180 reader for the tests of the CSV export: a field that would split or merge records, a
// quote inside an unquoted field, text after a closing quote or an unclosed quote make the whole text
// invalid.
#include <QList>
#include <QString>
#include <QStringList>

namespace poolscope::test {

/// RFC 4180 records (CRLF or LF between records; quoted fields may hold anything, "" is a quote); empty
/// when the text is not RFC 4180.
inline QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> records;
    QStringList record;
    QString field;
    bool quoted = false, wasQuoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text.at(i + 1) == u'"') {
                field += u'"';
                ++i;
            } else if (c == u'"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == u'"') {
            if (!field.isEmpty())
                return {}; // a quote inside an unquoted field: not RFC 4180
            quoted = wasQuoted = true;
        } else if (c == u',') {
            record.append(field);
            field.clear();
            wasQuoted = false;
        } else if (c == u'\r' && i + 1 < text.size() && text.at(i + 1) == u'\n') {
            continue;
        } else if (c == u'\n') {
            record.append(field);
            records.append(record);
            record.clear();
            field.clear();
            wasQuoted = false;
        } else {
            if (wasQuoted)
                return {}; // text after a closing quote
            field += c;
        }
    }
    if (quoted)
        return {};
    if (!field.isEmpty() || !record.isEmpty()) {
        record.append(field);
        records.append(record);
    }
    return records;
}

} // namespace poolscope::test
