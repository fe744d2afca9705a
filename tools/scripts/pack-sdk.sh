#!/usr/bin/env bash
# `npm run pack-sdk`: builds @bulkhead/plugin-sdk (build-sdk.sh) and packs it with `npm pack`
# into dist/packages/bulkhead-plugin-sdk-<version>.tgz, the file a plugin outside this
# repository installs (`npm install ./bulkhead-plugin-sdk-0.1.0.tgz`). Prints the tarball's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/build-sdk.sh >&2
mkdir -p dist/packages
file="$(cd dist/libs/plugin-sdk && npm pack --silent --pack-destination ../../packages)"
echo "$PWD/dist/packages/$file"
