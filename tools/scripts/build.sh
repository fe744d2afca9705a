#!/usr/bin/env bash
# Compiles every project (and bench/) to CommonJS under dist/ with swc, which also rewrites the
# @bulkhead/* path aliases (from tsconfig.base.json) to relative requires; then the type
# declarations of the publishable plugin SDK (dist/libs/plugin-sdk, see build-sdk.sh).
# Type checking is the `typecheck` targets' job.
set -euo pipefail
cd "$(dirname "$0")/../.."
dirs=()
for d in apps libs plugins bench tools; do [ -n "$(find "$d" -name '*.ts' -print -quit 2>/dev/null)" ] && dirs+=("$d"); done
[ "${1:-}" = "--clean" ] && rm -rf dist
config="$(mktemp --suffix=.swcrc.json)"
trap 'rm -f "$config"' EXIT
node tools/scripts/swc-config.js >"$config"
npx swc "${dirs[@]}" -d dist --config-file "$config" --copy-files --ignore '**/fixtures/**' --ignore 'apps/console/**' --ignore '**/*.spec.ts' --ignore '**/*.int-spec.ts' --ignore "**/node_modules/**" --quiet
bash tools/scripts/build-sdk.sh --declarations-only
# The web console (React, bundled by Vite; not CommonJS): dist/apps/console, served by `bulkhead serve` at /.
npx vite build --config apps/console/vite.config.mts --logLevel warn
echo "build: compiled ${dirs[*]} to dist/"
