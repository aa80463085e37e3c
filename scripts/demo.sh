#!/usr/bin/env bash
# The demo: set-up, then a busybox image built from scratch with trowel, committed, listed,
# inspected, and written to an OCI archive that skopeo reads back. Uses a throwaway store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export TROWEL_ROOT
TROWEL_ROOT=$(mktemp -d /tmp/trowel-demo.XXXXXX)
archive="$TROWEL_ROOT.tar"
trowel() { bin/trowel "$@"; }
cleanup() {
  trowel umount --all >/dev/null 2>&1 || true
  rm -rf "$TROWEL_ROOT" "$archive"
}
trap cleanup EXIT

set -x
c=$(trowel from scratch)
mnt=$(trowel mount "$c")
mkdir -p "$mnt/bin" "$mnt/var/www/html"
cp /bin/busybox "$mnt/bin/"
echo "This is the first scratch container" > "$mnt/var/www/html/index.html"
trowel umount "$c"
trowel config --cmd "/bin/busybox httpd -f -p 80" --port 80/tcp --label demo=scratch "$c"
trowel commit "$c" localhost/scratch-httpd:latest
trowel images
trowel inspect --format '{{println .OCIv1.Config.Cmd}}' localhost/scratch-httpd:latest
trowel push localhost/scratch-httpd:latest "oci-archive:$archive"
skopeo inspect "oci-archive:$archive"

# trowel bud: a local busybox base (busybox-static with its applet links), then a multi-stage
# Containerfile with RUN, heredocs and COPY --from, and the image it makes run with trowel run.
base=$(trowel from scratch)
basemnt=$(trowel mount "$base")
mkdir -p "$basemnt/bin" "$basemnt/tmp"
cp /bin/busybox "$basemnt/bin/"
{ set +x; } 2>/dev/null
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$basemnt/bin/$applet"; done
set -x
trowel umount "$base"
trowel commit --rm "$base" localhost/busybox:latest
trowel bud --build-arg GREETING=hi -t localhost/demo:latest testdata/bud/demo
app=$(trowel from localhost/demo:latest)
trowel run "$app" -- /app/run.sh
trowel rm "$app"
