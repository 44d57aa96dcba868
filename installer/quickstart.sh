#!/usr/bin/env bash
# PoolScope quick start on Debian 12 (bookworm):
#   installer/quickstart.sh demo   install what is missing, build, open the GUI on the demo sandbox
#   installer/quickstart.sh test   install what is missing, build, run the whole test suite, then every fuzz
#                                  target for 30 s on its checked-in corpus (clang-14 + libFuzzer, build/fuzz)
# Idempotent: packages already installed are not touched; the build is incremental.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mode="${1:-}"
case "$mode" in
demo | test) ;;
*)
    echo "usage: $0 demo|test" >&2
    exit 64
    ;;
esac

packages=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev qt6-base-dev-tools qt6-qpa-plugins libqt6svg6 libgl-dev
    qt6-httpserver-dev qt6-websockets-dev
    libqcustomplot-dev libspdlog-dev libfmt-dev libpq-dev qtkeychain-qt6-dev libsqlite3-dev zlib1g-dev libcrypt-dev
    postgresql-15 pgbouncer pgpool2
    dpkg-dev file
)
# The fuzz build: clang with libFuzzer and the sanitizers' runtimes (libclang-rt-14-dev).
[[ "$mode" == test ]] && packages+=(xvfb xauth clang-14 libclang-rt-14-dev)
# The Prometheus end-to-end tests: the sandbox starts its own Prometheus and postgres_exporter on free
# loopback ports.
[[ "$mode" == test ]] && packages+=(prometheus prometheus-postgres-exporter)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "==> installing: ${missing[*]}"
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # Debian starts what it installs as system services (Prometheus on :9090 scraping itself,
    # postgres_exporter on :9187 against the local server). The tests run their own instances on free
    # loopback ports; the system-wide ones installed just now are stopped and disabled.
    for svc in prometheus prometheus-postgres-exporter; do
        if [[ " ${missing[*]} " == *" $svc "* ]] && command -v systemctl >/dev/null &&
            [[ -d /run/systemd/system ]]; then
            "${sudo[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
        fi
    done
fi

echo "==> configuring and building (build/dev)"
cmake --preset dev >/dev/null
cmake --build --preset dev --parallel "$(nproc)"

if [[ "$mode" == demo ]]; then
    if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
        echo "No display found. Run this from a desktop session, or headless with:" >&2
        echo "  xvfb-run -s '-screen 0 1280x800x24' build/dev/app/poolscope --demo" >&2
        exit 1
    fi
    echo "==> starting PoolScope on the demo sandbox (close the window to stop everything)"
    exec build/dev/app/poolscope --demo
fi

echo "==> running the test suite (the fuzz build runs beside it at the lowest priority, on the CPU the"
echo "    integration tests leave idle while they wait on their servers)"
cmake --preset fuzz >/dev/null
mkdir -p build
nice -n 19 cmake --build --preset fuzz --parallel "$(nproc)" >build/fuzz-build.log 2>&1 &
fuzz_build=$!
suite=0
# Integration tests start their own PostgreSQL + PgBouncer on free loopback ports, so they run in parallel.
ctest --preset dev --parallel 2 || suite=$?
if ! wait "$fuzz_build"; then
    cat build/fuzz-build.log >&2
    echo "the fuzz build failed (build/fuzz-build.log)" >&2
    exit 1
fi
((suite == 0)) || exit "$suite"

echo "==> fuzzing each parser for 30 s on its checked-in corpus (build/fuzz)"
ctest --preset fuzz --parallel 2
