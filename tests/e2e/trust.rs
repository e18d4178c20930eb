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

/// `selfheal doctor` asks the real Codex whether it runs our hooks, and notices when a hand
/// edit has made one untrusted.
#[test]
fn doctor_reports_what_codex_itself_says_of_the_trust() {
    let dir = std::env::temp_dir().join(format!("selfheal-e2e-doctor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let home = dir.join("home");
    let codex_home = dir.join("codex-home");
    std::fs::create_dir_all(&home).unwrap();
    codex::setup(&codex_home, &home, &hooks_dir(), 9);
    let doctor = || {
        let out = std::process::Command::new(hooks_dir().join("selfheal"))
            .args(["doctor", "--project"])
            .arg(&dir)
            .arg("--codex")
            .arg(selfheal_testkit::Client::Codex.executable())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("CODEX_HOME", &codex_home)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let report = doctor();
    let own_view = |report: &str| {
        report
            .lines()
            .find(|l| l.contains("Codex's own view"))
            .unwrap_or_else(|| panic!("{report}"))
            .to_owned()
    };
    let line = own_view(&report);
    assert!(
        line.starts_with("✓") && line.contains("runs all 6 hooks"),
        "{report}"
    );

    let hooks_json = codex_home.join("hooks.json");
    let text = std::fs::read_to_string(&hooks_json).unwrap();
    std::fs::write(
        &hooks_json,
        text.replacen("\"timeout\": 330", "\"timeout\": 300", 1),
    )
    .unwrap();
    let report = doctor();
    let line = own_view(&report);
    assert!(
        line.starts_with("✗") && line.contains("will not run"),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
