#pragma once

#include <optional>

/// M/M/c (Erlang C) for a connection pool: requests arrive at `arrivalRatePerS` (Poisson), each holds one of
/// `servers` connections for an exponentially distributed time with mean `meanHoldMs`, and waits in a FIFO
/// queue when all are taken. The formulas (utilisation ρ = λ/(cμ), P_wait = C(c, a) with a = λ/μ, mean wait
/// = P_wait/(cμ − λ), the q-quantile of the wait = ln(P_wait/(1 − q))/(cμ − λ) when P_wait > 1 − q, else 0)
/// are the textbook ones; C(c, a) is computed through the Erlang B recursion, which stays exact for
/// thousands of servers where factorials overflow.
namespace poolscope::erlang {

struct Queue
{
    double utilisation = 0;           // ρ
    double pWait = 0;                 // the chance a request waits for a connection
    std::optional<double> meanWaitMs; // over all requests (waiting or not); nullopt when ρ >= 1
    std::optional<double> p99WaitMs;  // nullopt when ρ >= 1
    bool stable() const { return utilisation < 1; }
};

/// Erlang C: the probability that an arrival waits, with `servers` servers and offered load `a` = λ/μ.
/// 1 when a >= servers (the queue grows without bound); 0 without load.
double erlangC(int servers, double a);

/// The q-quantile of the waiting time, in ms (q in (0, 1)); nullopt when unstable.
std::optional<double> waitQuantileMs(int servers, double arrivalRatePerS, double meanHoldMs, double q);

Queue mmc(int servers, double arrivalRatePerS, double meanHoldMs);

} // namespace poolscope::erlang
