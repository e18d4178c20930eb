//! Fills a state database with `SESSIONS` sessions of `EVENTS` events each (1M by default:
//! 10k × 100), as the hooks record them, for the benchmark's "full database" runs.
//! Usage: fill-db DB [SESSIONS] [EVENTS_PER_SESSION]
use selfheal_model::{Action, Class};
use selfheal_state::{NewEvent, SessionKey, Store};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let db = std::path::Path::new(args.first().expect("usage: fill-db DB [SESSIONS] [EVENTS]"));
    let sessions: u32 = args.get(1).map_or(10_000, |a| a.parse().expect("sessions"));
    let events: u32 = args.get(2).map_or(100, |a| a.parse().expect("events"));
    let mut store = Store::open(db).expect("open");
    // 100 sessions a transaction: a long-lived database, written as many sessions did.
    for chunk in (0..sessions).collect::<Vec<_>>().chunks(100) {
        store
            .write(|tx| {
                for &s in chunk {
                    let client = if s % 2 == 0 { "claude" } else { "codex" };
                    let key = SessionKey::new(client, format!("filler-{s:05}"));
                    tx.touch_session(&key, Some("/work/project"), 36_500)?;
                    for e in 0..events {
                        let failed = e % 10 == 3;
                        let tool_use_id = format!("call-{s}-{e}");
                        let command = format!("cargo test --package p{}", e % 7);
                        tx.insert_event(
                            &key,
                            &NewEvent {
                                hook: "failure-classifier",
                                hook_event_name: "PostToolUse",
                                tool_name: Some("Bash"),
                                tool_use_id: Some(&tool_use_id),
                                tool_kind: Some("shell"),
                                agent_id: None,
                                fingerprint: Some(format!("{:016x}", (s as u64) << 20 | e as u64)),
                                outcome: Some(if failed { "failure" } else { "success" }),
                                exit_code: Some(if failed { 101 } else { 0 }),
                                class: Some(if failed { Class::F1 } else { Class::Ok }),
                                action: failed.then_some(Action::Retry),
                                decision: if failed { "context" } else { "none" },
                                error_signature: failed.then(|| "error[E0425]".to_owned()),
                                evidence: failed.then(|| "rule test-run-failed".to_owned()),
                                read_only: Some(false),
                                mutates: Some(false),
                                output_hash: Some(format!("{:016x}", e)),
                                excerpt: Some(format!("$ {command}\n   Compiling p v0.1.0\n")),
                                intent: Some(format!("run:cargo test p{}", e % 7)),
                            },
                        )?;
                    }
                }
                Ok(())
            })
            .expect("write");
    }
    println!("{db:?}: {sessions} sessions × {events} events");
}
