#!/usr/bin/env bash
# Compiles every project (and bench/) to CommonJS under dist/ with swc, which also rewrites the
# @bulkhead/* path aliases to relative requires. Type checking is the `typecheck` targets' job.
set -euo pipefail
cd "$(dirname "$0")/../.."
dirs=()
for d in apps libs plugins bench tools; do [ -n "$(find "$d" -name '*.ts' -print -quit 2>/dev/null)" ] && dirs+=("$d"); done
[ "${1:-}" = "--clean" ] && rm -rf dist
npx swc "${dirs[@]}" -d dist --config-file .swcrc --copy-files --ignore '**/*.spec.ts' --ignore '**/*.int-spec.ts' --ignore "**/node_modules/**" --quiet
echo "build: compiled ${dirs[*]} to dist/"
