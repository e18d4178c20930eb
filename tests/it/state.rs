//! The shared store under parallel hook processes.

use std::collections::HashMap;

use crate::support::Sandbox;

#[test]
fn parallel_hook_processes_lose_no_event() {
    let sandbox = Sandbox::new();
    let (processes, events_each) = (16, 8);
    std::thread::scope(|scope| {
        for p in 0..processes {
            let sandbox = &sandbox;
            scope.spawn(move || {
                for e in 0..events_each {
                    let payload = format!(
                        r#"{{"session_id":"par","turn_id":"t","cwd":"/tmp","hook_event_name":"PostToolUse","model":"m","tool_name":"Bash","tool_input":{{"command":"echo {p}-{e}"}},"tool_response":"{p}-{e}\n","tool_use_id":"c{p}-{e}"}}"#
                    );
                    sandbox.case("failure-classifier", payload).run().assert_silent();
                }
            });
        }
    });
    let ran = sandbox.selfheal(&["events", "--session", "par", "--json"]);
    let mut ids: HashMap<String, u32> = HashMap::new();
    for line in ran.assert_success().stdout().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *ids.entry(v["tool_use_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(ids.len(), processes * events_each);
    assert!(ids.values().all(|n| *n == 1));
}
