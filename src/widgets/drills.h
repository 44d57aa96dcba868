#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace poolscope::sandbox {
struct SandboxUris;
}

namespace poolscope::widgets {

/// One incident drill of the demo: an incident preset of the load engine run against the sandbox, the
/// finding that names it, what to do, and (where the honest fix is in the application) a fixed variant of
/// the scenario that shows the finding not coming back. The words are for a newcomer.
struct Drill
{
    /// Which sandbox URI a run connects with.
    enum class Through
    {
        Postgres,         // role app, straight to PostgreSQL
        PgBouncer,        // role app through PgBouncer's transaction-mode pool "app"
        PgBouncerSession, // role app through PgBouncer's session-mode pool "app_session" (pool_size 5)
    };

    QString preset; // the incident preset (resources/load/<preset>.json)
    QString title;  // the menu entry
    Through through = Through::Postgres;
    QString rule;       // the rule that names it (others may show too: they are not the drill's)
    QString reproduces; // what the drill reproduces
    QString lookFor;    // where it shows
    QString act;        // what to do once it is named
    QString appFix;     // why the fix is in the application (empty: the finding's action is the fix)
    QString
        fixedScenario; // resources/load/<fixedScenario>.json, not among the Load tab's presets; empty: none
    Through fixedThrough = Through::Postgres;
    QString fixedDoes;   // what the fixed application does differently
    int durationS = 180; // how long the broken application runs (time to act and watch)

    bool hasFix() const { return !fixedScenario.isEmpty(); }
};

/// The five incident drills, in the Drills menu's order.
const QList<Drill> &drills();
/// The drill of incident preset `preset`; null when there is none.
const Drill *findDrill(const QString &preset);
/// The URI a run connects with.
QString drillUri(const sandbox::SandboxUris &uris, Drill::Through through);

} // namespace poolscope::widgets
