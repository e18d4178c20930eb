#!/usr/bin/env bash
# Baseline (b): what a shell + jq failure classifier does per tool call, for the latency
# benchmark: parse the payload with jq, grep the output for a few failure shapes, print
# guidance as JSON, and count retries in a file. Not a product: no state safety, no dialects.
input=$(cat)
exit_code=$(jq -r '.tool_response.exit_code // .tool_response.exitCode // (if .error then 1 else 0 end)' <<<"$input")
output=$(jq -r '[.tool_response.stdout?, .tool_response.stderr?, .error?, (.tool_response|strings)] | map(select(. != null)) | join("\n")' <<<"$input")
if [ "$exit_code" != 0 ] || grep -qiE 'error|failed' <<<"$output"; then
  if grep -qE "ECONNREFUSED|ETIMEDOUT|Couldn't connect|rate limit" <<<"$output"; then
    guidance="Transient failure (F1): retry after a delay."
  elif grep -qE 'SyntaxError|invalid JSON|parse error' <<<"$output"; then
    guidance="Argument failure (F2): repair the arguments."
  elif grep -qE 'No such file|not found' <<<"$output"; then
    guidance="Stale context (F5): refresh the file listing."
  else
    guidance="Unclassified failure: retry once, then escalate."
  fi
  counter="${TMPDIR:-/tmp}/baseline-retries-$(jq -r '.session_id' <<<"$input")"
  echo $(( $(cat "$counter" 2>/dev/null || echo 0) + 1 )) >"$counter"
  jq -cn --arg g "$guidance" '{hookSpecificOutput: {hookEventName: "PostToolUse", additionalContext: $g}}'
fi
