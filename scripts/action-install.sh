#!/usr/bin/env bash
# The action's install step: puts rollguard on PATH for the following steps. `source` builds it
# from the action's own source with cargo (the runners have a Rust toolchain), once per action
# ref in the runner's tool cache; `path` uses a rollguard the workflow installed itself.
set -euo pipefail

if [ "${ROLLGUARD_INSTALL:-source}" = path ]; then
  command -v rollguard >/dev/null || { echo "::error title=rollguard::install: path, but rollguard is not on PATH"; exit 2; }
  rollguard --version
  exit 0
fi
if [ "${ROLLGUARD_INSTALL:-source}" != source ]; then
  echo "::error title=rollguard::install must be source or path, not '${ROLLGUARD_INSTALL}'"
  exit 2
fi

source_dir="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
ref="${GITHUB_ACTION_REF:-local}"
root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/rollguard/${ref//\//-}"
if [ ! -x "$root/bin/rollguard" ]; then
  cargo install --locked --quiet --root "$root" --path "$source_dir"
fi
echo "$root/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
"$root/bin/rollguard" --version
