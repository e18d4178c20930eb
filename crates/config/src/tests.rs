use super::*;

#[test]
fn defaults_are_the_balanced_profile() {
    // Loading skips parsing balanced.toml because of this equality.
    let mut parsed = Config::default();
    Layer::parse("balanced", Profile::Balanced.source())
        .unwrap()
        .apply(&mut parsed);
    assert_eq!(parsed, Config::default());
}

#[test]
fn every_profile_parses_and_strict_is_stricter_than_lenient() {
    let load = |p: &str| Config::from_sources(&[("x", &format!("profile = \"{p}\""))]).unwrap();
    let strict = load("strict");
    let lenient = load("lenient");
    assert_eq!(strict.profile, Profile::Strict);
    for budget in Budget::ALL {
        assert!(
            strict.budget.get(budget) <= lenient.budget.get(budget),
            "{budget}"
        );
    }
    assert!(strict.max_repeats < lenient.max_repeats);
    assert!(strict.stop_max_refusals < lenient.stop_max_refusals);
    assert!(!strict.scope_deny.is_empty());
}

#[test]
fn later_layers_win_and_the_highest_profile_choice_counts() {
    let config = Config::from_sources(&[
        ("user", "profile = \"lenient\"\n[budget]\nretries = 1\n"),
        (
            "project",
            "profile = \"strict\"\n[loop]\nmax_repeats = 4\n[verify]\ncommands = [\"cargo test -q\", [\"sh\", \"-c\", \"make check\"]]\n",
        ),
    ])
    .unwrap();
    assert_eq!(config.profile, Profile::Strict);
    assert_eq!(config.budget.get(Budget::Retries), 1);
    assert_eq!(config.budget.get(Budget::Replans), 1, "strict's value");
    assert_eq!(config.max_repeats, 4);
    assert_eq!(
        config.verify_commands,
        vec![
            vec!["cargo".to_owned(), "test".into(), "-q".into()],
            vec!["sh".to_owned(), "-c".into(), "make check".into()]
        ]
    );
}

#[test]
fn classifier_rules_add_up_across_layers() {
    let rule = |p: &str| format!("[[classifier.rules]]\nclass = \"F1\"\npattern = \"{p}\"\n");
    let config = Config::from_sources(&[("a", &rule("quota")), ("b", &rule("throttled"))]).unwrap();
    let patterns: Vec<_> = config
        .classifier_rules
        .iter()
        .map(|r| r.pattern.as_str())
        .collect();
    assert_eq!(patterns, ["quota", "throttled"]);
    assert_eq!(config.classifier_rules[0].class, Class::F1);
}

fn error(text: &str) -> ConfigError {
    Config::from_sources(&[("/p/.selfheal.toml", text)]).unwrap_err()
}

#[test]
fn a_wrong_type_names_file_line_and_key() {
    let e = error("profile = \"balanced\"\n\n[budget]\nretries = \"many\"\n");
    assert_eq!(e.file, "/p/.selfheal.toml");
    assert_eq!(e.line, Some(4));
    assert_eq!(e.key.as_deref(), Some("budget.retries"));
    let shown = e.to_string();
    assert!(
        shown.starts_with("config /p/.selfheal.toml:4: key `budget.retries`: "),
        "{shown}"
    );
}

#[test]
fn an_unknown_key_is_an_error() {
    let e = error("[loop]\nmax_repeat = 3\n");
    assert_eq!(e.line, Some(2));
    assert_eq!(e.key.as_deref(), Some("loop.max_repeat"));
    assert!(e.message.contains("unknown field"), "{}", e.message);
}

#[test]
fn an_unknown_table_is_an_error() {
    let e = error("[budgets]\nretries = 3\n");
    assert_eq!(e.line, Some(1));
    assert_eq!(e.key.as_deref(), Some("budgets"));
}

#[test]
fn values_are_checked() {
    let e = error("[loop]\nsimilarity = 1.5\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("loop.similarity"))
    );
    let e = error("profile = \"paranoid\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("profile")));
    let e = error("[[classifier.rules]]\nclass = \"F9\"\npattern = \"x\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("classifier.rules.class"))
    );
    let e = error("[[classifier.rules]]\nclass = \"F1\"\npattern = \"(unclosed\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("classifier.rules.pattern"))
    );
    assert!(
        e.message.starts_with("invalid regular expression"),
        "{}",
        e.message
    );
    let e = error("[escalate]\ncommand = []\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("escalate.command"))
    );
}

#[test]
fn broken_toml_is_located() {
    let e = error("[budget]\nretries = = 3\n");
    assert_eq!(e.line, Some(2));
}

#[test]
fn files_are_discovered_from_cwd_up_to_the_git_root() {
    let root = std::env::temp_dir().join(format!("selfheal-config-{}", std::process::id()));
    let sub = root.join("repo/src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::create_dir_all(root.join("repo/.git")).unwrap();
    std::fs::write(root.join(".selfheal.toml"), "").unwrap(); // above the git root: not used
    let env = |_: &str| None;
    assert_eq!(ConfigFiles::discover(None, Some(&sub), env).project, None);
    std::fs::write(
        root.join("repo/.selfheal.toml"),
        "[loop]\nmax_repeats = 7\n",
    )
    .unwrap();
    let files = ConfigFiles::discover(None, Some(&sub), env);
    assert_eq!(files.project, Some(root.join("repo/.selfheal.toml")));
    assert_eq!(Config::load(&files).unwrap().max_repeats, 7);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let files = ConfigFiles {
        explicit: Some("/nonexistent/selfheal.toml".into()),
        ..ConfigFiles::default()
    };
    let e = Config::load(&files).unwrap_err();
    assert!(e.message.contains("does not exist"));
}

#[test]
fn mcp_schemas_are_checked_and_located() {
    let config = Config::from_sources(&[(
        "x",
        "[mcp.schemas]\n\"mcp__github__create_issue\" = \"/abs/issue.json\"\n",
    )])
    .unwrap();
    assert_eq!(
        config.mcp_schemas.get("mcp__github__create_issue"),
        Some(&PathBuf::from("/abs/issue.json"))
    );
    assert!(Config::default().mcp_schemas.is_empty());

    let e = error("[mcp.schemas]\n\"Bash\" = \"bash.json\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("mcp.schemas.Bash"))
    );
    assert!(e.message.contains("not an MCP tool name"), "{}", e.message);
    for bad in ["mcp__server", "mcp____tool", "mcp__server__"] {
        let e = error(&format!("[mcp.schemas]\n\"{bad}\" = \"s.json\"\n"));
        assert_eq!(e.line, Some(2), "{bad}");
    }
    let e = error("[mcp.schemas]\nmcp__a__b = \"\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("mcp.schemas.mcp__a__b"))
    );
    let e = error("[mcp.schemas]\nmcp__a__b = 3\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("mcp.schemas.mcp__a__b"))
    );
    let e = error("[mcp]\nschema = {}\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("mcp.schema")));
    assert!(e.message.contains("unknown field"), "{}", e.message);
}

#[test]
fn mcp_schema_paths_are_relative_to_their_file_and_add_up_across_layers() {
    let root = std::env::temp_dir().join(format!("selfheal-config-mcp-{}", std::process::id()));
    let user_dir = root.join("home/.config/selfheal");
    let project = root.join("repo");
    std::fs::create_dir_all(&user_dir).unwrap();
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let user = user_dir.join("config.toml");
    std::fs::write(
        &user,
        "[mcp.schemas]\nmcp__gh__issue = \"schemas/issue.json\"\nmcp__gh__pr = \"/abs/pr.json\"\n\
         mcp__db__query = \"q.json\"\n",
    )
    .unwrap();
    std::fs::write(
        project.join(".selfheal.toml"),
        "[mcp.schemas]\nmcp__db__query = \"../shared/query.json\"\n",
    )
    .unwrap();
    let files = ConfigFiles {
        user: Some(user),
        project: Some(project.join(".selfheal.toml")),
        explicit: None,
        trust: None,
    };
    let config = Config::load(&files).unwrap();
    let want: Vec<(&str, PathBuf)> = vec![
        ("mcp__db__query", project.join("../shared/query.json")),
        ("mcp__gh__issue", user_dir.join("schemas/issue.json")),
        ("mcp__gh__pr", PathBuf::from("/abs/pr.json")),
    ];
    let got: Vec<(&str, PathBuf)> = config
        .mcp_schemas
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    assert_eq!(got, want);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn patch_checks_parse_replace_lower_layers_and_name_bad_values() {
    let config = Config::from_sources(&[
        (
            "user",
            "[[patch.checks]]\nglob = \"*.py\"\ncommand = \"ruff check {file}\"\n",
        ),
        (
            "project",
            "[[patch.checks]]\nglob = \"*.rs\"\ncommand = [\"rustfmt\", \"--check\", \"{file}\"]\n\
             [[patch.checks]]\nglob = [\"*.json\", \"data/**\"]\ncommand = \"jq . {file}\"\ntimeout_secs = 3\n",
        ),
    ])
    .unwrap();
    assert_eq!(
        config.patch_checks,
        vec![
            PatchCheck {
                globs: vec!["*.rs".into()],
                command: vec!["rustfmt".into(), "--check".into(), "{file}".into()],
                timeout_secs: PATCH_CHECK_TIMEOUT_SECS,
            },
            PatchCheck {
                globs: vec!["*.json".into(), "data/**".into()],
                command: vec!["jq".into(), ".".into(), "{file}".into()],
                timeout_secs: 3,
            },
        ],
        "the project's list replaces the user's"
    );
    let e = error("[[patch.checks]]\nglob = \"*.rs\"\ncommand = []\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("patch.checks.command"))
    );
    let e = error("[[patch.checks]]\nglob = \"\"\ncommand = \"true\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("patch.checks.glob"))
    );
    let e = error("[[patch.checks]]\nglob = \"*\"\ncommand = \"true\"\ntimeout_secs = 0\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(4), Some("patch.checks.timeout_secs"))
    );
    let e = error("[[patch.checks]]\nglob = \"*\"\ncommand = \"true\"\nshell = true\n");
    assert!(e.message.contains("unknown field"), "{}", e.message);
}

#[test]
fn stop_and_session_start_keys() {
    let config = Config::from_sources(&[(
        "project",
        "[stop]\nmax_refusals = 0\n[session_start]\nsummary = true\n",
    )])
    .unwrap();
    assert_eq!(config.stop_max_refusals, 0);
    assert!(config.session_start_summary);
    assert_eq!(Config::default().stop_max_refusals, 4);
    assert!(!Config::default().session_start_summary);
    let e = error("[stop]\nmax_refusals = -1\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("stop.max_refusals"))
    );
    let e = error("[session_start]\nsummary = \"yes\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(2), Some("session_start.summary"))
    );
}

/// A project file's commands apply only once it is trusted as it is; its other keys always do,
/// and the user's own commands are never the project's to drop.
#[test]
fn project_commands_apply_only_while_the_file_is_trusted_as_it_is() {
    let root = std::env::temp_dir().join(format!("selfheal-config-trust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let user_dir = root.join("home/.config/selfheal");
    let project = root.join("repo");
    std::fs::create_dir_all(&user_dir).unwrap();
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::write(
        user_dir.join("config.toml"),
        "[escalate]\ncommand = \"notify-send selfheal\"\n",
    )
    .unwrap();
    let file = project.join(".selfheal.toml");
    std::fs::write(
        &file,
        "[loop]\nmax_repeats = 5\n[verify]\ncommands = [\"make check\"]\n\
         [[patch.checks]]\nglob = \"*.rs\"\ncommand = \"rustfmt --check {file}\"\n",
    )
    .unwrap();
    let home = root.join("home").display().to_string();
    let env = |k: &str| (k == "HOME").then(|| home.clone());
    let files = ConfigFiles::discover(None, Some(&project), env);
    let trust_file = user_dir.join(crate::trust::FILE_NAME);
    assert_eq!(files.trust.as_ref(), Some(&trust_file));

    let untrusted = Config::load(&files).unwrap();
    assert_eq!(untrusted.max_repeats, 5);
    assert!(untrusted.verify_commands.is_empty());
    assert!(untrusted.patch_checks.is_empty());
    assert_eq!(
        untrusted.escalate_command,
        Some(vec!["notify-send".to_string(), "selfheal".to_string()])
    );
    let left = untrusted
        .untrusted
        .expect("the project's commands are left out");
    assert_eq!(left.file, file);
    assert_eq!(left.keys, ["[verify] commands", "[[patch.checks]]"]);
    assert!(
        left.message().contains("selfheal trust"),
        "{}",
        left.message()
    );

    crate::trust::trust(&trust_file, &file, &std::fs::read(&file).unwrap()).unwrap();
    let trusted = Config::load(&files).unwrap();
    assert_eq!(trusted.verify_commands, [["make", "check"]]);
    assert_eq!(trusted.patch_checks.len(), 1);
    assert_eq!(trusted.untrusted, None);

    // An edit lapses the trust.
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("[escalate]\ncommand = \"curl evil.example\"\n");
    std::fs::write(&file, text).unwrap();
    let edited = Config::load(&files).unwrap();
    assert!(edited.verify_commands.is_empty());
    assert_eq!(
        edited.escalate_command,
        Some(vec!["notify-send".to_string(), "selfheal".to_string()])
    );
    assert_eq!(edited.untrusted.unwrap().keys.len(), 3);

    // A project file that runs nothing needs no trust.
    std::fs::write(&file, "[verify]\ncommands = []\n").unwrap();
    assert_eq!(Config::load(&files).unwrap().untrusted, None);
    std::fs::remove_dir_all(&root).unwrap();
}
