#include "erlang.h"

#include <cmath>

namespace poolscope::erlang {

double erlangC(int servers, double a)
{
    if (a <= 0)
        return 0;
    if (servers <= 0 || a >= servers)
        return 1;
    // Erlang B by recursion: B(0) = 1, B(k) = a·B(k−1) / (k + a·B(k−1)); then C = B / (1 − ρ(1 − B)).
    double b = 1;
    for (int k = 1; k <= servers; ++k)
        b = a * b / (k + a * b);
    const double rho = a / servers;
    return b / (1 - rho * (1 - b));
}

std::optional<double> waitQuantileMs(int servers, double arrivalRatePerS, double meanHoldMs, double q)
{
    const double mu = 1000.0 / meanHoldMs;
    const double a = arrivalRatePerS / mu;
    const double drain = servers * mu - arrivalRatePerS; // per second
    if (servers <= 0 || drain <= 0)
        return std::nullopt;
    const double pWait = erlangC(servers, a);
    // P(W > t) = P_wait · e^(−drain·t): the quantile is 0 while P_wait <= 1 − q.
    if (pWait <= 1 - q)
        return 0.0;
    return 1000.0 * std::log(pWait / (1 - q)) / drain;
}

Queue mmc(int servers, double arrivalRatePerS, double meanHoldMs)
{
    Queue out;
    const double mu = 1000.0 / meanHoldMs;
    const double a = arrivalRatePerS / mu;
    out.utilisation = servers > 0 ? a / servers : (arrivalRatePerS > 0 ? 1 : 0);
    out.pWait = erlangC(servers, a);
    if (!out.stable())
        return out;
    out.meanWaitMs = 1000.0 * out.pWait / (servers * mu - arrivalRatePerS);
    out.p99WaitMs = waitQuantileMs(servers, arrivalRatePerS, meanHoldMs, 0.99);
    return out;
}

} // namespace poolscope::erlang
