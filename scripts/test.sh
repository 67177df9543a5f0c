#!/usr/bin/env bash
# The project's whole test run (README "Tests"): installs what the integration tests need on a fresh
# Debian machine, type-checks, then runs the unit tests (Pulumi mocks) and the integration tests
# (real PostgreSQL 17, PostgreSQL 15 and MariaDB started on 127.0.0.1 by the tests themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund
# The policy pack is its own package (policy/package.json, its lockfile).
[[ -d policy/node_modules ]] || npm ci --prefix policy --no-audit --no-fund
bash scripts/install-test-deps.sh

echo "== workflow files (.github/workflows, checked offline against the GitHub Actions schema)"
for f in .github/workflows/*.yml; do npx action-validator "$f"; done

echo "== build (dist/, what bin/astro-db.js runs)"
node scripts/build.js

echo "== typecheck (tsc --noEmit, strict)"
npx tsc --noEmit

echo "== import rules (.dependency-cruiser.cjs: no cycles, engines <- components <- stacks <- cli, nothing imports test/)"
npx depcruise --output-type err engines components stacks cli bin scripts test

# Type-checking happened above; mocha transpiles only, which keeps the run fast.
export TS_NODE_TRANSPILE_ONLY=true
echo "== unit tests (Pulumi mocks)"
npx mocha 'test/unit/**/*.test.ts'
echo "== policy pack (every rule through the policy SDK's validate functions)"
(cd policy && npx tsc --noEmit -p . && npx mocha -r ts-node/register 'test/**/*.test.ts')
echo "== integration tests (real servers)"
# A server that cannot start is a failure, never a silent skip, when CI=true or ASTRO_DB_REQUIRE_SERVERS=1.
npx mocha 'test/integration/**/*.test.ts'
