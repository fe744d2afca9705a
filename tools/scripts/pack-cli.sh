#!/usr/bin/env bash
# Builds everything (npm run build) and packs the installable `bulkhead` command, with its
# runtime dependencies bundled (see pack-cli.js), into dist/packages/bulkhead-<version>.tgz.
# Prints the tarball's path. Install it with:  npm install -g ./dist/packages/bulkhead-0.1.0.tgz
#   pack-cli.sh             build, then pack
#   pack-cli.sh --no-build  pack what `npm run build` already made in dist/
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "${1:-}" = "--no-build" ] || bash tools/scripts/build.sh >&2
node tools/scripts/pack-cli.js
