#!/usr/bin/env python3
"""Scripted mock of the OpenAI Responses API, for driving real coding-agent
clients (Codex CLI, ...) offline in end-to-end tests. Python 3 stdlib only.

Usage
    mock_model.py --script SCRIPT.json [--log REQUESTS.jsonl]
                  [--port 0] [--port-file FILE] [--exhausted message|error]

  Binds 127.0.0.1 (port 0 = a free port), prints the port as one line on
  stdout, then serves until killed (SIGTERM/SIGINT).

Script (JSON)
  A list of turns. Each `POST .../responses` request consumes the next turn,
  in order, whatever the request says. A turn is a list of output items,
  streamed back in order. An item is a Responses API output item; missing
  `id` / `call_id` are filled in (`item_<n>`, `call_<n>`), and a few
  shorthands are expanded:

    {"type": "message", "text": "done"}
        -> {"type":"message","role":"assistant","id":..,
            "content":[{"type":"output_text","text":"done","annotations":[]}]}
    {"type": "function_call", "name": "exec_command",
     "arguments": {"cmd": "ls"}, "call_id": "c1"}
        -> arguments given as an object are JSON-encoded to a string, as the
           API sends them. (Codex's shell tool is `exec_command` with `cmd`.)
    {"type": "custom_tool_call", "name": "apply_patch",
     "input": "*** Begin Patch\\n...\\n*** End Patch\\n"}
        -> Codex's freeform apply_patch tool.

  The last turn should be an assistant message with no tool call, which ends
  the client's turn. When the script is exhausted, further requests get the
  assistant message "(mock model: script exhausted)" (--exhausted message, the
  default) or HTTP 500 (--exhausted error); either way it is logged.

Wire format (what Codex 0.169.0 accepts; see shared/protocols/codex.md)
  Server-Sent Events, each `event: <type>\\ndata: <json>\\n\\n`:
  response.created, one response.output_item.done per item, then
  response.completed with a usage block.

Log (--log)
  One JSON object per line, appended and flushed per request:
  {"n": <request number from 1>, "method", "path", "headers": {...},
   "body": <parsed JSON, or {"_raw": "<text>"} if not JSON>,
   "turn": <script index served or null>}.
  Each request body carries the whole conversation, so context that hooks
  injected (developer messages, replaced tool outputs, <hook_prompt>s) can be
  read from the last logged body.

Other requests: GET .../models answers an empty model list; anything else
404 (and is logged).
"""

import argparse
import gzip
import os
import json
import signal
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def normalize_item(item, n):
    """Fill ids and expand shorthands of one scripted output item."""
    item = dict(item)
    kind = item.get("type")
    item.setdefault("id", f"item_{n}")
    if kind == "message":
        item.setdefault("role", "assistant")
        if "content" not in item:
            item["content"] = [
                {"type": "output_text", "text": item.pop("text", ""), "annotations": []}
            ]
        item.setdefault("status", "completed")
    elif kind == "function_call":
        item.setdefault("call_id", f"call_{n}")
        if not isinstance(item.get("arguments"), str):
            item["arguments"] = json.dumps(item.get("arguments", {}))
        item.setdefault("status", "completed")
    elif kind == "custom_tool_call":
        item.setdefault("call_id", f"call_{n}")
        item.setdefault("status", "completed")
    return item


class Mock:
    def __init__(self, turns, log_path, exhausted):
        self.turns = turns
        self.log_path = log_path
        self.exhausted = exhausted
        self.lock = threading.Lock()
        self.requests = 0
        self.next_turn = 0
        self.items = 0

    def take_turn(self):
        """Returns (request number, turn index or None, normalized items)."""
        with self.lock:
            self.requests += 1
            n = self.requests
            if self.next_turn >= len(self.turns):
                return n, None, None
            idx = self.next_turn
            self.next_turn += 1
            items = []
            for raw in self.turns[idx]:
                self.items += 1
                items.append(normalize_item(raw, self.items))
            return n, idx, items

    def count_request(self):
        with self.lock:
            self.requests += 1
            return self.requests

    def log(self, record):
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()


def decode_body(raw, encoding):
    encoding = (encoding or "").lower()
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
    except Exception:
        pass
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"_raw": text, "_content_encoding": encoding or None}


def make_handler(mock):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep stderr quiet
            pass

        def _read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return decode_body(raw, self.headers.get("Content-Encoding")) if raw else None

        def _send_json(self, code, obj):
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, n, body, turn):
            mock.log({
                "n": n,
                "method": self.command,
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()
                            if k.lower() not in ("authorization",)},
                "body": body,
                "turn": turn,
            })

        def do_GET(self):
            n = mock.count_request()
            self._record(n, None, None)
            if self.path.split("?")[0].endswith("/models"):
                self._send_json(200, {"object": "list", "data": [], "models": []})
            else:
                self._send_json(404, {"error": {"message": "not mocked"}})

        def do_POST(self):
            body = self._read_body()
            if not self.path.split("?")[0].endswith("/responses"):
                n = mock.count_request()
                self._record(n, body, None)
                self._send_json(404, {"error": {"message": "not mocked"}})
                return
            n, idx, items = mock.take_turn()
            self._record(n, body, idx)
            if items is None:
                if mock.exhausted == "error":
                    self._send_json(500, {"error": {"message": "mock script exhausted"}})
                    return
                items = [normalize_item(
                    {"type": "message", "text": "(mock model: script exhausted)"},
                    f"x{n}")]
            self._stream(f"resp_{n}", items)

        def _stream(self, resp_id, items):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

            def event(kind, payload):
                payload = dict(payload, type=kind)
                self.wfile.write(
                    f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode())

            event("response.created", {"response": {"id": resp_id, "status": "in_progress"}})
            for i, item in enumerate(items):
                event("response.output_item.done", {"output_index": i, "item": item})
            event("response.completed", {"response": {
                "id": resp_id,
                "status": "completed",
                "usage": {
                    "input_tokens": 100,
                    "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 10,
                    "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": 110,
                },
            }})
            self.wfile.flush()

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--script", required=True, help="JSON list of turns")
    ap.add_argument("--log", help="append one JSON line per request here")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--port-file", help="also write the port here")
    ap.add_argument("--exhausted", choices=["message", "error"], default="message")
    args = ap.parse_args()

    with open(args.script, encoding="utf-8") as f:
        turns = json.load(f)
    if not isinstance(turns, list) or not all(isinstance(t, list) for t in turns):
        sys.exit("mock_model: script must be a JSON list of turns (lists of items)")

    mock = Mock(turns, args.log, args.exhausted)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(mock))
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
