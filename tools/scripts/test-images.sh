#!/usr/bin/env bash
# Builds the real OCI test images (tiny + Debian bookworm minbase) that the tests scan, with
# ../shared/tools/make-test-images.sh, into tmp/test-images. Idempotent: a second run reuses them.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${BULKHEAD_SHARED_DIR:-$root/../shared}"
out="${BULKHEAD_TEST_IMAGES:-$root/tmp/test-images}"
if [ ! -x "$shared/tools/make-test-images.sh" ] && [ ! -f "$shared/tools/make-test-images.sh" ]; then
  echo "test-images: $shared/tools/make-test-images.sh not found; set BULKHEAD_SHARED_DIR" >&2
  exit 1
fi
mkdir -p "$out"
bash "$shared/tools/make-test-images.sh" "$@" "$out" >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }
cat "$out/images.env"
