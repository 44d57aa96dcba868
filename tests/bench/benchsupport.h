#pragma once

#include <QFile>
#include <QRegularExpression>
#include <QString>
#include <QtGlobal>
#include <algorithm>
#include <ctime>
#include <numeric>
#include <vector>

namespace poolscope::bench {

/// A "Vm...:  N kB" field of /proc/self/status in MB (0 when unavailable).
inline double procStatusMb(const char *field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QString status = QString::fromLatin1(f.readAll());
    const QRegularExpressionMatch m =
        QRegularExpression(QString::fromLatin1(field) + QStringLiteral(":\\s+(\\d+) kB")).match(status);
    return m.hasMatch() ? m.captured(1).toDouble() / 1024.0 : 0;
}

/// VmRSS of this process in MB.
inline double rssMb()
{
    return procStatusMb("VmRSS");
}

/// VmHWM (peak RSS) of this process in MB.
inline double peakRssMb()
{
    return procStatusMb("VmHWM");
}

/// CPU time of the calling thread in nanoseconds: unlike wall time, not inflated when other processes
/// share the cores (CI and parallel builds do).
inline qint64 threadCpuNs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Stats
{
    double mean = 0;
    double max = 0;
    double min = 0;
};

inline Stats stats(const std::vector<double> &v)
{
    Stats s;
    if (v.empty())
        return s;
    s.mean = std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
    s.max = *std::max_element(v.begin(), v.end());
    s.min = *std::min_element(v.begin(), v.end());
    return s;
}

inline const char *buildType()
{
#ifdef NDEBUG
    return "optimised build";
#else
    return "Debug build (-O0): expect higher figures than a release build";
#endif
}

} // namespace poolscope::bench
