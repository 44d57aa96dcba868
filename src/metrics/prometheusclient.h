#pragma once

#include "metrics/promdiscovery.h"

#include <QByteArray>
#include <QString>
#include <QUrl>
#include <optional>

namespace poolscope::metrics {

/// A Prometheus target: prometheus+http://HOST:PORT[/PATH] or prometheus+https://...; basic auth from the
/// URL's user:password, or a bearer token from $POOLSCOPE_PROMETHEUS_TOKEN.
struct PrometheusEndpoint
{
    QUrl base;                // http(s)://HOST:PORT[/PATH], without credentials
    QString display;          // prometheus+http://HOST:PORT[/PATH]: never a password
    QByteArray authorization; // the Authorization header, empty for none
};

/// Whether `target` names a Prometheus (prometheus+http:// or prometheus+https://).
bool isPrometheusTarget(const QString &target);
/// nullopt with `error` for a malformed one.
std::optional<PrometheusEndpoint> parsePrometheusTarget(const QString &target, QString *error);

/// What one read of a Prometheus found: the discovered targets, or why Prometheus itself could not be read.
struct FleetRead
{
    bool ok = false;
    QString error;
    QList<DiscoveredTarget> targets;
    qint64 elapsedMs = 0;
};

/// Asks Prometheus for the current series and the targets of the last hour (two instant queries) and
/// discovers the targets in them. Blocking (spins a local event loop); at most `timeoutMs` per query.
FleetRead readFleet(const PrometheusEndpoint &endpoint, int timeoutMs = 10000);

} // namespace poolscope::metrics
