//! The scripted model server: 127.0.0.1 only, any key accepted, one thread per connection.
//! Each model request of the agent takes the next scripted turn, whatever it says, and every
//! request is recorded with its body, so a test can read what reached the model.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{json, Value};

use crate::http::{read_request, respond, respond_sse, HttpRequest};
use crate::script::{self, Step, Turn, Wire};

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    /// 1-based arrival order over all requests.
    pub n: usize,
    pub method: String,
    /// The request target, query included.
    pub target: String,
    /// The body as JSON (`{"_raw": text}` when it is not JSON; null when empty).
    pub body: Value,
    /// Whether this was one of the agent's own model turns (not a side request such as a
    /// title or a token count).
    pub agent: bool,
    /// The script turn it was answered with (None: a side request, or the script was spent).
    pub turn: Option<usize>,
}

impl Request {
    /// Every string in the body, one per line: what the model was shown, wherever the client
    /// put it (system prompt, a developer or user message, a tool result, a reminder).
    pub fn text(&self) -> String {
        let mut out = String::new();
        collect_strings(&self.body, &mut out);
        out
    }
}

fn collect_strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

struct State {
    turns: Vec<Turn>,
    next_turn: usize,
    next_id: usize,
    requests: Vec<Request>,
    /// Problems the server met (unreadable requests): reported by the run.
    errors: Vec<String>,
}

struct Shared {
    wire: Wire,
    state: Mutex<State>,
    stop: AtomicBool,
}

pub struct ModelServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the model says once the script is spent: the agent ends its turn.
pub const SPENT: &str = "(scripted model: nothing more to do)";

impl ModelServer {
    pub fn start(wire: Wire, turns: Vec<Turn>) -> ModelServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            wire,
            state: Mutex::new(State {
                turns,
                next_turn: 0,
                next_id: 0,
                requests: Vec::new(),
                errors: Vec::new(),
            }),
            stop: AtomicBool::new(false),
        });
        let acceptor = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || serve(&shared, stream));
                }
            })
        };
        ModelServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    pub fn errors(&self) -> Vec<String> {
        self.lock().errors.clone()
    }

    /// How many scripted turns were served.
    pub fn turns_served(&self) -> usize {
        self.lock().next_turn
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr); // wake the acceptor
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

fn serve(shared: &Shared, stream: TcpStream) {
    let request = match read_request(&stream) {
        Ok(r) => r,
        Err(e) => {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            state.errors.push(format!("unreadable request: {e}"));
            return;
        }
    };
    let body = parse_body(&request);
    let path = request.path().to_owned();
    let model_call = request.method == "POST"
        && match shared.wire {
            Wire::Responses => path.ends_with("/responses"),
            Wire::Messages => path.ends_with("/messages"),
        };
    let agent = model_call && is_agent_turn(shared.wire, &body);

    // Take a turn and record the request in one step, so the log's order is the turns' order.
    let mut error = None;
    let events = {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        let seq = state.requests.len() + 1;
        let (turn, steps) = if agent && state.next_turn < state.turns.len() {
            let i = state.next_turn;
            state.next_turn += 1;
            (Some(i), state.turns[i].clone())
        } else if model_call {
            let say = if agent { SPENT } else { "ok" };
            (None, vec![Step::Text(say.to_owned())])
        } else {
            (None, Vec::new())
        };
        state.requests.push(Request {
            n: seq,
            method: request.method.clone(),
            target: request.target.clone(),
            body,
            agent,
            turn,
        });
        if let Some(status) = steps.iter().find_map(|s| match s {
            Step::HttpError(status) => Some(*status),
            _ => None,
        }) {
            error = Some(status);
            Vec::new()
        } else if steps.iter().any(|s| matches!(s, Step::Stall)) {
            Vec::new()
        } else if model_call {
            let mut ids = || {
                state.next_id += 1;
                state.next_id
            };
            script::render(shared.wire, &steps, seq, &mut ids)
        } else {
            Vec::new()
        }
    };

    if let Some(status) = error {
        let body = script::error_body(shared.wire, status).to_string();
        if let Err(e) = respond(&stream, status, "application/json", body.as_bytes()) {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            state
                .errors
                .push(format!("writing the error to {}: {e}", request.target));
        }
        return;
    }
    if events.is_empty() && model_call {
        // A stalled turn: hold the request open until the server stops.
        while !shared.stop.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        return;
    }
    let result = if model_call {
        respond_sse(&stream, &events)
    } else if request.method == "POST" && path.ends_with("/messages/count_tokens") {
        respond(
            &stream,
            200,
            "application/json",
            json!({"input_tokens": 100}).to_string().as_bytes(),
        )
    } else if request.method == "GET" && path.ends_with("/models") {
        respond(
            &stream,
            200,
            "application/json",
            json!({"object": "list", "data": [], "models": []})
                .to_string()
                .as_bytes(),
        )
    } else {
        respond(
            &stream,
            404,
            "application/json",
            json!({"error": {"type": "not_found_error", "message": "not scripted"}})
                .to_string()
                .as_bytes(),
        )
    };
    if let Err(e) = result {
        let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .errors
            .push(format!("writing the answer to {}: {e}", request.target));
    }
}

fn parse_body(request: &HttpRequest) -> Value {
    if request.body.is_empty() {
        return Value::Null;
    }
    if let Some(encoding) = request.header("content-encoding") {
        if encoding != "identity" {
            return json!({"_raw_encoding": encoding, "_len": request.body.len()});
        }
    }
    serde_json::from_slice(&request.body)
        .unwrap_or_else(|_| json!({"_raw": String::from_utf8_lossy(&request.body)}))
}

/// Whether a model request is the agent's own turn. Codex sends only those. Claude Code also
/// asks the model for small side jobs (no tools offered); those get a short text and do not
/// take a scripted turn.
fn is_agent_turn(wire: Wire, body: &Value) -> bool {
    match wire {
        Wire::Responses => true,
        Wire::Messages => body["tools"].as_array().is_some_and(|t| !t.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;
    use crate::script::{shell, text};

    fn post(server: &ModelServer, target: &str, body: &str, chunked: bool) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        let head =
            format!("POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n");
        let request = if chunked {
            let (a, b) = body.split_at(body.len() / 2);
            format!(
                "{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
                a.len(),
                b.len()
            )
        } else {
            format!("{head}Content-Length: {}\r\n\r\n{body}", body.len())
        };
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    /// The `data:` JSON of every SSE event in an answer.
    fn events(answer: &str) -> Vec<Value> {
        answer
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn responses_turns_in_order_then_spent() {
        let server =
            ModelServer::start(Wire::Responses, vec![vec![shell("ls")], vec![text("done")]]);
        let first = events(&post(&server, "/v1/responses", r#"{"input":["a"]}"#, false));
        assert_eq!(first[0]["type"], "response.created");
        let item = &first[1]["item"];
        assert_eq!(item["name"], "exec_command");
        assert_eq!(item["arguments"], r#"{"cmd":"ls"}"#);
        assert_eq!(first.last().unwrap()["type"], "response.completed");
        let second = events(&post(&server, "/v1/responses", r#"{"input":["b"]}"#, true));
        assert_eq!(second[1]["item"]["content"][0]["text"], "done");
        let third = events(&post(&server, "/v1/responses", "{}", false));
        assert_eq!(third[1]["item"]["content"][0]["text"], SPENT);

        let requests = server.requests();
        assert_eq!(requests.len(), 3);
        assert_eq!(requests[1].body["input"][0], "b", "chunked body read");
        assert_eq!(
            requests.iter().map(|r| r.turn).collect::<Vec<_>>(),
            [Some(0), Some(1), None]
        );
        assert_eq!(server.turns_served(), 2);
        assert!(server.errors().is_empty());
    }

    #[test]
    fn messages_side_requests_take_no_turn() {
        let server = ModelServer::start(Wire::Messages, vec![vec![text("hi"), shell("ls")]]);
        let side = events(&post(
            &server,
            "/v1/messages?beta=true",
            r#"{"messages":[]}"#,
            false,
        ));
        assert_eq!(side[1]["content_block"]["type"], "text");
        let body = r#"{"tools":[{"name":"Bash"}],"messages":[{"content":"go"}]}"#;
        let turn = events(&post(&server, "/v1/messages?beta=true", body, false));
        let names: Vec<&str> = turn.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(names[0], "message_start");
        assert_eq!(turn[1]["content_block"]["type"], "text");
        assert_eq!(turn[2]["delta"]["text"], "hi");
        assert_eq!(turn[4]["content_block"]["name"], "Bash");
        assert_eq!(turn[5]["delta"]["partial_json"], r#"{"command":"ls"}"#);
        let delta = turn.iter().find(|e| e["type"] == "message_delta").unwrap();
        assert_eq!(delta["delta"]["stop_reason"], "tool_use");
        assert_eq!(names.last(), Some(&"message_stop"));

        let requests = server.requests();
        assert!(!requests[0].agent && requests[1].agent);
        assert_eq!(requests[1].turn, Some(0));
        assert!(requests[1].text().contains("go\n"));
    }
}
