//! Codex runs user hooks only when trusted, and skips untrusted ones silently: every other
//! Codex scenario would pass vacuously with a wrong trust hash. Codex's own app-server says
//! whether the registration the harness writes (`profiles/codex/hooks.json`, trusted by the
//! hash computed as `shared/protocols/codex.md` says) is trusted.

use std::time::Duration;

use selfheal_testkit::codex;

use crate::hooks_dir;

#[test]
fn codex_trusts_every_hook_the_harness_registers() {
    let dir = std::env::temp_dir().join(format!("selfheal-e2e-trust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("codex-home");
    std::fs::create_dir_all(&home).unwrap();
    codex::setup(&home, &hooks_dir(), 9);
    let listed = codex::hooks_list(&home, &dir, Duration::from_secs(30));
    let registered: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.join("hooks.json")).unwrap()).unwrap();
    let ours = codex::trust_entries(&home.join("hooks.json"), &registered);

    let hooks: Vec<&serde_json::Value> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .flat_map(|d| d["hooks"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(hooks.len(), ours.len(), "hooks/list: {listed:#}");
    for (key, hash) in &ours {
        let hook = hooks
            .iter()
            .find(|h| h["key"] == key.as_str())
            .unwrap_or_else(|| panic!("Codex does not list {key}: {listed:#}"));
        assert_eq!(hook["currentHash"], hash.as_str(), "{key}");
        assert_eq!(hook["trustStatus"], "trusted", "{key}: {hook:#}");
        assert_eq!(hook["enabled"], true, "{key}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
