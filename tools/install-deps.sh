#!/usr/bin/env bash
# Installs the Debian packages that firstwall's build, tests and Python tools need.
# Idempotent: installs only what is missing. Runs as root (or with sudo) on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost-graph-dev libeigen3-dev libyaml-cpp-dev libhdf5-dev libomp-dev
  libfmt-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-h5py python3-pandas python3-matplotlib
  chromium  # headless, for the test that opens `firstwall report` pages (tests/tools/test_report.cpp)
  openmpi-bin libopenmpi-dev  # optional: `mpirun -n N firstwall sweep` (FIRSTWALL_MPI)
  clang-14 libfuzzer-14-dev   # `make fuzz` (tools/fuzz/)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
