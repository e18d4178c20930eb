#!/usr/bin/env python3
"""Probe: when Codex CLI fires PostToolUse, is the call's exit code already in
the rollout transcript (the JSONL at the payload's `transcript_path`)?

Drives the real `codex exec` against tests/e2e/mock_model.py. A PostToolUse
hook (a small sh script) copies its stdin and snapshots the transcript
immediately (snap0), then again after sleeping HOOK_SLEEP seconds while Codex
is still waiting on the hook (snap1). For every tool call we report which
records carrying that call_id were in each snapshot and in the final file:

  * event_msg / item_completed (item.id = call_id, item.exit_code)
  * response_item / function_call_output or custom_tool_call_output
    (call_id, output text containing "Process exited with code N" / "Exit code: N")

Usage
    codex_transcript_probe.py [--codex PATH] [--runs 5] [--keep] [--workdir DIR]
                              [--stress N]

  PATH defaults to $CODEX_BIN, else /var/tmp/codex-probe/node_modules/.bin/codex
  (`npm install @openai/codex@0.169.0` in /var/tmp/codex-probe). Each run is one
  `codex exec` session whose scripted model issues the calls in CALLS one per
  turn, then says "done". Each codex run is started in its own process group
  and the whole group is killed on timeout (the npm launcher would otherwise
  leave the native binary running). Prints a per-call table and a verdict;
  exits 0 when every call was observed (even if the verdict is "absent").
  `--sandbox workspace-write` is passed so that apply_patch may write.

Observed with codex-cli 0.169.0 (5 runs, and 10 runs under CPU load):
  the *_output record is never there when PostToolUse runs (Codex writes it
  after the hook returns, since the hook may replace it); the event_msg
  item_completed record (exec: item.exit_code; apply_patch: FileChange with
  status, no exit code) always is, as the last line of the file.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HOOK_SLEEP = 1.5

PATCH_ADD = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
PATCH_UPD = ("*** Begin Patch\n*** Update File: hello.txt\n@@\n-hello\n"
             "+hello, patched\n*** End Patch\n")

# (call_id, kind, expected exit code, output item)
CALLS = [
    ("c_fail", "ls missing (exit 2)", 2,
     {"type": "function_call", "name": "exec_command",
      "arguments": {"cmd": "ls /nonexistent-path"}}),
    ("c_ok", "echo (exit 0)", 0,
     {"type": "function_call", "name": "exec_command",
      "arguments": {"cmd": "echo hello-probe"}}),
    ("c_exit3", "sh exit 3", 3,
     {"type": "function_call", "name": "exec_command",
      "arguments": {"cmd": "sh -c 'echo before-exit >&2; exit 3'"}}),
    ("c_long", "long output (seq 1 200000; exit 5)", 5,
     {"type": "function_call", "name": "exec_command",
      "arguments": {"cmd": "seq 1 200000; exit 5"}}),
    ("c_patch_add", "apply_patch add", 0,
     {"type": "custom_tool_call", "name": "apply_patch", "input": PATCH_ADD}),
    ("c_patch_upd", "apply_patch update", 0,
     {"type": "custom_tool_call", "name": "apply_patch", "input": PATCH_UPD}),
]

HOOK_SH = r"""#!/bin/sh
# PostToolUse probe hook: snapshot the transcript at once, then again later.
d=%(probe)s
t0=$(date +%%s%%N)
p=$(cat)
t=$(printf '%%s' "$p" | sed -n 's/.*"transcript_path":"\([^"]*\)".*/\1/p')
id=$(printf '%%s' "$p" | sed -n 's/.*"tool_use_id":"\([^"]*\)".*/\1/p')
cp "$t" "$d/$id.snap0.jsonl"
t1=$(date +%%s%%N)
printf '%%s' "$p" > "$d/$id.stdin.json"
sleep %(sleep)s
cp "$t" "$d/$id.snap1.jsonl"
echo "$t0 $t1 $(date +%%s%%N)" > "$d/$id.times"
exit 0
"""

CONFIG_TOML = """model = "gpt-5.5"
model_provider = "mock"

[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:%(port)d/v1"
wire_api = "responses"
env_key = "MOCK_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[[hooks.PostToolUse]]
[[hooks.PostToolUse.hooks]]
type = "command"
command = "%(hook)s"
timeout = 30
"""


def records_for(path, call_id):
    """Records in a transcript snapshot that mention call_id, classified."""
    out = {"item_completed": None, "output": None, "complete": True,
           "size": 0, "lines": 0}
    if not os.path.exists(path):
        return None
    data = open(path, "rb").read()
    out["size"] = len(data)
    out["complete"] = data.endswith(b"\n") or not data
    pos = 0
    for raw in data.splitlines(keepends=True):
        start, pos = pos, pos + len(raw)
        raw = raw.rstrip(b"\n")
        out["lines"] += 1
        try:
            rec = json.loads(raw)
        except ValueError:
            out["complete"] = False
            continue
        p = rec.get("payload") or {}
        if (rec.get("type") == "event_msg" and p.get("type") == "item_completed"
                and (p.get("item") or {}).get("id") == call_id):
            out["item_completed"] = (rec, len(raw))
            out["ic_tail_bytes"] = len(data) - start  # tail needed to see the whole line
        elif (rec.get("type") == "response_item"
              and p.get("type") in ("function_call_output", "custom_tool_call_output")
              and p.get("call_id") == call_id):
            out["output"] = (rec, len(raw))
    return out


def exit_line(rec):
    out = rec["payload"].get("output")
    if isinstance(out, dict):  # some versions wrap content
        out = json.dumps(out)
    for line in (out or "").splitlines():
        if line.startswith("Process exited with code") or line.startswith("Exit code:"):
            return line
    return None


def run_once(codex, root, n, timeout):
    run = os.path.join(root, f"run{n}")
    home, proj, probe = (os.path.join(run, x) for x in ("home", "project", "probe"))
    for d in (home, proj, probe):
        os.makedirs(d)
    hook = os.path.join(run, "hook.sh")
    with open(hook, "w") as f:
        f.write(HOOK_SH % {"probe": probe, "sleep": HOOK_SLEEP})
    os.chmod(hook, 0o755)
    script = [[dict(item, call_id=cid)] for cid, _, _, item in CALLS]
    script.append([{"type": "message", "text": "done"}])
    with open(os.path.join(run, "script.json"), "w") as f:
        json.dump(script, f, indent=1)

    mock = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "mock_model.py"),
         "--script", os.path.join(run, "script.json"),
         "--log", os.path.join(run, "requests.jsonl")],
        stdout=subprocess.PIPE, text=True)
    port = int(mock.stdout.readline())
    with open(os.path.join(home, "config.toml"), "w") as f:
        f.write(CONFIG_TOML % {"port": port, "hook": hook})

    env = dict(os.environ, CODEX_HOME=home, MOCK_API_KEY="dummy")
    with open(os.path.join(run, "codex.out"), "w") as out, \
            open(os.path.join(run, "codex.err"), "w") as err:
        proc = subprocess.Popen(
            [codex, "exec", "--skip-git-repo-check", "--dangerously-bypass-hook-trust",
             "--sandbox", "workspace-write", "probe"],
            cwd=proj, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = "timeout"
    try:  # stray children of the session (native binary, hooks)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    mock.terminate()
    mock.wait()

    transcripts = []
    for dp, _, fs in os.walk(home):
        transcripts += [os.path.join(dp, x) for x in fs if x.endswith(".jsonl")]
    final = transcripts[0] if len(transcripts) == 1 else None

    results = []
    for cid, kind, want, _ in CALLS:
        r = {"call_id": cid, "kind": kind, "want": want, "fired": False}
        stdin_path = os.path.join(probe, f"{cid}.stdin.json")
        if os.path.exists(stdin_path):
            r["fired"] = True
            payload = json.load(open(stdin_path))
            r["payload"] = payload
            r["tool_response"] = payload.get("tool_response")
            r["transcript_path"] = payload.get("transcript_path")
        for tag, path in (("snap0", os.path.join(probe, f"{cid}.snap0.jsonl")),
                          ("snap1", os.path.join(probe, f"{cid}.snap1.jsonl")),
                          ("final", final)):
            r[tag] = records_for(path, cid) if path else None
        results.append(r)
    return {"run": n, "rc": rc, "dir": run, "final": final, "calls": results}


def yn(x):
    return "yes" if x else "no"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--codex", default=os.environ.get(
        "CODEX_BIN", "/var/tmp/codex-probe/node_modules/.bin/codex"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--workdir", help="keep runs here (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="do not delete the temp dir")
    ap.add_argument("--stress", type=int, default=0, metavar="N",
                    help="run N CPU-burning processes during the runs")
    args = ap.parse_args()

    version = subprocess.run([args.codex, "--version"], capture_output=True,
                             text=True).stdout.strip()
    print(f"codex: {version}  runs: {args.runs}  hook sleep before snap1: {HOOK_SLEEP}s")
    root = args.workdir or tempfile.mkdtemp(prefix="codex-probe-", dir="/var/tmp")
    os.makedirs(root, exist_ok=True)

    hogs = []
    if args.stress:  # CPU hogs to widen any race between Codex's writer and the hook
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                 start_new_session=True)
                for _ in range(args.stress)]
    try:
        runs = [run_once(args.codex, root, i + 1, args.timeout) for i in range(args.runs)]
    finally:
        for h in hogs:
            os.killpg(h.pid, signal.SIGKILL)
            h.wait()
    n = len(runs)

    print()
    print("per call kind, counts over runs:")
    print("  kind | PostToolUse fired | item_completed@hook (exit_code ok) | "
          "*_output rec@hook | @hook+%.1fs | @end | exit line at end" % HOOK_SLEEP)
    ok_all = True
    tot_out0 = tot_ic0 = tot_exec = 0
    margins, tails = [], []
    for i, (cid, kind, want, item) in enumerate(CALLS):
        fired = ic0 = icok = out0 = out1 = outf = 0
        lines, statuses = set(), set()
        for run in runs:
            r = run["calls"][i]
            fired += r["fired"]
            s0, s1, fin = r["snap0"], r["snap1"], r["final"]
            if s0 and s0["item_completed"]:
                ic0 += 1
                it = s0["item_completed"][0]["payload"]["item"]
                statuses.add(f'{it.get("type")}/{it.get("status")}')
                icok += it.get("exit_code") == want
                tails.append(s0["ic_tail_bytes"])
                tfile = os.path.join(run["dir"], "probe", f"{cid}.times")
                if os.path.exists(tfile):
                    hook_ns = int(open(tfile).read().split()[0])
                    ts = s0["item_completed"][0]["timestamp"]
                    rec_ms = time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) \
                        - time.timezone + int(ts[20:23]) / 1000
                    margins.append(hook_ns / 1e9 - rec_ms)
            out0 += bool(s0 and s0["output"])
            out1 += bool(s1 and s1["output"])
            if fin and fin["output"]:
                outf += 1
                lines.add(exit_line(fin["output"][0]))
            else:
                ok_all = False
        tot_out0 += out0
        if item["type"] == "function_call":
            tot_exec += n
            tot_ic0 += icok
        print(f"  {kind} | {fired}/{n} | {ic0}/{n} ({icok} ok; {','.join(sorted(statuses))}) | "
              f"{out0}/{n} | {out1}/{n} | {outf}/{n} | {sorted(map(str, lines))}")

    print()
    for run in runs:
        sizes = " ".join(f"{r['call_id']}={r['snap0']['size'] if r['snap0'] else '-'}"
                         for r in run["calls"])
        fsize = os.path.getsize(run["final"]) if run["final"] else None
        print(f"run {run['run']}: rc={run['rc']} transcript bytes at hook: {sizes} final={fsize}")
    some = next((r for run in runs for r in run["calls"] if r.get("transcript_path")), None)
    if some:
        print("transcript_path example:", some["transcript_path"])
    print("line sizes in run 1 (bytes): item_completed / *_output / tool_response JSON")
    for r in runs[0]["calls"]:
        fin = r["final"]
        if fin:
            ic = fin["item_completed"][1] if fin["item_completed"] else None
            oc = fin["output"][1] if fin["output"] else None
            print(f"  {r['call_id']}: {ic} / {oc} / {len(json.dumps(r.get('tool_response')))}")
    partial = sum(1 for run in runs for r in run["calls"]
                  if r["snap0"] and not r["snap0"]["complete"])
    print(f"snapshots ending in a partial line: {partial}")
    if margins:
        print("hook start minus item_completed timestamp (ms): min %.1f  max %.1f" % (
            min(margins) * 1000, max(margins) * 1000))
    if tails:
        print(f"tail bytes needed at hook time to include the whole item_completed line: "
              f"max {max(tails)}")

    print()
    print("VERDICT:")
    print(f"  call output record (function_call_output 'Process exited with code N' / "
          f"custom_tool_call_output 'Exit code: N') in the transcript when PostToolUse "
          f"runs: {tot_out0}/{n * len(CALLS)} -> "
          f"{'PRESENT' if tot_out0 == n * len(CALLS) else 'NOT RELIABLY PRESENT' if tot_out0 else 'ABSENT'}")
    print(f"  event_msg item_completed (item.id = call_id) with the right item.exit_code "
          f"when PostToolUse runs (exec_command): {tot_ic0}/{tot_exec}")
    print(f"runs in {root}")
    if not args.workdir and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
        print("(deleted; pass --keep to keep them)")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
