//! Codex runs user hooks only when trusted, and skips untrusted ones silently: every other
//! Codex scenario would pass vacuously with a wrong trust hash. Codex's own app-server says
//! whether what `selfheal install codex` wrote (the harness registers the hooks with it) is
//! trusted.

use std::time::Duration;

use selfheal_testkit::codex;

use crate::hooks_dir;

#[test]
fn codex_trusts_every_hook_selfheal_install_registers() {
    let dir = std::env::temp_dir().join(format!("selfheal-e2e-trust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    let codex_home = dir.join("codex-home");
    std::fs::create_dir_all(&home).unwrap();
    codex::setup(&codex_home, &home, &hooks_dir(), 9);
    let listed = codex::hooks_list(&codex_home, &dir, Duration::from_secs(30));
    let registered: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(codex_home.join("hooks.json")).unwrap())
            .unwrap();
    let ours = codex::trust_entries(&codex_home.join("hooks.json"), &registered);

    assert_eq!(listed.len(), ours.len(), "hooks/list: {listed:#?}");
    assert!(ours.len() >= 6, "{ours:#?}");
    for entry in &ours {
        let hook = listed
            .iter()
            .find(|h| h.key == entry.key)
            .unwrap_or_else(|| panic!("Codex does not list {}: {listed:#?}", entry.key));
        assert_eq!(hook.current_hash, entry.hash, "{}", entry.key);
        assert_eq!(hook.trust_status, "trusted", "{hook:#?}");
        assert!(hook.enabled, "{hook:#?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
