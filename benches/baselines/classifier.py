#!/usr/bin/env python3
"""Baseline (c): the shell + jq classifier (classifier.sh) in Python, for the latency benchmark:
parse the payload, match a few failure shapes, print guidance as JSON, count retries in a file.
Not a product: no state safety, no dialects."""
import json
import os
import re
import sys

payload = json.load(sys.stdin)
response = payload.get("tool_response")
parts = [payload.get("error")]
if isinstance(response, dict):
    parts += [response.get("stdout"), response.get("stderr")]
    exit_code = response.get("exit_code", response.get("exitCode", 0))
else:
    parts.append(response)
    exit_code = 1 if payload.get("error") else 0
output = "\n".join(p for p in parts if isinstance(p, str))
if exit_code != 0 or re.search(r"error|failed", output, re.I):
    if re.search(r"ECONNREFUSED|ETIMEDOUT|Couldn't connect|rate limit", output):
        guidance = "Transient failure (F1): retry after a delay."
    elif re.search(r"SyntaxError|invalid JSON|parse error", output):
        guidance = "Argument failure (F2): repair the arguments."
    elif re.search(r"No such file|not found", output):
        guidance = "Stale context (F5): refresh the file listing."
    else:
        guidance = "Unclassified failure: retry once, then escalate."
    counter = os.path.join(os.environ.get("TMPDIR", "/tmp"), "baseline-retries-" + str(payload.get("session_id")))
    try:
        with open(counter) as f:
            n = int(f.read() or 0)
    except (OSError, ValueError):
        n = 0
    with open(counter, "w") as f:
        f.write(str(n + 1))
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": guidance}}))
