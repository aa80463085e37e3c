#!/usr/bin/env bash
# The demo: set-up, then a busybox image built from scratch, committed and listed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "demo: not yet wired" >&2
