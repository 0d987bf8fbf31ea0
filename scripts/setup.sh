#!/usr/bin/env bash
# Idempotent set-up used by both Quickstart commands: system tools the tests drive for real
# (zstd, OpenSSL, Chromium, npm, a JDK with Bouncy Castle) and a project virtualenv with the
# package and its test extra.
set -euo pipefail
cd "$(dirname "$0")/.."
want_system=${1:-all}
need=()
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "$want_system" = all ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  # Bouncy Castle's RFC 4998 code and a JDK: the Evidence Record interop test
  # (tests/timestamp/test_ers_interop.py) compiles tests/interop_java against these jars.
  command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
  for jar in bcprov bcpkix bcutil; do
    [ -f "/usr/share/java/$jar.jar" ] || need+=("lib$jar-java")
  done
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${need[*]} with apt-get" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: please install these system packages first: ${need[*]}" >&2
    exit 2
  fi
fi
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.glyphserpack-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip "setuptools>=77" >/dev/null
  # setuptools warns on every editable build that a folder may shadow the package; it can't
  # here (the folder *is* the package), so keep the Quickstart's output readable.
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
# JavaScript the tests drive (axe-core for the accessibility test), pinned by the committed
# scripts/npm/package-lock.json and installed into the git-ignored .node/. `npm ci` is skipped
# when .node already holds exactly that lock file, so reruns are instant and work offline.
if [ "$want_system" = all ]; then
  if ! cmp -s scripts/npm/package-lock.json .node/package-lock.json \
    || [ ! -f .node/node_modules/axe-core/axe.min.js ]; then
    mkdir -p .node
    cp scripts/npm/package.json scripts/npm/package-lock.json .node/
    (cd .node && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi
