#!/bin/sh
# `helm rollguard ARGS…` runs `rollguard ARGS…`. Installing or updating the plugin builds the
# binary into the plugin directory with cargo; a rollguard already on PATH works too.
set -eu
dir="${HELM_PLUGIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"

if [ "${1:-}" = "--install" ]; then
  # A given binary needs no build (tests install the plugin with the binary they built).
  if [ -n "${ROLLGUARD_BIN:-}" ]; then exit 0; fi
  if command -v cargo >/dev/null 2>&1; then
    cargo install --locked --quiet --root "$dir" --path "$dir"
  elif ! command -v rollguard >/dev/null 2>&1; then
    echo "helm rollguard: cargo not found: install rollguard (cargo install --path $dir) and put it on PATH" >&2
  fi
  exit 0
fi

if [ -n "${ROLLGUARD_BIN:-}" ]; then
  bin="$ROLLGUARD_BIN"
elif [ -x "$dir/bin/rollguard" ]; then
  bin="$dir/bin/rollguard"
elif command -v rollguard >/dev/null 2>&1; then
  bin=rollguard
else
  echo "helm rollguard: no rollguard binary: run 'helm plugin update rollguard' (needs cargo) or put rollguard on PATH" >&2
  exit 2
fi
# An empty namespace is "not set" (rollguard's default, `default`), not the namespace "".
if [ -z "${HELM_NAMESPACE:-}" ]; then unset HELM_NAMESPACE; fi
exec "$bin" "$@"
