#include "recordingexport.h"

#include "poolercodec.h"
#include "recordingreader.h"
#include "sessioncodec.h"
#include "sqlitedb.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QLocale>
#include <QSet>
#include <cmath>
#include <sqlite3.h>

namespace poolscope::record {

namespace {

/// One output file: a header, then rows of values (null, integer, real, text).
class TableFile
{
public:
    TableFile(const QString &path, ExportFormat format) : m_file(path), m_format(format) {}

    bool open(const QStringList &columns)
    {
        m_columns = columns;
        if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        if (m_format == ExportFormat::Csv) {
            QByteArray line;
            for (int i = 0; i < columns.size(); ++i) {
                if (i)
                    line += ',';
                line += csv(columns.at(i));
            }
            return write(line + "\r\n");
        }
        return write("[");
    }

    bool row(const QList<QJsonValue> &values)
    {
        QByteArray line;
        if (m_format == ExportFormat::Csv) {
            for (int i = 0; i < values.size(); ++i) {
                if (i)
                    line += ',';
                const QJsonValue &v = values.at(i);
                if (v.isDouble())
                    line += number(v.toDouble());
                else if (v.isString())
                    line += csv(v.toString());
                else if (v.isBool())
                    line += v.toBool() ? "true" : "false";
                // null: empty field
            }
            line += "\r\n";
        } else {
            QJsonObject o;
            for (int i = 0; i < values.size() && i < m_columns.size(); ++i)
                o.insert(m_columns.at(i), values.at(i));
            line = (m_rows ? ",\n" : "\n") + QJsonDocument(o).toJson(QJsonDocument::Compact);
        }
        ++m_rows;
        return write(line);
    }

    bool finish()
    {
        if (m_format == ExportFormat::Json && !write("\n]\n"))
            return false;
        m_file.close();
        return m_file.error() == QFileDevice::NoError;
    }

    qint64 rows() const { return m_rows; }
    QString errorString() const { return m_file.errorString(); }

private:
    static QByteArray number(double v)
    {
        if (v == double(qint64(v)) && std::abs(v) < 9e15)
            return QByteArray::number(qint64(v));
        return QByteArray::number(v, 'g', QLocale::FloatingPointShortest);
    }
    static QByteArray csv(const QString &text)
    {
        QByteArray utf8 = text.toUtf8();
        if (utf8.contains(',') || utf8.contains('"') || utf8.contains('\n') || utf8.contains('\r')) {
            utf8.replace("\"", "\"\"");
            return '"' + utf8 + '"';
        }
        return utf8;
    }
    bool write(const QByteArray &bytes) { return m_file.write(bytes) == bytes.size(); }

    QFile m_file;
    ExportFormat m_format;
    QStringList m_columns;
    qint64 m_rows = 0;
};

QJsonValue valueOf(const Statement &s, int c)
{
    switch (s.columnType(c)) {
    case SQLITE_INTEGER:
        return QJsonValue(double(s.int64(c)));
    case SQLITE_FLOAT:
        return QJsonValue(s.real(c));
    case SQLITE_TEXT:
        return QJsonValue(s.text(c));
    default:
        return QJsonValue(QJsonValue::Null);
    }
}

/// A decoded field as exported: numbers as numbers, except in the columns that hold text (a query, a
/// name, an address, a state) whatever it looks like; unknown as null.
QJsonValue exportValue(const QString &column, const std::optional<QString> &field)
{
    if (!field)
        return QJsonValue(QJsonValue::Null);
    static const QSet<QString> textColumns{
        QStringLiteral("query"),      QStringLiteral("blocked_by"),   QStringLiteral("client_addr"),
        QStringLiteral("state"),      QStringLiteral("backend_type"), QStringLiteral("type"),
        QStringLiteral("database"),   QStringLiteral("user"),         QStringLiteral("addr"),
        QStringLiteral("local_addr"), QStringLiteral("ptr"),          QStringLiteral("link"),
        QStringLiteral("tls"),        QStringLiteral("replication")};
    if (textColumns.contains(column) || column.endsWith(QLatin1String("name")) ||
        column.startsWith(QLatin1String("wait_event")))
        return *field;
    bool numeric = false;
    const double d = field->toDouble(&numeric);
    return numeric ? QJsonValue(d) : QJsonValue(*field);
}

} // namespace

ExportResult exportRecording(const RecordingReader &reader, const QString &dir, ExportFormat format)
{
    ExportResult result;
    if (!QDir().mkpath(dir)) {
        result.error = QStringLiteral("cannot create the directory %1").arg(dir);
        return result;
    }
    const QString suffix = format == ExportFormat::Csv ? QStringLiteral(".csv") : QStringLiteral(".json");
    SqliteDb &db = reader.db();
    auto fileFor = [&](const QString &table) {
        return QDir(dir).filePath(table + suffix);
    };
    auto fail = [&](const QString &what) {
        result.error = what;
        return result;
    };

    // Tables as stored, except session_frames and pooler_rounds, which are written decoded as "sessions" and
    // "pooler_connections".
    const QList<std::pair<QString, const char *>> tables{
        {QStringLiteral("meta"), "SELECT key, value FROM meta ORDER BY key"},
        {QStringLiteral("targets"), "SELECT * FROM targets ORDER BY id"},
        {QStringLiteral("samples"), "SELECT * FROM samples ORDER BY id"},
        {QStringLiteral("sessions"), nullptr},
        {QStringLiteral("pools"), "SELECT * FROM pools ORDER BY sample_id, database, user"},
        {QStringLiteral("pooler_connections"), nullptr},
        {QStringLiteral("findings"), "SELECT * FROM findings ORDER BY id"},
        {QStringLiteral("audit"), "SELECT * FROM audit ORDER BY id"},
        {QStringLiteral("markers"), "SELECT * FROM markers ORDER BY t_ms, id"}};
    for (const auto &[table, sql] : tables) {
        TableFile out(fileFor(table), format);
        if (sql) {
            Statement s(db, sql);
            if (!s.isValid())
                return fail(QStringLiteral("reading %1: %2").arg(table, db.errorMessage()));
            QStringList columns;
            for (int c = 0; c < s.columnCount(); ++c)
                columns.append(s.columnName(c));
            if (!out.open(columns))
                return fail(QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                QList<QJsonValue> values;
                for (int c = 0; c < columns.size(); ++c)
                    values.append(valueOf(s, c));
                if (!out.row(values))
                    return fail(QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
            }
            if (rc != SQLITE_DONE)
                return fail(QStringLiteral("reading %1: %2").arg(table, db.errorMessage()));
        } else if (table == QLatin1String("pooler_connections")) {
            // Every stored SHOW CLIENTS / SHOW SERVERS round, one row per connection.
            QStringList columns{QStringLiteral("sample_id"), QStringLiteral("target_id"),
                                QStringLiteral("t_ms")};
            columns += poolerConnectionColumns();
            if (!out.open(columns))
                return fail(QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
            if (reader.schemaVersion() >= 2) {
                Statement s(db,
                            "SELECT sample_id, target_id, t_ms, data FROM pooler_rounds ORDER BY sample_id");
                int rc = SQLITE_ROW;
                while ((rc = s.step()) == SQLITE_ROW) {
                    QString error;
                    const auto rows = poolerRoundFields(s.blob(3), &error);
                    if (!rows)
                        return fail(QStringLiteral("sample %1: %2").arg(s.int64(0)).arg(error));
                    for (const QList<std::optional<QString>> &fields : *rows) {
                        QList<QJsonValue> values{double(s.int64(0)), double(s.int64(1)), double(s.int64(2))};
                        for (int i = 0; i < fields.size(); ++i)
                            values.append(exportValue(poolerConnectionColumns().at(i), fields.at(i)));
                        if (!out.row(values))
                            return fail(
                                QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
                    }
                }
                if (rc != SQLITE_DONE)
                    return fail(QStringLiteral("reading pooler_rounds: %1").arg(db.errorMessage()));
            }
        } else {
            // Every PostgreSQL sample's sessions, target by target, replaying the frames in order.
            QStringList columns{QStringLiteral("sample_id"), QStringLiteral("target_id"),
                                QStringLiteral("t_ms")};
            columns += sessionColumns();
            if (!out.open(columns))
                return fail(QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
            Statement s(db, "SELECT s.id, s.target_id, s.t_ms, f.keyframe, f.data FROM samples s "
                            "LEFT JOIN session_frames f ON f.sample_id = s.id "
                            "WHERE s.ok = 1 AND s.server_time IS NOT NULL ORDER BY s.target_id, s.id");
            QHash<qint64, SessionFrameDecoder> decoders;
            int rc = SQLITE_ROW;
            while ((rc = s.step()) == SQLITE_ROW) {
                const qint64 sampleId = s.int64(0);
                const qint64 targetId = s.int64(1);
                SessionFrameDecoder &decoder = decoders[targetId];
                QString error;
                if (!s.isNull(4) && !decoder.apply(s.blob(4), s.int64(3) != 0, &error))
                    return fail(QStringLiteral("sample %1: %2").arg(sampleId).arg(error));
                for (const QByteArray &line : decoder.lines()) {
                    QList<QJsonValue> values{double(sampleId), double(targetId), double(s.int64(2))};
                    const QList<std::optional<QString>> fields = sessionFields(line);
                    for (int i = 0; i < fields.size(); ++i)
                        values.append(exportValue(sessionColumns().at(i), fields.at(i)));
                    if (!out.row(values))
                        return fail(
                            QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
                }
            }
            if (rc != SQLITE_DONE)
                return fail(QStringLiteral("reading sessions: %1").arg(db.errorMessage()));
        }
        if (!out.finish())
            return fail(QStringLiteral("cannot write %1: %2").arg(fileFor(table), out.errorString()));
        result.files.append(fileFor(table));
        result.rows.append({table, out.rows()});
    }
    result.ok = true;
    return result;
}

} // namespace poolscope::record
