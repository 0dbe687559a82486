#!/usr/bin/env bash
# Fail if vit_lit/ differs from what a fresh nbdev_export makes of nbs/ (vit_lit/weights/ holds
# package data made by tools/make_weights.py, not by nbdev; vit_lit/results/ the sweep that
# bench/small_data.py measures (chapter 16 reads it); vit_lit/js/ the JavaScript the book
# and the explorer serve, edited by hand as .js files).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r settings.ini nbs "$tmp/"
(cd "$tmp" && "$OLDPWD/.venv/bin/nbdev_export" >/dev/null)
if ! diff -r -x __pycache__ -x weights -x results -x js vit_lit "$tmp/vit_lit"; then
  echo "vit_lit/ is out of date with nbs/: run \`make export\` (never edit vit_lit/ by hand)" >&2
  exit 1
fi
