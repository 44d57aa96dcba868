#include "palette.h"

namespace poolscope::widgets::palette {

namespace {

// Light-theme colour first, dark-theme variant second: the dark variants are lighter and slightly less
// saturated so they keep contrast against a dark chart background.
QColor pick(const QPalette &palette, QRgb light, QRgb dark)
{
    return QColor::fromRgb(isDark(palette) ? dark : light);
}

} // namespace

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
}

QColor sessionState(SessionState state, const QPalette &palette)
{
    switch (state) {
    case SessionState::Active:
        return pick(palette, 0x2e9e4f, 0x4fc76f);
    case SessionState::Idle:
        return pick(palette, 0x8ea4c0, 0x6f86a6);
    case SessionState::IdleInTransaction:
        return pick(palette, 0xf59e0b, 0xffb340);
    case SessionState::IdleInTransactionAborted:
        return pick(palette, 0xd62839, 0xff5c6c);
    case SessionState::Other:
        break;
    }
    return pick(palette, 0x9c85b5, 0xb49fcc);
}

QColor poolMetric(const QString &metric, const QPalette &palette)
{
    if (metric == QLatin1String("cl_active"))
        return pick(palette, 0x1f6fd1, 0x5aa2ff);
    if (metric == QLatin1String("cl_waiting") || metric == QLatin1String("maxwait_s"))
        return pick(palette, 0xe00020, 0xff4d5e);
    if (metric == QLatin1String("sv_active"))
        return sessionState(SessionState::Active, palette);
    if (metric == QLatin1String("sv_idle"))
        return pick(palette, 0x959595, 0xa8a8a8); // neutral grey, well apart from cl_active blue
    if (metric == QLatin1String("sv_used"))
        return pick(palette, 0x0e9aa7, 0x3cc8d4);
    if (metric == QLatin1String("sv_tested"))
        return pick(palette, 0x9a6b3f, 0xc99a6b);
    if (metric == QLatin1String("sv_login"))
        return pick(palette, 0x8e44ad, 0xc08ae0);
    if (metric == QLatin1String("sv_cancel"))
        return pick(palette, 0xc2185b, 0xf06292);
    if (metric == QLatin1String("pool_size") || metric == QLatin1String("pool_reserve_limit"))
        return limitLine(palette);
    return palette.color(QPalette::WindowText);
}

double poolMetricWidth(const QString &metric)
{
    if (metric == QLatin1String("cl_waiting") || metric == QLatin1String("maxwait_s"))
        return 2.5;
    return 1.6;
}

QColor limitLine(const QPalette &palette)
{
    return pick(palette, 0x202020, 0xe6e6e6);
}

QColor transactionsPerSecond(const QPalette &palette)
{
    return pick(palette, 0x1f6fd1, 0x5aa2ff);
}

QColor rollbacksPerSecond(const QPalette &palette)
{
    return sessionState(SessionState::IdleInTransactionAborted, palette);
}

QColor group(int index, const QPalette &palette)
{
    // Tableau 10 without its grey (kept for "others"), plus a dark teal and a navy; light / dark variants.
    static constexpr QRgb light[GroupColorCount] = {0x4e79a7, 0xf28e2b, 0x59a14f, 0xe15759, 0xb07aa1,
                                                    0x76b7b2, 0xedc948, 0x9c755f, 0xff9da7, 0x2f4b7c};
    static constexpr QRgb dark[GroupColorCount] = {0x7aa6d6, 0xffa851, 0x7fcf74, 0xff7b7d, 0xd29ec4,
                                                   0x94d5d0, 0xf5d96e, 0xc49a82, 0xffb8c0, 0x6f8fc8};
    const int i = ((index % GroupColorCount) + GroupColorCount) % GroupColorCount;
    return pick(palette, light[i], dark[i]);
}

QColor groupOthers(const QPalette &palette)
{
    return pick(palette, 0x8c8c8c, 0xa0a0a0);
}

QColor targetLive(const QPalette &palette)
{
    return sessionState(SessionState::Active, palette);
}

QColor targetConnecting(const QPalette &palette)
{
    return sessionState(SessionState::IdleInTransaction, palette);
}

QColor targetFailed(const QPalette &palette)
{
    return sessionState(SessionState::IdleInTransactionAborted, palette);
}

QColor severity(findings::Severity severity, const QPalette &palette)
{
    switch (severity) {
    case findings::Severity::Critical:
        return pick(palette, 0xd62839, 0xff5c6c);
    case findings::Severity::Warning:
        return pick(palette, 0xe08a00, 0xffb340);
    case findings::Severity::Info:
        break;
    }
    return pick(palette, 0x2b6cb0, 0x6fa8e8);
}

QColor poolSaturated(const QPalette &palette)
{
    return pick(palette, 0xfbd5d9, 0x5a1e26);
}

QColor onPoolSaturated(const QPalette &palette)
{
    return pick(palette, 0x1a1a1a, 0xf2f2f2);
}

} // namespace poolscope::widgets::palette
