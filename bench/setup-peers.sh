#!/usr/bin/env bash
# Installs the Debian packages the side-by-side benchmark's peers need (bench/peers.py checks
# for them but installs nothing itself):
#   python3-torch python3-numpy   PyTorch 1.13 peer (PEERS/torch_bench.py, /usr/bin/python3)
#   libdlib-dev libopenblas-dev   dlib 19.24 peer (PEERS/dlib_bench.cpp, built into bench/out/)
#   g++ pkg-config zlib1g-dev     to build the dlib peer
#   time                          /usr/bin/time -v, for peak RSS
#   dataset-fashion-mnist         /usr/share/datasets/fashion-mnist
# Non-interactive and idempotent; runs as root or through sudo; waits for another apt/dpkg run
# to finish instead of failing on its lock; never removes a package (--no-remove), so it cannot
# swap out the OpenBLAS flavour gradnet builds against (libopenblas-openmp-dev satisfies
# libopenblas-dev's dependency). Usage: bash bench/setup-peers.sh
set -euo pipefail

PACKAGES=(
  python3-torch python3-numpy
  libdlib-dev libopenblas-dev
  g++ pkg-config zlib1g-dev
  time
  dataset-fashion-mnist
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bench/setup-peers.sh: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo -n)
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bench/setup-peers.sh: all peer packages already installed"
  exit 0
fi

echo "bench/setup-peers.sh: installing ${missing[*]}"
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=1200 -q -y)
"${APT[@]}" update -qq
"${APT[@]}" install --no-install-recommends --no-remove "${missing[@]}"

still=()
for p in "${PACKAGES[@]}"; do installed "$p" || still+=("$p"); done
if [ ${#still[@]} -gt 0 ]; then
  echo "bench/setup-peers.sh: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "bench/setup-peers.sh: done"
