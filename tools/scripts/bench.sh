#!/usr/bin/env bash
# Runs a benchmark from bench/ (compiled by the build): `npm run bench -- <name> [args...]`.
set -euo pipefail
cd "$(dirname "$0")/../.."
name="${1:?usage: npm run bench -- <name> [args] (names: $(ls bench/*.ts 2>/dev/null | xargs -n1 basename | sed 's/\.ts$//' | tr '\n' ' '))}"
shift
bash tools/scripts/build.sh >/dev/null
# As deployed: the image sets NODE_ENV=production (graphql-js's development checks cost ~5% of a
# request in the benchmarks that run the API in their own process).
NODE_ENV="${NODE_ENV:-production}" exec node --expose-gc "dist/bench/$name.js" "$@"
