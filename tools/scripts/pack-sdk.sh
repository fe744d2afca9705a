#!/usr/bin/env bash
# `npm run pack-sdk`: builds @bulkhead/plugin-sdk (build-sdk.sh) and packs it with `npm pack`
# into dist/packages/bulkhead-plugin-sdk-<version>.tgz, the file a plugin outside this
# repository installs (`npm install ./bulkhead-plugin-sdk-0.1.0.tgz`). Prints the tarball's path.
#   pack-sdk.sh             build the SDK, then pack it
#   pack-sdk.sh --no-build  pack what `npm run build` already made in dist/libs/plugin-sdk
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--no-build" ]; then
  [ -f dist/libs/plugin-sdk/src/index.d.ts ] || { echo "pack-sdk: dist/libs/plugin-sdk has no declarations: run npm run build first" >&2; exit 1; }
else
  bash tools/scripts/build-sdk.sh >&2
fi
mkdir -p dist/packages
file="$(cd dist/libs/plugin-sdk && npm pack --silent --pack-destination ../../packages)"
echo "$PWD/dist/packages/$file"
