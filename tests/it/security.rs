//! Issue 10 §6, security: what selfheal keeps is private to the user; no secret reaches the
//! state database or the agent; nothing in a payload or a project's config chooses where
//! selfheal writes; commands run without a shell unless one is asked for, and are bounded in
//! time.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{self, Ran, Sandbox};

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every path under `dir` (not following symlinks).
fn tree(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path.clone());
            }
            out.insert(path);
        }
    }
    out
}

/// A project of one session: a git root with a `.selfheal.toml`, trusted (its commands run).
fn project(sandbox: &Sandbox, config: &str) -> PathBuf {
    let root = sandbox.dir.join("project");
    fs::create_dir_all(root.join(".git")).unwrap();
    sandbox.trusted_config(&root, config);
    root
}

/// [`project`], its `.selfheal.toml` as a cloned repository brings it: not trusted.
fn untrusted_project(sandbox: &Sandbox, config: &str) -> PathBuf {
    let root = sandbox.dir.join("project");
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join(".selfheal.toml"), config).unwrap();
    root
}

/// `hook` on a Claude payload of `event` in `session`, in `root`.
fn claude(
    sandbox: &Sandbox,
    hook: &str,
    session: &str,
    root: &Path,
    event: &str,
    extra: Value,
) -> Ran {
    let root = root.display().to_string();
    let line = support::payload("claude", session, &root, event, extra) + "\n";
    sandbox
        .case(hook, line)
        .arg("--dialect")
        .arg("claude")
        .env("CLAUDE_PROJECT_DIR", &root)
        .run()
}

fn codex(
    sandbox: &Sandbox,
    hook: &str,
    session: &str,
    root: &Path,
    event: &str,
    extra: Value,
) -> Ran {
    let line = support::payload("codex", session, &root.display().to_string(), event, extra);
    sandbox.case(hook, line).arg("--dialect").arg("codex").run()
}

fn failed_shell(command: &str, output: &str, id: &str) -> Value {
    json!({"tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": id,
        "error": format!("Exit code 7\n{output}"), "is_interrupt": false})
}

// --- 1. Permissions ----------------------------------------------------------------------

/// The state directory and everything selfheal puts in it: the database with its WAL and
/// shared memory, install's backups of the clients' settings (which may hold API keys), and
/// `selfheal run`'s logs, prompts, configs and report. Install runs first here, as it does
/// for a new user: it is what creates the state directory then.
#[test]
fn everything_selfheal_keeps_is_private() {
    let sandbox = Sandbox::new();
    let root = project(&sandbox, "");
    fs::create_dir_all(root.join(".claude")).unwrap();
    fs::write(
        root.join(".claude/settings.json"),
        "{\"env\": {\"ANTHROPIC_API_KEY\": \"sk-ant-api03-FAKEfake0123456789FAKEfake0123456789\"}}\n",
    )
    .unwrap();
    let root_arg = root.display().to_string();
    sandbox
        .selfheal(&["install", "claude", "--project", &root_arg])
        .assert_success();
    let state = sandbox.db().parent().unwrap().to_path_buf();
    assert!(state.join("backups").is_dir(), "install made a backup");

    let ran = claude(
        &sandbox,
        "failure-classifier",
        "perm",
        &root,
        "PostToolUseFailure",
        failed_shell(
            "curl -sS http://127.0.0.1:9/",
            "curl: (7) Failed to connect to 127.0.0.1 port 9",
            "c1",
        ),
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr());

    // `selfheal run` with a stand-in client, its run directory beside the database.
    let agent = sandbox.dir.join("fake-claude");
    fs::write(
        &agent,
        "#!/bin/sh\necho '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"Done.\",\"session_id\":\"run-1\"}'\n",
    )
    .unwrap();
    fs::set_permissions(&agent, fs::Permissions::from_mode(0o755)).unwrap();
    let mut run = sandbox.case("selfheal", Vec::new()).current_dir(&root);
    let agent = agent.display().to_string();
    for arg in [
        "run",
        "--agent-bin",
        &agent,
        "--max-attempts",
        "1",
        "--verify",
        "true",
        "--",
        "say hi",
    ] {
        run = run.arg(arg);
    }
    run.run().assert_success();
    assert!(state.join("runs").is_dir(), "selfheal run kept its logs");

    assert_eq!(mode(&state), 0o700, "{}", state.display());
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", sandbox.db().display()));
        assert!(
            file.exists(),
            "{} (the WAL is kept between hooks)",
            file.display()
        );
    }
    let kept = tree(&state);
    assert!(kept.len() > 10, "{kept:?}");
    for path in &kept {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(path), want, "{}: {:o}", path.display(), mode(path));
    }
    let doctor = sandbox
        .selfheal(&["doctor", "--project", &root_arg])
        .stdout();
    let line = doctor
        .lines()
        .find(|l| l.contains("state permissions"))
        .unwrap_or_else(|| panic!("{doctor}"));
    assert!(line.starts_with('✓'), "{doctor}");
}

/// A state directory that exists already keeps its mode: a hook never loosens it, and never
/// chmods a directory it did not create (`$SELFHEAL_DB` may point into one the user shares on
/// purpose); what selfheal creates in it is private all the same, and `selfheal doctor` names
/// what is open, with the fix.
#[test]
fn a_loose_state_directory_is_left_as_it_is_and_doctor_says_so() {
    let sandbox = Sandbox::new();
    let root = project(&sandbox, "");
    let state = sandbox.db().parent().unwrap().to_path_buf();
    fs::create_dir_all(&state).unwrap();
    fs::set_permissions(&state, fs::Permissions::from_mode(0o755)).unwrap();
    let ran = claude(
        &sandbox,
        "failure-classifier",
        "loose",
        &root,
        "PostToolUseFailure",
        failed_shell("false", "", "c1"),
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr());
    assert_eq!(mode(&state), 0o755);
    assert_eq!(mode(&sandbox.db()), 0o600);

    let root_arg = root.display().to_string();
    let doctor = || {
        let report = sandbox
            .selfheal(&["doctor", "--project", &root_arg])
            .stdout();
        let mut lines = report.lines();
        let line = lines
            .find(|l| l.contains("state permissions"))
            .unwrap_or_else(|| panic!("{report}"))
            .to_owned();
        (line, lines.next().unwrap_or_default().to_owned())
    };
    let (line, fix) = doctor();
    assert!(
        line.starts_with('✗') && line.contains(&state.display().to_string()),
        "{line}"
    );
    let chmod = format!("chmod -R go-rwx {}", state.display());
    assert_eq!(fix.trim(), format!("fix: {chmod}"));
    let done = std::process::Command::new("sh")
        .arg("-c")
        .arg(&chmod)
        .status()
        .unwrap();
    assert!(done.success());
    assert!(doctor().0.starts_with('✓'));
}

// --- 2. Redaction, end to end ------------------------------------------------------------

/// One of each shape of secret, as a tool prints it (the values are fake, the shapes real),
/// and a part of it that must never be stored or shown.
const SECRETS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID=AKIAFAKEFAKE01234567", "AKIAFAKEFAKE01234567"),
    (
        "aws_secret_access_key = FAKEfake0123456789/FAKEfake+0123456789AB",
        "FAKEfake0123456789/FAKEfake+0123456789AB",
    ),
    (
        r#"{"AccessKeyId": "ASIAFAKE0123456789AB", "SecretAccessKey": "SECRfake0123456789/SECRfake+0123456789AB"}"#,
        "SECRfake0123456789/SECRfake+0123456789AB",
    ),
    (
        r#"{"apiKey": "AIzaGCPfake0123456789GCPfake0123456789"}"#,
        "AIzaGCPfake0123456789GCPfake0123456789",
    ),
    (
        r#"  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCGCPsa0123\n-----END PRIVATE KEY-----\n","#,
        "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCGCPsa0123",
    ),
    (
        "DefaultEndpointsProtocol=https;AccountName=fakeacct;AccountKey=AZUREfake0123456789AZUREfake0123456789AZUREfake0123456789AZUREfake0123456789AZUREfake012==;EndpointSuffix=core.windows.net",
        "AZUREfake0123456789AZUREfake0123456789AZUREfake0123456789AZUREfake0123456789AZUREfake012==",
    ),
    (
        "https://fakeacct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2030-01-01T00:00:00Z&sig=SASfake0123456789SASfake0123456789%2BSAS%3D",
        "SASfake0123456789SASfake0123456789%2BSAS%3D",
    ),
    ("GITHUB_TOKEN=ghp_GHPfakeGHPfakeGHPfakeGHPfake01234567", "ghp_GHPfakeGHPfakeGHPfakeGHPfake01234567"),
    ("oauth_token: gho_GHOfakeGHOfakeGHOfakeGHOfake01234567", "gho_GHOfakeGHOfakeGHOfakeGHOfake01234567"),
    ("token ghu_GHUfakeGHUfakeGHUfakeGHUfake01234567", "ghu_GHUfakeGHUfakeGHUfakeGHUfake01234567"),
    ("https://x-access-token:ghs_GHSfakeGHSfakeGHSfakeGHSfake01234567@github.com/o/r.git", "ghs_GHSfakeGHSfakeGHSfakeGHSfake01234567"),
    ("refresh ghr_GHRfakeGHRfakeGHRfakeGHRfake01234567", "ghr_GHRfakeGHRfakeGHRfakeGHRfake01234567"),
    (
        "GH_TOKEN=github_pat_11PATfake0123456789AB_PATfakePATfakePATfakePATfakePATfakePATfake0123456",
        "github_pat_11PATfake0123456789AB_PATfakePATfakePATfakePATfakePATfakePATfake0123456",
    ),
    ("GITLAB_TOKEN=glpat-GLPATfake0123456789ab", "glpat-GLPATfake0123456789ab"),
    (
        "openai: invalid key sk-OPENAIfake0123456789OPENAIfake0123456789OPENAI",
        "sk-OPENAIfake0123456789OPENAIfake0123456789OPENAI",
    ),
    (
        "OPENAI_API_KEY=sk-proj-PROJfake0123456789PROJfake0123456789PROJfake0123456789",
        "sk-proj-PROJfake0123456789PROJfake0123456789PROJfake0123456789",
    ),
    (
        "x-api-key: sk-ant-api03-ANTfake0123456789ANTfake0123456789ANTfake0123456789-ANT_fake",
        "sk-ant-api03-ANTfake0123456789ANTfake0123456789ANTfake0123456789-ANT_fake",
    ),
    ("401 for token 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", "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"),
    (
        "Invalid API Key gsk_GROQfake0123456789GROQfake0123456789GROQfake01234567",
        "gsk_GROQfake0123456789GROQfake0123456789GROQfake01234567",
    ),
    (
        "XAI_API_KEY=xai-XAIfake0123456789XAIfake0123456789XAIfake0123456789XAIfake0123456789",
        "xai-XAIfake0123456789XAIfake0123456789XAIfake0123456789XAIfake0123456789",
    ),
    ("token r8_REPLfake0123456789REPLfake0123456789X is not valid", "r8_REPLfake0123456789REPLfake0123456789X"),
    (
        "key pplx-PPLXfake0123456789PPLXfake0123456789PPLXfake012345",
        "pplx-PPLXfake0123456789PPLXfake0123456789PPLXfake012345",
    ),
    (
        "openrouter 401 sk-or-v1-0123456789abcdef0a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0a1b2c3d4e5f6071",
        "sk-or-v1-0123456789abcdef0a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0a1b2c3d4e5f6071",
    ),
    ("deepseek: invalid key sk-fedcba98765432100123456789abcdef", "sk-fedcba98765432100123456789abcdef"),
    (
        "SLACK_BOT_TOKEN=xoxb-0123456789-0123456789012-SLACKfakeSLACKfakeSLACKf",
        "xoxb-0123456789-0123456789012-SLACKfakeSLACKfakeSLACKf",
    ),
    ("stripe.api_key = 'sk_test_STRIPEfake0123456789STRIPE'", "sk_test_STRIPEfake0123456789STRIPE"),
    (
        "//registry.npmjs.org/:_authToken=npm_NPMfake0123456789NPMfake0123456789NPMf",
        "npm_NPMfake0123456789NPMfake0123456789NPMf",
    ),
    (
        "> Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJIRUFERVIifQ.JWTheaderSIGfake0123456789JWTheaderSIG",
        "JWTheaderSIGfake0123456789JWTheaderSIG",
    ),
    (
        "< Set-Cookie: session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDT09LSUUifQ.JWTcookieSIGfake0123456789JWTcookie; Path=/",
        "JWTcookieSIGfake0123456789JWTcookie",
    ),
    (
        r#"{"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJKU09OIn0.JWTjsonSIGfake0123456789JWTjsonSIG"}"#,
        "JWTjsonSIGfake0123456789JWTjsonSIG",
    ),
    ("DATABASE_URL=postgres://app:PgPass0123word@db:5432/app", "PgPass0123word"),
    ("fatal: unable to access 'https://dev:HttpsPass0123@git.example.com/r.git/'", "HttpsPass0123"),
    ("Error: connect ECONNREFUSED redis://:RedisPass0123@cache:6379/0", "RedisPass0123"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEARSAfakeRSAfakeRSAfakeRSAfake0123456789RSAfake0123\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEARSAfakeRSAfakeRSAfakeRSAfake0123456789RSAfake0123",
    ),
    (
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIECfakeECfakeECfake0123456789ECfakeECfake0123456789oAoGCC\n-----END EC PRIVATE KEY-----",
        "MHcCAQEEIECfakeECfakeECfake0123456789ECfakeECfake0123456789oAoGCC",
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQSSHfakeSSHfake0123456789\n-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQSSHfakeSSHfake0123456789",
    ),
    (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIENCfake0123ICAggA\n-----END ENCRYPTED PRIVATE KEY-----",
        "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIENCfake0123ICAggA",
    ),
    (
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCPKCS8fakePKCS8fake0123456789PKCS8\n-----END PRIVATE KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCPKCS8fakePKCS8fake0123456789PKCS8",
    ),
    (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGPGPfakePGPfake0123456789PGPfakePGPfake0123456789PGPfake0123\n=PGPf\n-----END PGP PRIVATE KEY BLOCK-----",
        "lQOYBGPGPfakePGPfake0123456789PGPfakePGPfake0123456789PGPfake0123",
    ),
];

/// What of a secret must not appear: the whole of a short one, every 16 characters of a long
/// one (a cut or a partly redacted secret is still a leak).
fn leaks(haystack: &str) -> Vec<&'static str> {
    SECRETS
        .iter()
        .map(|(_, secret)| *secret)
        .filter(|secret| {
            let n = secret.len().min(16);
            (0..=secret.len() - n).any(|i| haystack.contains(&secret[i..i + n]))
        })
        .collect()
}

/// Every text column of every table, and the raw bytes of the database and its WAL.
fn everything_stored(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut all = String::new();
    for table in &tables {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for column in columns {
            let sql = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"");
            let mut stmt = conn.prepare(&sql).unwrap();
            let values = stmt
                .query_map([], |r| r.get::<_, Option<String>>(0))
                .unwrap();
            for value in values.flatten().flatten() {
                all.push_str(&value);
                all.push('\n');
            }
        }
    }
    assert!(tables.len() >= 6, "{tables:?}");
    for suffix in ["", "-wal"] {
        if let Ok(bytes) = fs::read(format!("{}{suffix}", db.display())) {
            all.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    all
}

/// Every string in a hook's JSON answer, decoded, with the raw answer.
fn shown(ran: &Ran) -> String {
    fn strings(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut out = ran.stdout();
    if let Ok(v) = serde_json::from_str::<Value>(&out) {
        strings(&v, &mut out);
    }
    out
}

/// Tool output holding one of each shape goes through every hook that stores or shows
/// text — failure-classifier (both clients, failures and a read-only success), schema-guard
/// (a refusal quoting the command, an MCP call whose bad argument is a token), patch-verifier
/// (an edit that did not land) and budget-check (a failing criterion printing them, then the
/// escalation) — and nothing of any secret is in what the agent is shown or anywhere in the
/// database.
#[test]
fn no_secret_reaches_the_agent_or_the_database() {
    for (text, secret) in SECRETS {
        assert!(text.contains(secret), "{secret}");
    }
    let all: String = SECRETS.iter().map(|(t, _)| format!("{t}\n")).collect();
    let sandbox = Sandbox::new();
    let root = project(
        &sandbox,
        "[budget]\nretries = 1000\nreplans = 1\nsubstitutions = 1000\n\
         [verify]\ncommands = [[\"cat\", \"secrets.txt\", \"no-such-file\"]]\ntimeout_secs = 30\n\
         [mcp.schemas]\n\"mcp__vault__read\" = \"vault.json\"\n",
    );
    fs::write(root.join("secrets.txt"), &all).unwrap();
    fs::write(
        root.join("vault.json"),
        r#"{"type": "object", "properties": {"limit": {"type": "integer"}, "offset": {"type": "integer"}}}"#,
    )
    .unwrap();
    // Every Claude hook of this test runs in the one session.
    let in_session = |hook: &str, event: &str, extra: Value| {
        claude(&sandbox, hook, "sec-claude", &root, event, extra)
    };
    let mut shown_all = String::new();
    let mut injected = 0;
    let mut check = |what: &str, ran: &Ran| {
        assert_eq!(ran.code(), Some(0), "{what}: {}", ran.stderr());
        let text = shown(ran) + &ran.stderr();
        assert_eq!(leaks(&text), Vec::<&str>::new(), "{what} shows:\n{text}");
        if text.contains("[REDACTED:") {
            injected += 1;
        }
        shown_all.push_str(&text);
    };

    for (i, (text, _)) in SECRETS.iter().enumerate() {
        let first = text.lines().next().unwrap();
        // The secret in the command, around the deciding line and in it.
        let command =
            format!("printf '%s\\n' '{first}' | curl -sS -d @- https://api.example.test/");
        let output = format!(
            "{text}\ncurl: (7) Failed to connect to api.example.test port 443: Couldn't connect to server ({first})\n{text}"
        );
        let ran = in_session(
            "failure-classifier",
            "PostToolUseFailure",
            failed_shell(&command, &output, &format!("c{i}")),
        );
        check(&format!("claude failure {i}"), &ran);
        let extra = json!({"tool_name": "Bash", "tool_input": {"command": command},
            "tool_use_id": format!("x{i}"), "tool_response": output});
        let ran = codex(
            &sandbox,
            "failure-classifier",
            "sec-codex",
            &root,
            "PostToolUse",
            extra,
        );
        check(&format!("codex failure {i}"), &ran);
    }
    // A read-only call that worked keeps an excerpt of its output.
    let extra = json!({"tool_name": "Bash", "tool_input": {"command": "cat secrets.txt"},
        "tool_use_id": "read", "tool_response": {"stdout": all, "stderr": "",
            "interrupted": false, "isImage": false, "noOutputExpected": false}});
    let ran = in_session("failure-classifier", "PostToolUse", extra);
    check("read-only success", &ran);

    // schema-guard: refusals that quote what the call holds.
    let token = "ghp_GHPfakeGHPfakeGHPfakeGHPfake01234567";
    let extra = json!({"tool_name": "Bash", "tool_use_id": "g1", "tool_input": {"command":
        format!("git -c http.extraHeader='Authorization: Bearer {token}' commit")}});
    let ran = in_session("schema-guard", "PreToolUse", extra);
    assert!(ran.stdout().contains("deny"), "{}", ran.stdout());
    check("schema-guard interactive", &ran);
    // The bad values are quoted cut to 40 characters: a cut token is still one.
    let extra = json!({"tool_name": "mcp__vault__read", "tool_use_id": "g2",
        "tool_input": {"limit": token,
            "offset": "npm_NPMfake0123456789NPMfake0123456789NPMf"}});
    let ran = in_session("schema-guard", "PreToolUse", extra);
    assert!(ran.stdout().contains("deny"), "{}", ran.stdout());
    check("schema-guard MCP schema", &ran);

    // patch-verifier: a Write whose content did not land.
    let file = root.join("config.env");
    fs::write(&file, "nothing here\n").unwrap();
    let extra = json!({"tool_name": "Write", "tool_use_id": "w1",
        "tool_input": {"file_path": file, "content": all},
        "tool_response": {"type": "update", "filePath": file, "content": all,
            "structuredPatch": [], "originalFile": "nothing here\n"}});
    let ran = in_session("patch-verifier", "PostToolUse", extra);
    assert!(!ran.stdout().is_empty(), "the verifier reports the edit");
    check("patch-verifier", &ran);

    // budget-check: the criterion prints every secret and fails; the refusal quotes it, and
    // the second stop (nothing changed, no replan left) escalates with a summary.
    for active in [false, true] {
        let extra = json!({"stop_hook_active": active, "last_assistant_message": "Done."});
        let ran = in_session("budget-check", "Stop", extra);
        assert!(!ran.stdout().is_empty(), "the stop is answered");
        check("budget-check", &ran);
    }

    assert!(
        injected >= SECRETS.len(),
        "only {injected} answers showed a redaction:\n{shown_all}"
    );
    let stored = everything_stored(&sandbox.db());
    assert!(
        stored.contains("[REDACTED:"),
        "the excerpts and evidence are stored"
    );
    let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
    let escalations: i64 = conn
        .query_row("SELECT count(*) FROM escalations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(escalations, 1, "the escalation summary is stored too");
    assert_eq!(leaks(&stored), Vec::<&str>::new(), "stored");
}

// --- 3. Session ids and paths ----------------------------------------------------------------

/// Session ids come from the client's stdin and nothing builds a path from them (nor from any
/// other payload field): hostile ones run through every hook binary create nothing outside
/// the state directory, the hooks exit 0, and each id is stored as it was sent.
#[test]
fn hostile_session_ids_stay_in_the_database() {
    let sandbox = Sandbox::new();
    let root = project(&sandbox, "[scope]\nallow = [\"src/**\"]\n");
    fs::create_dir_all(root.join("src")).unwrap();
    // The hooks run two levels down, so that a relative escape lands in the sandbox, where it
    // would be seen.
    let cwd = sandbox.dir.join("a/b");
    fs::create_dir_all(&cwd).unwrap();
    let ids = [
        "../../escape".to_owned(),
        "../../../../../../../../tmp/selfheal-escape".to_owned(),
        "/abs/path/escape".to_owned(),
        "a/b/escape".to_owned(),
        "nul\u{0}byte/../escape".to_owned(),
        "..".to_owned(),
        "$(touch pwned)`touch pwned`".to_owned(),
        "x".repeat(64 * 1024),
    ];
    let file = root.join("src/a.txt");
    fs::write(&file, "one\n").unwrap();
    let before = tree(&sandbox.dir);
    let state = sandbox.db().parent().unwrap().to_path_buf();
    let mut stored_ids = 0;
    for id in &ids {
        for client in ["claude", "codex"] {
            let root_arg = root.display().to_string();
            let calls: [(&str, &str, Value); 6] = [
                ("budget-check", "SessionStart", json!({"source": "startup"})),
                (
                    "schema-guard",
                    "PreToolUse",
                    json!({"tool_name": "Bash", "tool_use_id": "g",
                    "tool_input": {"command": "vim notes.txt"}}),
                ),
                (
                    "schema-guard",
                    "PreToolUse",
                    json!({"tool_name": "Bash", "tool_use_id": "s",
                    "tool_input": {"command": "echo x > ../outside.txt"}}),
                ),
                (
                    "failure-classifier",
                    "PostToolUse",
                    json!({"tool_name": "Bash",
                    "tool_use_id": "f", "tool_input": {"command": "cat src/a.txt"},
                    "tool_response": "one\n"}),
                ),
                (
                    "patch-verifier",
                    "PostToolUse",
                    json!({"tool_name": "Write", "tool_use_id": "w",
                    "tool_input": {"file_path": file, "content": "two\n"},
                    "tool_response": {"type": "update", "filePath": file, "content": "two\n",
                        "structuredPatch": [], "originalFile": "one\n"}}),
                ),
                (
                    "budget-check",
                    "Stop",
                    json!({"stop_hook_active": false,
                    "last_assistant_message": "Done."}),
                ),
            ];
            for (hook, event, extra) in calls {
                if client == "codex" && hook == "patch-verifier" {
                    continue; // Codex has no Write tool
                }
                let mut line = support::payload(client, id, &root_arg, event, extra);
                if client == "claude" {
                    line.push('\n');
                }
                let ran = sandbox
                    .case(hook, line)
                    .arg("--dialect")
                    .arg(client)
                    .current_dir(&cwd)
                    .run();
                assert_eq!(
                    ran.code(),
                    Some(0),
                    "{hook} {event} {id:.40?}: {}",
                    ran.stderr()
                );
                assert!(
                    ran.output.stdout.is_empty() || ran.stdout().starts_with('{'),
                    "{hook}: {}",
                    ran.stdout()
                );
            }
        }
        let conn = rusqlite::Connection::open(sandbox.db()).unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sessions WHERE session_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2, "{id:.40?} stored verbatim for each client");
        stored_ids += 1;
    }
    assert_eq!(stored_ids, ids.len());
    let after = tree(&sandbox.dir);
    let created: Vec<&PathBuf> = after
        .difference(&before)
        .filter(|p| !p.starts_with(&state))
        .collect();
    assert_eq!(
        created,
        Vec::<&PathBuf>::new(),
        "created outside the state directory"
    );
    for outside in ["/abs", "/tmp/selfheal-escape"] {
        assert!(!Path::new(outside).exists(), "{outside}");
    }
}

/// No config value is a path selfheal writes to: the state database is found from the
/// environment only. A project's `.selfheal.toml` that tries to name one is an error (unknown
/// key), on which the hook fails open, writing nowhere new.
#[test]
fn a_project_config_cannot_move_the_state_elsewhere() {
    let sandbox = Sandbox::new();
    let elsewhere = sandbox.dir.join("elsewhere");
    let root = untrusted_project(
        &sandbox,
        &format!(
            "[state]\nretention_days = 30\npath = \"{0}/state.db\"\ndb = \"{0}/state.db\"\n",
            elsewhere.display()
        ),
    );
    let before = tree(&sandbox.dir);
    let ran = claude(
        &sandbox,
        "failure-classifier",
        "cfg",
        &root,
        "PostToolUseFailure",
        failed_shell("false", "", "c1"),
    );
    let line = ran.assert_fail_open("failure-classifier");
    assert!(line.contains(".selfheal.toml"), "{line}");
    let state = sandbox.db().parent().unwrap().to_path_buf();
    let after = tree(&sandbox.dir);
    let created: Vec<&PathBuf> = after
        .difference(&before)
        .filter(|p| !p.starts_with(&state))
        .collect();
    assert_eq!(created, Vec::<&PathBuf>::new());
    assert!(!elsewhere.exists());
}

// --- 4. Commands: no shell, bounded --------------------------------------------------------

/// A script that shows the arguments it got, one a line in brackets, and keeps its stdin.
const SHOW_ARGS: &str =
    "#!/bin/sh\nprintf '[%s]\\n' \"$@\" > args.txt\ncat > stdin.txt\ncat args.txt\nexit 1\n";

fn script(root: &Path, name: &str, text: &str) {
    let path = root.join(name);
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn stop(sandbox: &Sandbox, root: &Path, active: bool) -> Ran {
    let extra = json!({"stop_hook_active": active, "last_assistant_message": "Done."});
    claude(sandbox, "budget-check", "cmd", root, "Stop", extra)
}

fn wait_for(path: &Path) -> String {
    let limit = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = fs::read_to_string(path) {
            if !text.is_empty() {
                return text;
            }
        }
        assert!(Instant::now() < limit, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `[verify] commands` and `[escalate] command` given as strings are split on white space
/// and run without a shell: `$HOME`, `;` and the rest reach the program as they are, and
/// nothing a shell would have run (`touch pwned`) runs.
#[test]
fn string_commands_are_not_given_to_a_shell() {
    let sandbox = Sandbox::new();
    let root = project(
        &sandbox,
        "[budget]\nreplans = 1\n\
         [verify]\ncommands = [\"./check.sh $HOME; touch pwned && echo `id` | tee x\"]\ntimeout_secs = 30\n\
         [escalate]\ncommand = \"./notify.sh $HOME;touch pwned\"\n",
    );
    script(&root, "check.sh", SHOW_ARGS);
    script(&root, "notify.sh", SHOW_ARGS);
    let ran = stop(&sandbox, &root, false);
    let out = ran.stdout_json();
    assert_eq!(out["decision"], "block", "{out}");
    let reason = out["reason"].as_str().unwrap();
    let got: Vec<&str> = reason
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('['))
        .collect();
    assert_eq!(
        got,
        ["[$HOME;]", "[touch]", "[pwned]", "[&&]", "[echo]", "[`id`]", "[|]", "[tee]", "[x]"],
        "{reason}"
    );
    // Nothing changed since: the second stop escalates.
    let ran = stop(&sandbox, &root, true);
    assert!(ran.stdout().contains("Escalated"), "{}", ran.stdout());
    let record = root.join("stdin.txt");
    let args = root.join("args.txt");
    let limit = Instant::now() + Duration::from_secs(10);
    while !fs::read_to_string(&args).is_ok_and(|a| a.contains("[$HOME;touch]")) {
        assert!(Instant::now() < limit, "the escalate command never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        fs::read_to_string(&args).unwrap(),
        "[$HOME;touch]\n[pwned]\n"
    );
    let record: Value = serde_json::from_str(&wait_for(&record)).unwrap();
    assert_eq!(record["kind"], "selfheal.escalation");
    for stray in ["pwned", "x"] {
        assert!(!root.join(stray).exists(), "{stray}");
    }
}

/// A criterion that outlives `[verify] timeout_secs` is killed with everything it started
/// (its process group), and the hook answers promptly, saying it timed out.
#[test]
fn a_criterion_past_its_timeout_is_killed_with_its_children() {
    let sandbox = Sandbox::new();
    let root = project(
        &sandbox,
        "[verify]\ncommands = [[\"sh\", \"-c\", \"sleep 60 & echo $! > child.pid; wait\"]]\ntimeout_secs = 1\n",
    );
    let started = Instant::now();
    let ran = stop(&sandbox, &root, false);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "the stop took {took:?}");
    let out = ran.stdout_json();
    assert_eq!(out["decision"], "block", "{out}");
    let reason = out["reason"].as_str().unwrap();
    assert!(reason.contains("timed out after 1 s"), "{reason}");
    let child: u32 = wait_for(&root.join("child.pid")).trim().parse().unwrap();
    let gone = |pid: u32| {
        fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| {
            s[s.rfind(')').unwrap() + 1..].trim_start().starts_with('Z')
        })
    };
    let limit = Instant::now() + Duration::from_secs(5);
    while !gone(child) && Instant::now() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(gone(child), "the criterion's child {child} still runs");
}

/// `selfheal run --verify` and `--notify` take a command line for `sh -c` (the user typed it
/// for a shell); the help says so.
#[test]
fn run_help_says_which_options_use_a_shell() {
    let help = Sandbox::new()
        .selfheal(&["run", "--help"])
        .assert_success()
        .stdout();
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for option in ["--verify <CMD>", "--notify <CMD>"] {
        let at = flat.find(option).unwrap_or_else(|| panic!("{help}"));
        let text = &flat[at..];
        let end = text[option.len()..]
            .find(" --")
            .map_or(text.len(), |i| i + option.len());
        assert!(text[..end].contains("sh -c"), "{option}: {}", &text[..end]);
    }
}

/// A cloned repository's `.selfheal.toml` runs nothing until the user trusts it as it is: its
/// `[verify] commands` and `[[patch.checks]]` are left out, with one stderr line saying how to
/// allow them (the other keys apply). After `selfheal trust` they run; an edit of the file takes
/// the trust back.
#[test]
fn an_untrusted_project_file_runs_none_of_its_commands() {
    let sandbox = Sandbox::new();
    let config = "[budget]\nreplans = 5\n\
         [verify]\ncommands = [[\"sh\", \"-c\", \"touch ran-criteria; exit 1\"]]\ntimeout_secs = 30\n\
         [[patch.checks]]\nglob = \"*.txt\"\ncommand = [\"sh\", \"-c\", \"touch ran-check\", \"sh\", \"{file}\"]\n";
    let root = untrusted_project(&sandbox, config);
    let write = |n: u32| {
        let file = root.join("a.txt");
        fs::write(&file, "x\n").unwrap();
        let file = file.display().to_string();
        let extra = json!({"tool_name": "Write", "tool_use_id": format!("w{n}"),
            "tool_input": {"file_path": file, "content": "x\n"},
            "tool_response": {"type": "create", "filePath": file, "content": "x\n",
                "structuredPatch": [], "originalFile": null}});
        claude(
            &sandbox,
            "patch-verifier",
            "cmd",
            &root,
            "PostToolUse",
            extra,
        )
    };
    let said = |ran: &Ran| {
        let line = ran.stderr();
        assert!(
            line.contains(".selfheal.toml") && line.contains("selfheal trust"),
            "{line}"
        );
    };

    let ran = write(1);
    assert_eq!(ran.code(), Some(0));
    assert_eq!(ran.stdout(), "");
    said(&ran);
    let ran = stop(&sandbox, &root, false);
    assert_eq!(ran.code(), Some(0));
    assert!(!ran.stdout().contains("block"), "{}", ran.stdout());
    said(&ran);
    for file in ["ran-criteria", "ran-check"] {
        assert!(!root.join(file).exists(), "{file} ran untrusted");
    }

    let trusted = sandbox.selfheal(&["trust", &root.display().to_string()]);
    let out = trusted.assert_success().stdout();
    assert!(out.contains("trusted as it is now"), "{out}");
    assert!(
        out.contains("[verify] commands: sh -c touch ran-criteria; exit 1"),
        "{out}"
    );
    assert!(
        out.contains("[[patch.checks]] *.txt: sh -c touch ran-check"),
        "{out}"
    );
    write(2).assert_success();
    assert!(root.join("ran-check").exists());
    let ran = stop(&sandbox, &root, false);
    assert_eq!(ran.stdout_json()["decision"], "block", "{}", ran.stdout());
    assert!(root.join("ran-criteria").exists());

    // Edited since: left out again.
    fs::remove_file(root.join("ran-check")).unwrap();
    fs::write(root.join(".selfheal.toml"), format!("{config}# edited\n")).unwrap();
    let ran = write(3);
    said(&ran);
    assert!(!root.join("ran-check").exists());
    let revoked = sandbox.selfheal(&["trust", "--revoke", &root.display().to_string()]);
    assert!(revoked
        .assert_success()
        .stdout()
        .contains("no longer trusted"));
}
