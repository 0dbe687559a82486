#!/usr/bin/env bash
# What the book's browser test (tests/book/test_browser.py) and its tools need, checked in the first
# seconds of `make test` rather than after ten minutes of building: Node.js with npm, a Chromium
# (CHROMIUM, else chromium, google-chrome or chromium-browser on the PATH) and a Hangul font.
#   bash tools/check_browser.sh              # names what is missing and the command to install it (exit 2)
#   bash tools/check_browser.sh --packages   # prints the Debian packages of what is missing (exit 0)
set -uo pipefail
missing=() packages=()
command -v node >/dev/null && command -v npm >/dev/null || { missing+=("Node.js with npm"); packages+=(nodejs npm); }
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
  for name in chromium google-chrome chromium-browser; do
    command -v "$name" >/dev/null && { browser=$name; break; }
  done
fi
[ -n "$browser" ] || { missing+=("a Chromium"); packages+=(chromium); }
fc-list :lang=ko 2>/dev/null | grep -q . || { missing+=("a Hangul font"); packages+=(fonts-nanum); }
if [ "${1:-}" = --packages ]; then
  echo "${packages[*]}"
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  joined=$(printf '%s, ' "${missing[@]}")
  echo "make test: the browser test needs ${joined%, }, not found here; install with" >&2
  echo "  sudo apt-get install -y ${packages[*]}" >&2
  echo "(Debian/Ubuntu; .ci/run installs them itself when it runs as root)" >&2
  exit 2
fi
