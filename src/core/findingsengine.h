#pragma once

#include "finding.h"
#include "findingthresholds.h"
#include "targetsnapshot.h"

#include <QHash>
#include <QList>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace poolscope::findings {

struct Observation;

/// Names failure modes from samples: every sample of every target is evaluated against the rules
/// (findingrules.h) over that target's recent samples and the newest samples of the targets linked to it (a
/// PgBouncer in front of a PostgreSQL target). Pure and single-threaded: samples in, findings out; the
/// caller (the window, `diagnose`, `watch`) owns the threads and the actions.
///
/// Lifecycle: a rule's observation opens a finding (rules debounce themselves: "5 samples in a row"); each
/// sample that shows it again updates its figures and words; it ends after Thresholds::clearSamples samples
/// of its target without it, spanning at least clearS (hysteresis), as "resolved", or as "recovered" when
/// an action was taken on it within actionWatchS before. An action that does not make it go away within
/// actionWatchS leaves it "still present". Ended findings are kept for Thresholds::historyS.
class FindingsEngine
{
public:
    explicit FindingsEngine(Thresholds thresholds = {});
    ~FindingsEngine();
    FindingsEngine(const FindingsEngine &) = delete;
    FindingsEngine &operator=(const FindingsEngine &) = delete;

    void setThresholds(const Thresholds &thresholds);
    const Thresholds &thresholds() const { return m_t; }

    /// Evaluates target `id`'s new sample. A failed sample changes nothing: a target that stops answering
    /// keeps its findings as they were (its state says why). `name` is how findings name the target.
    void addSample(int id, const QString &name, const TargetSnapshot &snapshot);
    /// The PostgreSQL targets pooler `poolerId` forwards to; replaces what was set before.
    void setLinks(int poolerId, const QList<int> &postgresIds);
    /// Forgets the target and its findings.
    void removeTarget(int id);
    void setName(int id, const QString &name);

    /// Open findings and those ended within Thresholds::historyS, worseFirst(). Reading a finding builds its
    /// words (summary, advice, evidence) for the newest sample; evaluating a sample does not.
    QList<Finding> findings() const;
    QList<Finding> openFindings() const;
    /// Open findings that involve target `id` (raised on it, or naming it among their targets).
    QList<Finding> openFindingsOf(int id) const;
    /// Every finding (open and ended) raised on target `id`.
    QList<Finding> findingsOf(int id) const;
    std::optional<Finding> finding(quint64 findingId) const;
    /// An action was taken on an open finding: it shows "action taken, watching" until it ends (then
    /// "recovered") or actionWatchS passes ("still present"). False when no such open finding exists.
    bool noteAction(quint64 findingId, qint64 atMs, const QString &what);
    /// PoolScope itself terminated `count` sessions of PostgreSQL target `id` at `atMs`: dead-connections
    /// attributes that many of the kills it sees next to PoolScope (and names them as information when they
    /// are all it sees), instead of to an unknown operator.
    void noteTerminated(int id, qint64 atMs, int count);
    /// Changes whenever a finding opens, ends, or changes its severity, status or words.
    quint64 revision() const { return m_revision; }

    /// Time spent in addSample, for the benchmark: the last call, in nanoseconds.
    qint64 lastEvaluationNs() const { return m_lastNs; }

private:
    struct TargetState;
    struct Slot
    {
        QString key; // finding.key(), kept: compared for every observation of every sample
        Finding finding;
        // The rule's words for the newest sample, built when the finding is read (Observation::describe).
        std::function<void(Observation &)> describe;
        int misses = 0;
        qint64 firstMissMs = 0;
        int lowerSamples = 0; // samples in a row below the current severity
    };

    TargetState &state(int id);
    void evaluatePostgres(int id, TargetState &s, const TargetSnapshot &snapshot, QList<Observation> &out);
    void evaluatePooler(int id, TargetState &s, const TargetSnapshot &snapshot, QList<Observation> &out);
    void apply(int id, qint64 atMs, const QList<Observation> &observations);
    QString nameOf(int id) const;

    Thresholds m_t;
    QHash<int, std::shared_ptr<TargetState>> m_targets;
    /// Runs the pending describe of every open finding (reading a finding needs its words).
    void describePending() const;
    static void describe(Slot &slot);

    mutable QList<Slot> m_open; // mutable: words are filled in when read
    std::deque<Finding> m_ended;
    quint64 m_nextId = 1;
    quint64 m_revision = 0;
    qint64 m_lastNs = 0;
};

} // namespace poolscope::findings
