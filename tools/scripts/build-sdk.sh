#!/usr/bin/env bash
# Builds @bulkhead/plugin-sdk as a publishable package in dist/libs/plugin-sdk: CommonJS from
# swc, type declarations from tsc (swc emits none, and a strict TypeScript plugin needs them),
# and its package.json (libs/plugin-sdk/package.json: `exports` with `types` per entry).
#   build-sdk.sh                      compile + declarations
#   build-sdk.sh --declarations-only  declarations only (build.sh has compiled everything)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=dist/libs/plugin-sdk
if [ "${1:-}" != "--declarations-only" ]; then
  config="$(mktemp --suffix=.swcrc.json)"
  trap 'rm -f "$config"' EXIT
  node tools/scripts/swc-config.js >"$config"
  npx swc libs/plugin-sdk/src -d dist --config-file "$config" --ignore '**/*.spec.ts' --ignore '**/*.int-spec.ts' --quiet
fi
npx tsc -p libs/plugin-sdk/tsconfig.lib.json
cp libs/plugin-sdk/package.json libs/plugin-sdk/README.md "$out/"
