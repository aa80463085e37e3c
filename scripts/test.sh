#!/usr/bin/env bash
# The whole test suite: set-up, then every test file; ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node test/run.mjs "$@"
