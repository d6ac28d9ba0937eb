#!/usr/bin/env bash
# Debian packages kiln builds and tests with. Skips apt when all are present.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config libgtest-dev libgmock-dev libbenchmark-dev
      libdnnl-dev libcli11-dev nlohmann-json3-dev zlib1g-dev dataset-fashion-mnist python3
      libprotobuf-dev protobuf-compiler libjpeg-dev libpng-dev
      libtiff-dev libwebp-dev libopenjp2-7-dev
      clang libclang-rt-14-dev)  # clang + libFuzzer: scripts/fuzz.sh, scripts/sanitize.sh
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
