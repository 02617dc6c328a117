#!/usr/bin/env bash
# The gohazard step of action.yml, kept in a script so that it runs the same way in a test
# (test/action.test.ts) as on a runner. Inputs come as GOHAZARD_* variables; outputs go to
# $GITHUB_OUTPUT. Exits 0 and records gohazard's exit code, so that the SARIF upload can follow.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

args=(check --format "${GOHAZARD_FORMAT:-github}")
# Unset, the project's own .gohazard.json decides (its failOn, else error): the flag would override it.
[ -n "${GOHAZARD_FAIL_ON:-}" ] && args+=(--fail-on "$GOHAZARD_FAIL_ON")
if [ -n "${GOHAZARD_SARIF_FILE:-}" ]; then
  args+=(--format "sarif:${GOHAZARD_SARIF_FILE}" --sarif-category "${GOHAZARD_SARIF_CATEGORY:-gohazard}")
fi
# The job summary is made from a JSON report beside the others.
summary_json=""
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "${GOHAZARD_JOB_SUMMARY:-true}" = true ]; then
  summary_json="$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gohazard-summary.XXXXXX")"
  args+=(--format "json:${summary_json}")
fi
[ -n "${GOHAZARD_NEW_FROM_REV:-}" ] && args+=(--new-from-rev "$GOHAZARD_NEW_FROM_REV")
[ -n "${GOHAZARD_BASELINE:-}" ] && args+=(--baseline "$GOHAZARD_BASELINE")
# Word splitting is wanted: patterns and extra flags are space-separated lists.
# shellcheck disable=SC2206
args+=(${GOHAZARD_ARGS:-} -- ${GOHAZARD_PATTERNS:-./...})

node "$here/bin/gohazard.js" "${args[@]}"
code=$?
if [ -n "$summary_json" ]; then
  [ -s "$summary_json" ] && node "$here/action/summary.js" "$summary_json" >> "$GITHUB_STEP_SUMMARY"
  rm -f "$summary_json"
fi
out="${GITHUB_OUTPUT:-/dev/null}"
echo "exit-code=$code" >> "$out"
if [ -n "${GOHAZARD_SARIF_FILE:-}" ] && [ -f "$GOHAZARD_SARIF_FILE" ]; then
  echo "sarif-file=$GOHAZARD_SARIF_FILE" >> "$out"
fi
exit 0
