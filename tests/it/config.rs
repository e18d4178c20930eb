//! Configuration as the hooks see it.

use crate::support::Sandbox;

fn project_with(sandbox: &Sandbox, config: &str) -> std::path::PathBuf {
    let project = sandbox.dir.join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join(".selfheal.toml"), config).unwrap();
    project
}

fn stop_in(dir: &std::path::Path) -> String {
    format!(
        r#"{{"session_id":"cfg","turn_id":"t","cwd":"{}","hook_event_name":"Stop","model":"m","stop_hook_active":false}}"#,
        dir.display()
    )
}

#[test]
fn a_bad_project_config_fails_open_naming_file_line_and_key() {
    let sandbox = Sandbox::new();
    let project = project_with(&sandbox, "[budget]\nretries = 3\nreplans = \"two\"\n");
    // cwd is a subdirectory: the file is found up to the git root.
    let line = sandbox
        .case("budget-check", stop_in(&project.join("src")))
        .run()
        .assert_fail_open("budget-check");
    let file = project.join(".selfheal.toml").display().to_string();
    assert!(
        line.contains(&format!("{file}:3: key `budget.replans`")),
        "{line}"
    );
}

#[test]
fn claude_project_dir_locates_the_project_config() {
    let sandbox = Sandbox::new();
    let project = project_with(&sandbox, "[loop]\nmax_repeat = 3\n");
    let payload = r#"{"session_id":"cfg","prompt_id":"p","cwd":"/","hook_event_name":"Stop"}"#;
    let line = sandbox
        .case("budget-check", payload)
        .env("CLAUDE_PROJECT_DIR", project.display().to_string())
        .run()
        .assert_fail_open("budget-check");
    assert!(line.contains("key `loop.max_repeat`"), "{line}");
    assert!(line.contains("unknown field"), "{line}");
}

#[test]
fn selfheal_config_env_wins_and_must_exist() {
    let sandbox = Sandbox::new();
    let project = project_with(&sandbox, "profile = \"strict\"\n");
    let line = sandbox
        .case("budget-check", stop_in(&project))
        .env(
            "SELFHEAL_CONFIG",
            sandbox.dir.join("missing.toml").display().to_string(),
        )
        .run()
        .assert_fail_open("budget-check");
    assert!(line.contains("does not exist"), "{line}");

    let explicit = sandbox.dir.join("explicit.toml");
    std::fs::write(&explicit, "profile = \"lenient\"\n").unwrap();
    sandbox
        .case("budget-check", stop_in(&project))
        .env("SELFHEAL_CONFIG", explicit.display().to_string())
        .run()
        .assert_silent();
}

#[test]
fn a_bad_user_config_fails_open() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.join("home/.config/selfheal");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "[scope]\nallow = \"src/**\"\n").unwrap();
    let line = sandbox
        .case("budget-check", stop_in(&sandbox.dir))
        .run()
        .assert_fail_open("budget-check");
    assert!(line.contains("config.toml:2: key `scope.allow`"), "{line}");
}
