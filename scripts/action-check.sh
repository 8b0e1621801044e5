#!/usr/bin/env bash
# The action's check step, run in the workspace: writes the SARIF report, the Markdown report to
# the job summary and the human report with workflow annotations to the log, and sets the
# outputs `verdict`, `exit-code` and `sarif-file`. It never fails itself on NO-GO, so the SARIF
# upload still runs; the action's last step turns `exit-code` into the job's result. An input
# error (exit 2) fails here, after setting the outputs: `verdict` is `incomplete` (a chart asked
# for could not be checked) unless a chart that was checked has an error (`no-go`), and
# `sarif-file` is set only when rollguard wrote a report (the upload step runs on failure too).
set -euo pipefail

bin="${ROLLGUARD_BIN:-rollguard}"
sarif="${ROLLGUARD_SARIF:-rollguard.sarif}"
base="${ROLLGUARD_BASE:-}"

args=(check --fail-on "${ROLLGUARD_FAIL_ON:-error}")
if [ "${ROLLGUARD_ALL:-false}" = true ]; then
  args+=(--all)
else
  # Space-separated paths and globs (charts/*): split and expanded on purpose.
  # shellcheck disable=SC2206
  charts=(${ROLLGUARD_CHARTS:-.})
  args+=("${charts[@]}")
fi
if [ -n "$base" ]; then
  # A shallow checkout may lack the base commit: fetch just that one.
  if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
    git fetch --no-tags --quiet --depth=1 origin "$base" ||
      { echo "::error title=rollguard::cannot fetch base commit $base (use actions/checkout with fetch-depth: 0)"; exit 2; }
  fi
  args+=(--base "$base")
fi
read -r -a extra <<< "${ROLLGUARD_ARGS:-}"
args+=("${extra[@]}")

# A report left from before must not pass for this run's when rollguard writes none.
rm -f "$sarif"
code=0
"$bin" "${args[@]}" --format sarif -o "$sarif" || code=$?
verdict=incomplete
if [ -f "$sarif" ]; then
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    "$bin" "${args[@]}" --format markdown >> "$GITHUB_STEP_SUMMARY" || true
  fi
  log="$(mktemp)"
  # Under GITHUB_ACTIONS=true the human report carries the workflow annotations.
  GITHUB_ACTIONS=true "$bin" "${args[@]}" | tee "$log" || true
  # The banner, the report's last line, says the verdict; exit 2 without a NO-GO is incomplete.
  if grep -q '^NO-GO ' "$log"; then
    verdict=no-go
  elif [ "$code" -lt 2 ]; then
    verdict=go
  fi
  rm -f "$log"
fi
{
  echo "verdict=$verdict"
  echo "exit-code=$code"
  if [ -f "$sarif" ]; then echo "sarif-file=$sarif"; fi
} >> "${GITHUB_OUTPUT:-/dev/null}"
if [ "$code" -ge 2 ]; then
  echo "::error title=rollguard::rollguard could not check the charts (exit $code): see the log"
  exit "$code"
fi
