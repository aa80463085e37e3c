#!/usr/bin/env bash
# Builds fsops.node (the Node-API fs addon) with plain gcc: one C file, no node-gyp, no downloads.
# Node-API is ABI-stable, so the result works with any Node >= 20 on this machine.
set -euo pipefail
cd "$(dirname "$0")"
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
include=""
for dir in "$node_prefix/include/node" /usr/include/node /usr/local/include/node /usr/include/nodejs/src; do
  if [ -f "$dir/node_api.h" ]; then include=$dir; break; fi
done
if [ -z "$include" ]; then
  echo "native/addon: node_api.h not found (install Node's headers, e.g. Debian's libnode-dev)" >&2
  exit 1
fi
mkdir -p build
gcc -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -fPIC -shared \
  -DNODE_GYP_MODULE_NAME=fsops -DNAPI_VERSION=8 -I"$include" \
  -o build/fsops.node.tmp fsops.c
mv build/fsops.node.tmp build/fsops.node
