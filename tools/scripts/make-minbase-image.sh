#!/usr/bin/env bash
# Builds the "minbase" test image: a Debian bookworm root file system made by
# `debootstrap --variant=minbase`, packed as one gzip layer, in the two forms the scanner reads.
#
#   make-minbase-image.sh [--force] [--mirror URL] [OUTDIR]
#
# OUTDIR defaults to $BULKHEAD_TEST_IMAGES, else tmp/test-images of this repository. It writes
# OUTDIR/minbase/:
#   oci/                 OCI image layout, reference "bookworm"
#   docker-archive.tar   the same image as `docker save` writes it, tagged test/minbase:bookworm
#   rootfs.tar           the root file system (also the image's only layer, uncompressed);
#                        tests extract ./var/lib/dpkg from it to compare with dpkg-query
#   debootstrap.log
# An existing complete image is kept unless --force is given. The folder is replaced in one
# step, so readers never see half an image.
#
# Needs root (debootstrap installs packages into a chroot) and a Debian mirror: --mirror, else
# BULKHEAD_DEBIAN_MIRROR, else the first bookworm source in /etc/apt, else deb.debian.org.
# Installs debootstrap with apt-get when it is missing. Exit status 0 only with a complete image.
set -euo pipefail
umask 022

suite=bookworm
ref=bookworm
archive_tag="docker.io/test/minbase:$suite"
# Every file gets this mtime and the image this creation time, so the image depends only on
# the packages debootstrap installed (default: 2000-01-01T00:00:00Z).
epoch="${SOURCE_DATE_EPOCH:-946684800}"

say() { printf 'make-minbase-image: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

force=0
mirror="${BULKHEAD_DEBIAN_MIRROR:-}"
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --mirror) shift; mirror="${1:?--mirror needs a URL}" ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) [ -z "$out" ] || fail "only one OUTDIR"; out="$1" ;;
  esac
  shift
done
case "$epoch" in '' | *[!0-9]*) fail "SOURCE_DATE_EPOCH must be a number of seconds, got '$epoch'" ;; esac

repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="${out:-${BULKHEAD_TEST_IMAGES:-$repo/tmp/test-images}}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
dest="$out/minbase"

is_complete() { [ -s "$1/oci/index.json" ] && [ -s "$1/docker-archive.tar" ] && [ -s "$1/rootfs.tar" ]; }
if [ "$force" -eq 0 ] && is_complete "$dest"; then
  say "up to date: $dest (--force rebuilds it)"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "debootstrap needs root to install packages into its chroot; run this as root (or set BULKHEAD_TEST_IMAGES to a folder where the image was built)"

apt_updated=0
require() {
  # require <command> <Debian package>: install the package when the command is missing.
  command -v "$1" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 || fail "$1 is missing and there is no apt-get to install Debian package $2"
  say "installing $2 (apt-get)"
  local log
  log="$(mktemp)"
  if [ "$apt_updated" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; fail "apt-get update failed"; }
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >"$log" 2>&1 || { cat "$log" >&2; fail "could not install $2"; }
  rm -f "$log"
}
require debootstrap debootstrap
require gzip gzip
require sha256sum coreutils
tar --version 2>/dev/null | grep -q 'GNU tar' || require tar tar

# The mirror apt already uses for bookworm is the one known to be reachable from here.
apt_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    # deb822 stanzas: the first URI of a "Types: deb" stanza whose Suites list the suite.
    awk -v suite="$suite" '
      function check() { if (deb && (" " suites " ") ~ (" " suite " ") && uri != "") { print uri; exit } deb = 0; suites = ""; uri = "" }
      /^[ \t]*$/ { check(); next }
      /^Types:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^URIs:/ { uri = $2 }
      END { check() }' "$file"
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    # one-line form: deb [options] URI suite components
    awk -v suite="$suite" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$file"
  done
}
[ -n "$mirror" ] || mirror="$(apt_mirror | head -n1)"
[ -n "$mirror" ] || mirror="http://deb.debian.org/debian"

work="$out/minbase.partial"
tree="$work/tree"
# debootstrap mounts /proc and /sys inside the tree while it installs; if it was interrupted
# they may still be mounted, and must be unmounted before the tree is deleted.
remove_tree() {
  [ -d "$tree" ] || return 0
  local mount
  for mount in $(awk -v tree="$tree" 'index($2, tree "/") == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$mount" 2>/dev/null || true
  done
  rm -rf --one-file-system "$tree"
}
trap 'remove_tree' EXIT
remove_tree
rm -rf "$work"
mkdir -p "$work/image/oci/blobs/sha256" "$work/archive"
started=$SECONDS

say "debootstrap --variant=minbase $suite from $mirror"
if ! debootstrap --variant=minbase "$suite" "$tree" "$mirror" >"$work/image/debootstrap.log" 2>&1; then
  tail -n 20 "$work/image/debootstrap.log" >&2
  fail "debootstrap failed (log: $work/image/debootstrap.log)"
fi
debootstrapped=$SECONDS

# The layer: the whole tree except what only makes sense on a running system (device nodes,
# mounts, temporary files, logs) and apt's download caches. Names are sorted and start with
# "./" (as `tar -C dir -c .` writes them, which image tools meet in the wild), owners are
# numeric, every mtime is the fixed epoch.
rootfs="$work/image/rootfs.tar"
tar -C "$tree" --create --file "$rootfs" --sort=name --numeric-owner --mtime="@$epoch" \
  --anchored --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' \
  --exclude='./tmp/*' --exclude='./var/log/*' --exclude='./var/lib/apt/lists/*' \
  --exclude='./var/cache/apt/*.bin' --exclude='./var/cache/apt/archives/*.deb' \
  .

packages="?"
if command -v dpkg-query >/dev/null 2>&1; then
  packages="$(dpkg-query --admindir="$tree/var/lib/dpkg" -W -f '${db:Status-Status}\n' | grep -cx installed || true)"
fi
arch="$(chroot "$tree" dpkg --print-architecture 2>/dev/null || dpkg --print-architecture 2>/dev/null || echo amd64)"
remove_tree

digest_of() { sha256sum "$1" | cut -d' ' -f1; }
size_of() { stat -c %s "$1"; }
blobs="$work/image/oci/blobs/sha256"
# add_blob <file>: moves a file into the layout's blob store under its digest; prints the digest.
add_blob() {
  local digest
  digest="$(digest_of "$1")"
  mv "$1" "$blobs/$digest"
  printf '%s' "$digest"
}

diff_id="$(digest_of "$rootfs")"
gzip -n -6 -c "$rootfs" >"$work/layer.tar.gz"
layer_size="$(size_of "$work/layer.tar.gz")"
layer_digest="$(add_blob "$work/layer.tar.gz")"

created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
printf '%s' \
  "{\"created\":\"$created\",\"author\":\"tools/scripts/make-minbase-image.sh\",\"architecture\":\"$arch\",\"os\":\"linux\"," \
  "\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/bash\"]}," \
  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]}," \
  "\"history\":[{\"created\":\"$created\",\"created_by\":\"debootstrap --variant=minbase $suite\"}]}" >"$work/config.json"
cp "$work/config.json" "$work/archive/$(digest_of "$work/config.json").json"
config_size="$(size_of "$work/config.json")"
config_digest="$(add_blob "$work/config.json")"

printf '%s' \
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' \
  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_digest\",\"size\":$config_size}," \
  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer_digest\",\"size\":$layer_size}]}" >"$work/manifest.json"
manifest_size="$(size_of "$work/manifest.json")"
manifest_digest="$(add_blob "$work/manifest.json")"

printf '%s' \
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_digest\",\"size\":$manifest_size," \
  "\"annotations\":{\"org.opencontainers.image.ref.name\":\"$ref\"}}]}" >"$work/image/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/image/oci/oci-layout"

# docker-archive, as `docker save` (25+) and skopeo write it: manifest.json naming the config
# and the uncompressed layer, each stored under its digest. The layer is a hard link to
# rootfs.tar while the archive is written, not a second copy.
ln "$rootfs" "$work/archive/$diff_id.tar"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s.tar"]}]' "$config_digest" "$archive_tag" "$diff_id" >"$work/archive/manifest.json"
tar -C "$work/archive" --create --file "$work/image/docker-archive.tar" --numeric-owner --owner=0 --group=0 \
  --mtime="@$epoch" --mode=a=r "$diff_id.tar" "$config_digest.json" manifest.json
rm -rf "$work/archive"

rm -rf "$dest"
mv "$work/image" "$dest"
rm -rf "$work"
trap - EXIT
say "built $dest in $((SECONDS - started))s (debootstrap $((debootstrapped - started))s): $packages packages, manifest sha256:$manifest_digest, config sha256:$config_digest"
