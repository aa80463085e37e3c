#!/usr/bin/env bash
# Builds the native parts with the machine's compiler. Each part adds its line here.
set -euo pipefail
cd "$(dirname "$0")"
bash addon/build.sh
make -s -C helper   # trowel-helper: namespaces, mounts, run (native/helper/)
