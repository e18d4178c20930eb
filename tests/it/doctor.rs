//! `selfheal doctor` finds what keeps the hooks from running (a missing binary, a broken
//! config, a Codex hook no longer trusted, a hook that fails) and says how to fix each.

use std::fs;
use std::path::PathBuf;

use crate::support::{bin, Ran, Sandbox, HOOKS};

/// A sandbox with the hook binaries linked into a bin dir of its own (so a test can take one
/// away) and the suite installed for both clients from there.
struct Installed {
    sandbox: Sandbox,
    bin_dir: PathBuf,
    project: PathBuf,
}

impl Installed {
    fn new() -> Installed {
        let sandbox = Sandbox::new();
        let bin_dir = sandbox.dir.join("bin");
        let project = sandbox.dir.join("project");
        fs::create_dir_all(&bin_dir).unwrap();
        fs::create_dir_all(&project).unwrap();
        for hook in HOOKS {
            std::os::unix::fs::symlink(bin(hook), bin_dir.join(hook)).unwrap();
        }
        let installed = Installed {
            sandbox,
            bin_dir: bin_dir.canonicalize().unwrap(),
            project: project.canonicalize().unwrap(),
        };
        for client in ["claude", "codex"] {
            installed
                .selfheal(&[
                    "install",
                    client,
                    "--bin-dir",
                    installed.bin_dir.to_str().unwrap(),
                ])
                .assert_success();
        }
        installed
    }

    fn selfheal(&self, args: &[&str]) -> Ran {
        let mut case = self
            .sandbox
            .case("selfheal", Vec::new())
            .env("PATH", "/usr/bin:/bin");
        let project = self.project.to_str().unwrap();
        for arg in args {
            case = case.arg(arg);
        }
        if args[0] == "doctor" || (args[0] == "install" && args[1] == "claude") {
            case = case.arg("--project").arg(project);
        }
        case.run()
    }

    fn doctor(&self) -> (Option<i32>, String) {
        let ran = self.selfheal(&["doctor"]);
        (ran.code(), ran.stdout() + &ran.stderr())
    }
}

/// The line of `report` about `what`, and the fix under it when it failed.
fn line<'a>(report: &'a str, what: &str) -> &'a str {
    report
        .lines()
        .find(|l| l[l.char_indices().nth(2).map_or(0, |(i, _)| i)..].starts_with(what))
        .unwrap_or_else(|| panic!("no line for {what}:\n{report}"))
}

fn fix_after<'a>(report: &'a str, what: &str) -> &'a str {
    let mut lines = report.lines();
    lines.find(|l| l.starts_with(&format!("✗ {what}")));
    lines
        .next()
        .unwrap_or_else(|| panic!("no fix for {what}:\n{report}"))
}

#[test]
fn a_complete_install_passes_every_check() {
    let it = Installed::new();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(0), "{report}");
    assert!(!report.contains('✗'), "{report}");
    for what in HOOKS {
        assert!(line(&report, what).starts_with('✓'), "{report}");
        assert!(
            line(&report, &format!("{what} round trip")).starts_with('✓'),
            "{report}"
        );
    }
    for what in [
        "config",
        "database",
        "Claude Code hooks",
        "Codex hooks",
        "Codex trust",
    ] {
        assert!(line(&report, what).starts_with('✓'), "{report}");
    }
    assert!(
        report.contains("all ") && report.contains(" checks passed"),
        "{report}"
    );
}

#[test]
fn a_missing_binary_is_named_with_the_fix() {
    let it = Installed::new();
    fs::remove_file(it.bin_dir.join("patch-verifier")).unwrap();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(1), "{report}");
    let bad = line(&report, "patch-verifier");
    assert!(
        bad.starts_with("✗ patch-verifier: ") && bad.contains("missing"),
        "{report}"
    );
    assert!(
        fix_after(&report, "patch-verifier").contains("cargo install"),
        "{report}"
    );
    assert!(line(&report, "schema-guard").starts_with('✓'), "{report}");
    assert!(report.contains("selfheal: error: 1 of "), "{report}");
}

#[test]
fn a_bad_config_is_named_by_file_line_and_key() {
    let it = Installed::new();
    let config = it.project.join(".selfheal.toml");
    fs::write(
        &config,
        "profile = \"balanced\"\n\n[budget]\nretries = \"many\"\n",
    )
    .unwrap();
    fs::create_dir_all(it.project.join(".git")).unwrap();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(1), "{report}");
    let bad = line(&report, "config");
    assert!(bad.starts_with('✗'), "{report}");
    assert!(bad.contains(&format!("{}:4", config.display())), "{report}");
    assert!(bad.contains("retries"), "{report}");
    // The hooks fail open on it, and the round trip shows that too.
    assert!(
        line(&report, "schema-guard round trip").starts_with("✗"),
        "{report}"
    );
}

/// Commands a project file sets but the user has not trusted do not run: doctor says so, and
/// how to allow them; once trusted, the check passes (no line).
#[test]
fn project_commands_not_trusted_are_a_failed_check_until_trusted() {
    let it = Installed::new();
    fs::create_dir_all(it.project.join(".git")).unwrap();
    let config = it.project.join(".selfheal.toml");
    fs::write(&config, "[escalate]\ncommand = \"notify-send selfheal\"\n").unwrap();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(1), "{report}");
    let bad = line(&report, "project commands");
    assert!(bad.starts_with('✗'), "{report}");
    assert!(bad.contains(&config.display().to_string()), "{report}");
    assert!(bad.contains("[escalate] command"), "{report}");
    let fix = fix_after(&report, "project commands");
    assert!(
        fix.contains(&format!("selfheal trust {}", it.project.display())),
        "{report}"
    );

    it.selfheal(&["trust", &it.project.display().to_string()])
        .assert_success();
    let (_, report) = it.doctor();
    assert!(!report.contains("project commands"), "{report}");
    assert!(line(&report, "config").starts_with('✓'), "{report}");
}

#[test]
fn a_codex_hook_changed_since_install_is_untrusted_until_install_runs_again() {
    let it = Installed::new();
    let hooks_json = it.sandbox.dir.join("home/.codex/hooks.json");
    let text = fs::read_to_string(&hooks_json).unwrap();
    // A hand edit of one timeout changes that handler's hash: Codex would skip it silently.
    assert!(text.contains("\"timeout\": 330"), "{text}");
    fs::write(
        &hooks_json,
        text.replacen("\"timeout\": 330", "\"timeout\": 300", 1),
    )
    .unwrap();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(1), "{report}");
    let bad = line(&report, "Codex trust");
    assert!(
        bad.starts_with("✗ Codex trust: 1 of 6 hooks are not trusted"),
        "{report}"
    );
    assert!(
        bad.contains(":stop:0:0") || bad.contains(":subagent_stop:0:0"),
        "{report}"
    );
    assert!(
        fix_after(&report, "Codex trust").contains("selfheal install codex"),
        "{report}"
    );

    it.selfheal(&[
        "install",
        "codex",
        "--bin-dir",
        it.bin_dir.to_str().unwrap(),
    ])
    .assert_success();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn a_hook_that_fails_open_fails_its_round_trip() {
    let it = Installed::new();
    let fake = it.bin_dir.join("failure-classifier");
    fs::remove_file(&fake).unwrap();
    fs::write(
        &fake,
        "#!/bin/sh\necho 'failure-classifier: database is locked' >&2\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let (code, report) = it.doctor();
    assert_eq!(code, Some(1), "{report}");
    let bad = line(&report, "failure-classifier round trip");
    assert!(
        bad.contains("failed open: failure-classifier: database is locked"),
        "{report}"
    );
    assert!(
        line(&report, "schema-guard round trip").starts_with('✓'),
        "{report}"
    );
}

#[test]
fn nothing_installed_says_how_to_install() {
    let sandbox = Sandbox::new();
    let ran = sandbox
        .case("selfheal", Vec::new())
        .env("PATH", "/usr/bin:/bin")
        .arg("doctor")
        .arg("--project")
        .arg(sandbox.dir.to_str().unwrap())
        .run();
    assert_eq!(ran.code(), Some(1));
    let report = ran.stdout();
    assert!(
        line(&report, "Claude Code hooks").starts_with("✗"),
        "{report}"
    );
    assert_eq!(
        fix_after(&report, "Codex hooks").trim(),
        "fix: selfheal install codex"
    );
}
