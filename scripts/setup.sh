#!/usr/bin/env bash
# Installs kiln's dependencies (Debian), builds it, and runs the MNIST sample.
# Usage: bash scripts/setup.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
echo "== sample_mnist (LeNet-5 on Fashion-MNIST, built and run through kiln) =="
./build/sample_mnist
