#!/usr/bin/env bash
# Installs what trowel needs on a Debian machine with Node (run as root): the Debian packages
# (runtime parts and the real clients the tests use as oracles), the npm packages, then builds
# the TypeScript and the native parts. Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # runtime: overlay mount program, rootless id maps, private networking, compressors,
  # ssh-agent for `bud --ssh ID=KEYFILE`, git for build contexts from git repositories, cpp
  # for Containerfiles named *.in
  fuse-overlayfs uidmap slirp4netns zstd xz-utils busybox-static openssh-client git cpp
  # tests: a real registry, htpasswd and TLS tooling, and independent clients as oracles
  docker-registry apache2-utils openssl skopeo umoci buildah
  # native build (libc6-dev also gives libc.a for the static agent client of the bud --ssh tests)
  make gcc libc6-dev
  # bench: GNU time reports each command's peak RSS
  time
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# /dev/fuse and /dev/net/tun as distributions ship them, so rootless fuse-overlayfs and
# slirp4netns work.
for dev in /dev/fuse /dev/net/tun; do
  if [ -e "$dev" ]; then chmod 0666 "$dev"; fi
done

# npm packages exactly as locked; skipped when node_modules already matches the lock file.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.trowel-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.trowel-lock-sum
fi
npm run build --silent
