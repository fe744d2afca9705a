#!/usr/bin/env bash
# The whole test suite, as CI runs it (`npm test`):
#   1. builds the real OCI test images (../shared/tools/make-test-images.sh) if missing,
#   2. compiles dist/ (integration tests start the compiled worker and CLI as real processes),
#   3. lint + typecheck of every Nx project (module boundaries included),
#   4. Jest: unit and integration projects in one run, results in tmp/jest-results.json.
# Needs Postgres and Redis (DATABASE_URL / REDIS_URL, defaults: the local services).
set -uo pipefail
cd "$(dirname "$0")/../.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
status=0
step() { echo; echo "== $*"; }

step "test images"
bash tools/scripts/test-images.sh >/dev/null || { echo "test images could not be built"; exit 1; }
step "build"
bash tools/scripts/build.sh || exit 1
step "lint + typecheck"
npx nx run-many -t lint typecheck --parallel=2 --outputStyle=static || status=1
step "jest (unit + integration)"
mkdir -p tmp
npx jest --config jest.config.cjs --ci --maxWorkers=2 --json --outputFile=tmp/jest-results.json "$@" || status=1
node -e '
  const r = require("./tmp/jest-results.json");
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped (${r.numTotalTestSuites} suites, ${r.numFailedTestSuites} failed, ${r.numRuntimeErrorTestSuites} could not run)`);
' 2>/dev/null || true
[ "$status" -eq 0 ] && echo "all checks passed" || echo "some checks FAILED"
exit "$status"
