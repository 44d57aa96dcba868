#include "incidentdata.h"

#include "sqlitedb.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>
#include <sqlite3.h>

namespace poolscope::record {

namespace {

bool readTargets(const RecordingReader &reader, IncidentData *data, QString *error)
{
    for (const RecordedTarget &t : reader.targets()) {
        IncidentTarget it;
        it.target = t;
        Statement s(reader.db(),
                    "SELECT ok, error, sessions, usable_connections, idle_in_transaction, tps FROM samples "
                    "WHERE target_id = ? AND t_ms BETWEEN ? AND ? ORDER BY t_ms, id");
        s.bind(0, t.id);
        s.bind(1, data->fromMs);
        s.bind(2, data->toMs);
        int rc = SQLITE_ROW;
        while ((rc = s.step()) == SQLITE_ROW) {
            ++it.samples;
            if (s.int64(0) == 0) {
                ++it.failed;
                it.lastError = s.text(1);
                continue;
            }
            if (const auto n = s.optInt(2); n && (!it.peakSessions || *n > *it.peakSessions)) {
                it.peakSessions = int(*n);
                if (const auto u = s.optInt(3))
                    it.usableConnections = int(*u);
            }
            if (const auto n = s.optInt(4);
                n && (!it.peakIdleInTransaction || *n > *it.peakIdleInTransaction))
                it.peakIdleInTransaction = int(*n);
            if (const auto v = s.optReal(5); v && (!it.peakTps || *v > *it.peakTps))
                it.peakTps = *v;
        }
        if (rc != SQLITE_DONE) {
            *error = QStringLiteral("reading the samples: %1").arg(reader.db().errorMessage());
            return false;
        }
        Statement p(reader.db(), "SELECT count(DISTINCT p.database || '/' || p.user), max(p.cl_waiting), "
                                 "max(p.maxwait_s) FROM pools p JOIN samples s ON s.id = p.sample_id "
                                 "WHERE s.target_id = ? AND s.t_ms BETWEEN ? AND ?");
        p.bind(0, t.id);
        p.bind(1, data->fromMs);
        p.bind(2, data->toMs);
        if (p.step() == SQLITE_ROW) {
            it.pools = int(p.int64(0));
            if (it.pools > 0) {
                if (const auto n = p.optInt(1))
                    it.peakClientsWaiting = int(*n);
                it.longestWaitS = p.optReal(2);
            }
        }
        data->targets.append(it);
    }
    return true;
}

qint64 isoMs(const QJsonValue &v)
{
    const QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

bool readFindings(const RecordingReader &reader, IncidentData *data, QString *error)
{
    Statement s(
        reader.db(),
        "SELECT f.id, t.name, f.rule, f.subject, f.severity, f.layer, f.status, f.since_ms, "
        "f.raised_at_ms, f.last_seen_ms, f.ended_at_ms, f.summary, f.json FROM findings f "
        "LEFT JOIN targets t ON t.id = f.target_id WHERE f.raised_at_ms <= ?2 AND "
        "coalesce(f.ended_at_ms, f.last_seen_ms, f.raised_at_ms) >= ?1 ORDER BY f.raised_at_ms, f.id");
    s.bind(0, data->fromMs);
    s.bind(1, data->toMs);
    int rc = SQLITE_ROW;
    while ((rc = s.step()) == SQLITE_ROW) {
        IncidentFinding f;
        f.id = s.int64(0);
        f.target = s.text(1);
        f.rule = s.text(2);
        f.subject = s.text(3);
        f.severity = s.text(4);
        f.layer = s.text(5);
        f.status = s.text(6);
        f.sinceMs = s.optInt(7).value_or(0);
        f.raisedAtMs = s.int64(8);
        f.lastSeenMs = s.optInt(9).value_or(f.raisedAtMs);
        f.endedAtMs = s.optInt(10);
        f.summary = s.text(11);
        const QJsonObject o = QJsonDocument::fromJson(s.text(12).toUtf8()).object();
        for (const QJsonValue &a : o.value(QLatin1String("advice")).toArray())
            f.advice.append(a.toString());
        for (const QJsonValue &t : o.value(QLatin1String("targets")).toArray())
            f.targets.append(t.toString());
        f.evidence = o.value(QLatin1String("evidence")).toObject();
        for (const QJsonValue &p : o.value(QLatin1String("pids")).toArray())
            f.pids.append(qint64(p.toDouble()));
        for (const QJsonValue &p : o.value(QLatin1String("pools")).toArray())
            f.pools.append(p.toString());
        f.actionTaken = o.value(QLatin1String("action_taken")).toString();
        if (const qint64 at = isoMs(o.value(QLatin1String("action_at"))); at > 0)
            f.actionAtMs = at;
        data->findings.append(f);
    }
    if (rc != SQLITE_DONE) {
        *error = QStringLiteral("reading the findings: %1").arg(reader.db().errorMessage());
        return false;
    }
    return true;
}

bool readActions(const RecordingReader &reader, IncidentData *data, QString *error)
{
    Statement s(reader.db(), "SELECT t_ms, json FROM audit WHERE t_ms BETWEEN ? AND ? ORDER BY t_ms, id");
    s.bind(0, data->fromMs);
    s.bind(1, data->toMs);
    int rc = SQLITE_ROW;
    while ((rc = s.step()) == SQLITE_ROW) {
        auto entry = audit::parseLine(s.text(1).toUtf8());
        if (!entry)
            continue; // a torn line: never shown half-read
        if (entry->action == QLatin1String("load_start") || entry->action == QLatin1String("load_stop"))
            continue; // load runs have a section of their own
        if (!entry->time.isValid())
            entry->time = QDateTime::fromMSecsSinceEpoch(s.int64(0), Qt::UTC);
        data->actions.append(*entry);
    }
    if (rc != SQLITE_DONE) {
        *error = QStringLiteral("reading the audit lines: %1").arg(reader.db().errorMessage());
        return false;
    }
    return true;
}

void readMarkers(const RecordingReader &reader, IncidentData *data)
{
    QList<IncidentLoadRun> runs;
    for (const RecordingMarker &m : reader.markers()) {
        if (m.kind == QLatin1String("load_start")) {
            runs.append({m.tMs, std::nullopt, m.target, m.label});
        } else if (m.kind == QLatin1String("load_stop")) {
            // The run it ends: the newest still open on that target with that scenario (else any open one).
            auto open = std::find_if(runs.rbegin(), runs.rend(), [&m](const IncidentLoadRun &r) {
                return !r.endMs && r.target == m.target && r.label == m.label;
            });
            if (open == runs.rend())
                open = std::find_if(runs.rbegin(), runs.rend(),
                                    [](const IncidentLoadRun &r) { return !r.endMs; });
            if (open != runs.rend())
                open->endMs = m.tMs;
        } else if ((m.kind == QLatin1String("recording_paused") ||
                    m.kind == QLatin1String("recording_resumed")) &&
                   m.tMs >= data->fromMs && m.tMs <= data->toMs) {
            data->pauses.append(m);
        }
    }
    for (const IncidentLoadRun &r : runs) {
        if (r.startMs <= data->toMs && r.endMs.value_or(data->recordingEndMs) >= data->fromMs)
            data->loadRuns.append(r);
    }
}

} // namespace

bool gatherIncident(const RecordingReader &reader, const QString &path, qint64 fromMs, qint64 toMs,
                    IncidentData *data, QString *error)
{
    *data = IncidentData{};
    data->path = path;
    data->createdBy = reader.meta(QStringLiteral("created_by"));
    const auto [first, last] = reader.timeSpan();
    data->recordingStartMs = first;
    data->recordingEndMs = last;
    data->fromMs = fromMs;
    data->toMs = toMs;
    if (!readTargets(reader, data, error) || !readFindings(reader, data, error) ||
        !readActions(reader, data, error))
        return false;
    readMarkers(reader, data);
    return true;
}

} // namespace poolscope::record
