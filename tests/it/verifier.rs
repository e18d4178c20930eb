//! patch-verifier through the real binary, both clients, on real files in a temp project: an
//! edit the tool reported as done is read back from disk; what did not land, conflict
//! markers, broken JSON and failing `[[patch.checks]]` come back as F3 guidance, and the
//! session's own edit never reads as someone else's change (F5) afterwards.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::support::{payload, Ran, Sandbox};

struct Project {
    sandbox: Sandbox,
    dir: PathBuf,
    client: &'static str,
    session: String,
    calls: std::cell::Cell<u32>,
}

impl Project {
    fn new(client: &'static str) -> Project {
        let sandbox = Sandbox::new();
        let dir = sandbox.dir.join("project");
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        Project {
            sandbox,
            dir,
            client,
            session: format!("verify-{client}"),
            calls: std::cell::Cell::new(0),
        }
    }

    fn path(&self, rel: &str) -> String {
        self.dir.join(rel).display().to_string()
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    fn hook(&self, name: &str, event: &str, extra: Value) -> Ran {
        let p = self.dir.display().to_string();
        let mut line = payload(self.client, &self.session, &p, event, extra);
        let mut case = self.sandbox.case(name, {
            if self.client == "claude" {
                line.push('\n');
            }
            line
        });
        if self.client == "claude" {
            case = case.env("CLAUDE_PROJECT_DIR", &p);
        }
        case.run()
    }

    fn next_id(&self) -> String {
        self.calls.set(self.calls.get() + 1);
        format!("call_{}", self.calls.get())
    }

    /// PostToolUse of a tool call the client reported as a success, through patch-verifier.
    fn verify(&self, tool: &str, input: Value, response: Value) -> Ran {
        self.hook(
            "patch-verifier",
            "PostToolUse",
            json!({"tool_name": tool, "tool_input": input, "tool_response": response,
                   "tool_use_id": self.next_id()}),
        )
    }

    /// The same, also through failure-classifier, as both clients run the two side by side
    /// on an edit (hooks.example.json, profiles/codex): the verifier's answer.
    fn verify_with_classifier(&self, tool: &str, input: Value, response: Value) -> Ran {
        let extra = json!({"tool_name": tool, "tool_input": input, "tool_response": response,
                           "tool_use_id": self.next_id()});
        self.hook("failure-classifier", "PostToolUse", extra.clone())
            .assert_silent();
        self.hook("patch-verifier", "PostToolUse", extra)
    }

    /// A Codex apply_patch that Codex reported as a success.
    fn patch(&self, patch: &str) -> Ran {
        assert_eq!(self.client, "codex");
        self.verify(
            "apply_patch",
            json!({"command": patch}),
            json!("Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nM a.txt\n"),
        )
    }

    /// A Claude Write that Claude reported as a success.
    fn claude_write(&self, rel: &str, content: &str, original: Option<&str>) -> Ran {
        assert_eq!(self.client, "claude");
        let path = self.path(rel);
        self.verify(
            "Write",
            json!({"file_path": path, "content": content}),
            json!({"type": if original.is_some() { "update" } else { "create" }, "filePath": path,
                   "content": content, "structuredPatch": [], "originalFile": original,
                   "userModified": false}),
        )
    }

    /// A Claude Edit that Claude reported as a success, with the response it gives.
    fn claude_edit(&self, rel: &str, original: &str, old: &str, new: &str) -> Ran {
        assert_eq!(self.client, "claude");
        let path = self.path(rel);
        self.verify(
            "Edit",
            json!({"file_path": path, "old_string": old, "new_string": new, "replace_all": false}),
            json!({"filePath": path, "oldString": old, "newString": new, "originalFile": original,
                   "structuredPatch": [], "userModified": false, "replaceAll": false}),
        )
    }

    fn events(&self) -> Vec<Value> {
        self.sandbox
            .selfheal(&["events", "--session", &self.session, "--json"])
            .assert_success()
            .stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn budget_used(&self, budget: &str) -> u64 {
        let status = self
            .sandbox
            .selfheal(&["status", "--session", &self.session, "--json"])
            .assert_success()
            .stdout_json();
        status["budgets"][budget]["used"].as_u64().unwrap()
    }
}

/// The guidance patch-verifier injected, in the client's format; the recorded event is F3.
fn guidance(p: &Project, ran: &Ran) -> String {
    assert_eq!(ran.code(), Some(0), "stderr: {}", ran.stderr());
    assert!(ran.output.stderr.is_empty(), "stderr: {}", ran.stderr());
    assert!(!ran.output.stdout.is_empty(), "no guidance");
    let out = ran.stdout_json();
    let specific = &out["hookSpecificOutput"];
    assert_eq!(specific["hookEventName"], "PostToolUse", "{out}");
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["hookSpecificOutput"],
        "nothing Codex would reject: {out}"
    );
    let text = specific["additionalContext"].as_str().unwrap().to_owned();
    assert!(text.chars().count() <= 1500, "too long: {text}");
    let last = p.events().pop().unwrap();
    assert_eq!(last["hook"], "patch-verifier");
    assert_eq!(last["class"], "F3", "{last}");
    assert_eq!(last["decision"], "context");
    text
}

fn assert_verified(p: &Project, ran: &Ran) {
    ran.assert_silent();
    let last = p.events().pop().unwrap();
    assert_eq!(last["hook"], "patch-verifier");
    assert!(last["class"].is_null(), "{last}");
    assert!(
        last["evidence"]
            .as_str()
            .unwrap_or("")
            .starts_with("verified"),
        "{last}"
    );
}

const SUCCESS_THREE: &str = "*** Begin Patch
*** Update File: a.txt
@@
 one
-two
+TWO
 three
*** Update File: b.txt
@@
 alpha
-beta
+BETA
 gamma
*** Update File: c.txt
@@
-x
+X
*** End Patch
";

#[test]
fn codex_patch_reported_as_success_with_one_of_three_files_unchanged() {
    let p = Project::new("codex");
    p.write("a.txt", "one\nTWO\nthree\n");
    p.write("b.txt", "alpha\nbeta\ngamma\n");
    p.write("c.txt", "X\n");
    let text = guidance(&p, &p.patch(SUCCESS_THREE));
    assert!(
        text.starts_with("selfheal F3 retry: malformed / incomplete output — `apply_patch reported success, but 1 of 3 files is not as the edit says: b.txt: hunk 1 (patch line 9) was not applied"),
        "{text}"
    );
    assert!(text.contains("still at file line 1"), "{text}");
    assert!(text.contains("Read each file named again"), "{text}");
    assert!(
        text.ends_with("Budget left: retries 5/6, replans 3/3, substitutions 3/3."),
        "{text}"
    );
    assert_eq!(p.budget_used("retries"), 1);

    // The same fault again moves on to the next action; a fix is verified and silent.
    let text = guidance(&p, &p.patch(SUCCESS_THREE));
    assert!(text.starts_with("selfheal F3 replan: "), "{text}");
    assert_eq!(p.budget_used("replans"), 1);
    p.write("b.txt", "alpha\nBETA\ngamma\n");
    assert_verified(&p, &p.patch(SUCCESS_THREE));
}

#[test]
fn truncated_writes_of_both_clients() {
    let full: String = (1..=40).map(|i| format!("entry {i}\n")).collect();
    let cut = &full[..full.find("entry 13").unwrap()];

    let p = Project::new("claude");
    p.write("data.txt", cut);
    let text = guidance(&p, &p.claude_write("data.txt", &full, None));
    assert!(
        text.contains("Write reported success, but data.txt is cut short: it holds 12 of 40 lines"),
        "{text}"
    );

    let p = Project::new("codex");
    p.write("data.txt", cut);
    let added: String = full.lines().map(|l| format!("+{l}\n")).collect();
    let text = guidance(
        &p,
        &p.patch(&format!(
            "*** Begin Patch\n*** Add File: data.txt\n{added}*** End Patch\n"
        )),
    );
    assert!(
        text.contains(
            "apply_patch reported success, but data.txt is cut short: it holds 12 of 40 lines"
        ),
        "{text}"
    );
}

#[test]
fn an_edit_whose_replacement_appears_zero_times() {
    let p = Project::new("claude");
    let original = "def f():\n    return 1\n";
    p.write("f.py", original);
    let text = guidance(&p, &p.claude_edit("f.py", original, "return 1", "return 2"));
    assert!(
        text.contains(
            "new_string \"return 2\" appears 0 times in the file; the edit should leave it once"
        ),
        "{text}"
    );
    assert!(
        text.contains("old_string \"return 1\" is still there once"),
        "{text}"
    );

    // Codex: the `+` line is nowhere, the `-` line still there.
    let p = Project::new("codex");
    p.write("f.py", original);
    let text = guidance(
        &p,
        &p.patch("*** Begin Patch\n*** Update File: f.py\n@@ def f():\n-    return 1\n+    return 2\n*** End Patch\n"),
    );
    assert!(
        text.contains(
            "f.py: hunk 1 (patch line 3) was not applied: its old lines are still at file line 2"
        ),
        "{text}"
    );
}

#[test]
fn conflict_markers_the_edit_wrote() {
    let conflicted = "fn main() {\n<<<<<<< HEAD\n    a();\n=======\n    b();\n>>>>>>> feature\n}\n";
    let p = Project::new("claude");
    p.write("src/main.rs", conflicted);
    let text = guidance(&p, &p.claude_write("src/main.rs", conflicted, None));
    assert!(
        text.contains(
            "after the Write, src/main.rs has conflict markers the edit wrote, at lines 2, 4, 6"
        ),
        "{text}"
    );
    assert!(
        text.contains("delete every <<<<<<< / ======= / >>>>>>> line"),
        "{text}"
    );

    let p = Project::new("codex");
    p.write("src/main.rs", conflicted);
    let text = guidance(
        &p,
        &p.patch("*** Begin Patch\n*** Update File: src/main.rs\n@@\n fn main() {\n-    a();\n+<<<<<<< HEAD\n+    a();\n+=======\n+    b();\n+>>>>>>> feature\n }\n*** End Patch\n"),
    );
    assert!(
        text.contains("src/main.rs has conflict markers the edit wrote, at lines 2, 4, 6"),
        "{text}"
    );
}

#[test]
fn a_broken_json_file() {
    let p = Project::new("claude");
    let original = "{\n  \"name\": \"x\",\n  \"version\": \"1.0.0\"\n}\n";
    let broken = "{\n  \"name\": \"x\",\n  \"version\": \"1.0.1\",\n}\n";
    p.write("package.json", broken);
    let text = guidance(
        &p,
        &p.claude_edit("package.json", original, "\"1.0.0\"", "\"1.0.1\","),
    );
    assert!(
        text.contains("package.json is not valid JSON: key must be a string at line 4 column 1"),
        "{text}"
    );
    assert!(text.contains("Fix the syntax"), "{text}");

    let p = Project::new("codex");
    p.write("cfg.json", "{\"a\": [1, 2}\n");
    let text = guidance(
        &p,
        &p.patch("*** Begin Patch\n*** Add File: cfg.json\n+{\"a\": [1, 2}\n*** End Patch\n"),
    );
    assert!(text.contains("cfg.json is not valid JSON: "), "{text}");
    // A TOML file the patch keeps valid is fine.
    p.write("Cargo.toml", "[package]\nname = \"y\"\n");
    assert_verified(
        &p,
        &p.patch("*** Begin Patch\n*** Update File: Cargo.toml\n@@\n [package]\n-name = \"x\"\n+name = \"y\"\n*** End Patch\n"),
    );
}

#[test]
fn a_move_done_and_one_left_half_done() {
    let p = Project::new("codex");
    let patch = "*** Begin Patch\n*** Update File: src/old.rs\n*** Move to: src/new.rs\n@@\n pub fn a() {}\n-pub fn b() {}\n+pub fn b() -> u8 { 2 }\n*** End Patch\n";
    p.write("src/new.rs", "pub fn a() {}\npub fn b() -> u8 { 2 }\n");
    assert_verified(&p, &p.patch(patch));
    p.write("src/old.rs", "pub fn a() {}\npub fn b() {}\n");
    let text = guidance(&p, &p.patch(patch));
    assert!(
        text.contains("src/old.rs still exists: the patch moves it to src/new.rs"),
        "{text}"
    );
}

#[test]
fn verified_edits_of_both_clients_are_silent_and_recorded() {
    let p = Project::new("claude");
    let original = "a\nb\n";
    p.write("x.txt", "a\nB\n");
    assert_verified(&p, &p.claude_edit("x.txt", original, "b", "B"));
    p.write("y.txt", "new\n");
    assert_verified(&p, &p.claude_write("y.txt", "new\n", None));

    let p = Project::new("codex");
    p.write("a.txt", "one\nTWO\nthree\n");
    p.write("b.txt", "alpha\nBETA\ngamma\n");
    p.write("c.txt", "X\n");
    assert_verified(&p, &p.patch(SUCCESS_THREE));
    // A patch Codex reported as failed is the classifier's: recorded, not verified.
    let ran = p.verify(
        "apply_patch",
        json!({"command": SUCCESS_THREE}),
        json!(
            "Exit code: 1\nWall time: 0 seconds\nOutput:\nerror: Failed to find expected lines\n"
        ),
    );
    ran.assert_silent();
}

#[test]
fn a_failing_patch_check_is_reported_with_its_output() {
    for client in ["claude", "codex"] {
        let p = Project::new(client);
        p.sandbox.trusted_config(
            &p.dir,
            "[[patch.checks]]\nglob = \"*.rs\"\ncommand = [\"sh\", \"-c\", \"echo \\\"Diff in $1 at line 3\\\"; exit 1\", \"sh\", \"{file}\"]\ntimeout_secs = 5\n\
             [[patch.checks]]\nglob = \"*.md\"\ncommand = [\"true\", \"{file}\"]\n",
        );
        p.write("src/lib.rs", "fn x() {}\n");
        p.write("README.md", "# x\n");
        let ran = match client {
            "claude" => p.claude_write("src/lib.rs", "fn x() {}\n", None),
            _ => p.patch("*** Begin Patch\n*** Add File: src/lib.rs\n+fn x() {}\n*** End Patch\n"),
        };
        let text = guidance(&p, &ran);
        let file = p.path("src/lib.rs");
        assert!(
            text.contains(&format!(
                "src/lib.rs: `sh -c echo \"Diff in $1 at line 3\"; exit 1 sh src/lib.rs` failed (exit 1): Diff in {file} at line 3"
            )),
            "{client}: {text}"
        );
        assert!(text.contains("Fix what the check reports"), "{text}");
        let ran = match client {
            "claude" => p.claude_write("README.md", "# x\n", None),
            _ => p.patch("*** Begin Patch\n*** Add File: README.md\n+# x\n*** End Patch\n"),
        };
        assert_verified(&p, &ran);
    }
}

#[test]
fn secrets_in_what_is_reported_are_redacted() {
    let p = Project::new("claude");
    let token = format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8");
    let full = format!("token = \"{token}\"\nmore = 1\nlast = 2\n");
    p.write(
        "settings.txt",
        "token = \"ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\"\nmore = 1\n",
    );
    let text = guidance(&p, &p.claude_write("settings.txt", &full, None));
    assert!(text.contains("is cut short"), "{text}");
    assert!(!text.contains(&token), "{text}");
    let stored = serde_json::to_string(&p.events()).unwrap();
    assert!(!stored.contains(&token));
}

/// §3: the session's own edit is never someone else's change (F5) to schema-guard, nor a
/// file changed under the session (F6) to the classifier; a change by someone else is.
#[test]
fn the_sessions_own_edit_is_not_stale_afterwards_but_someone_elses_is() {
    for client in ["claude", "codex"] {
        let p = Project::new(client);
        let file = p.path("notes.txt");
        p.write("notes.txt", "first\n");
        // The session reads the file (Claude: Read; Codex: through its last patch).
        let read = |p: &Project| {
            match client {
            "claude" => p.hook(
                "failure-classifier",
                "PostToolUse",
                json!({"tool_name": "Read", "tool_input": {"file_path": file},
                       "tool_response": {"type": "text", "file": {"filePath": file, "content": p.read("notes.txt")}},
                       "tool_use_id": p.next_id()}),
            ),
            _ => p.hook(
                "failure-classifier",
                "PostToolUse",
                json!({"tool_name": "Bash", "tool_input": {"command": "cat notes.txt"},
                       "tool_response": p.read("notes.txt"), "tool_use_id": p.next_id()}),
            ),
        }
        };
        read(&p).assert_silent();
        // The agent edits it; the edit lands; both PostToolUse hooks see it.
        p.write("notes.txt", "second\n");
        let ran = match client {
            "claude" => p.verify_with_classifier(
                "Edit",
                json!({"file_path": file, "old_string": "first", "new_string": "second"}),
                json!({"filePath": file, "oldString": "first", "newString": "second",
                       "originalFile": "first\n", "structuredPatch": [], "userModified": false,
                       "replaceAll": false}),
            ),
            _ => p.verify_with_classifier(
                "apply_patch",
                json!({"command": "*** Begin Patch\n*** Update File: notes.txt\n@@\n-first\n+second\n*** End Patch\n"}),
                json!("Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nM notes.txt\n"),
            ),
        };
        assert_verified(&p, &ran);
        let edit_input = |from: &str, to: &str| match client {
            "claude" => json!({"file_path": file, "old_string": from, "new_string": to}),
            _ => json!({"command": format!(
                "*** Begin Patch\n*** Update File: notes.txt\n@@\n-{from}\n+{to}\n*** End Patch\n"
            )}),
        };
        let tool = if client == "claude" {
            "Edit"
        } else {
            "apply_patch"
        };
        let next_edit = |p: &Project, from: &str, to: &str| {
            p.hook(
                "schema-guard",
                "PreToolUse",
                json!({"tool_name": tool, "tool_input": edit_input(from, to), "tool_use_id": p.next_id()}),
            )
        };
        // Its next edit of the same file is not refused as stale…
        next_edit(&p, "second", "third").assert_silent();
        // …and reading it again is no contradiction (Claude's Read is an observation).
        read(&p).assert_silent();
        let last = p.events().pop().unwrap();
        assert_ne!(last["class"], "F6", "{client}: {last}");

        // patch-verifier alone records the session's view: the edit after it is allowed too.
        p.write("notes.txt", "third\n");
        let response = match client {
            "claude" => json!({"filePath": file, "oldString": "second", "newString": "third",
                               "originalFile": "second\n", "structuredPatch": [],
                               "userModified": false, "replaceAll": false}),
            _ => json!("Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess.\n"),
        };
        assert_verified(&p, &p.verify(tool, edit_input("second", "third"), response));
        next_edit(&p, "third", "fourth").assert_silent();

        // Someone else changes it: now the edit is refused as stale context.
        p.write("notes.txt", "third, and a line from someone else\n");
        let ran = next_edit(&p, "third", "fourth");
        let out = ran.stdout_json();
        let reason = out["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap_or_default();
        assert!(
            reason.starts_with("selfheal F5 context_refresh:") && reason.contains("notes.txt"),
            "{client}: {out}"
        );
    }
}

#[test]
fn a_payload_from_another_machine_is_recorded_without_verdict() {
    let p = Project::new("claude");
    let ran = p.hook(
        "patch-verifier",
        "PostToolUse",
        json!({"tool_name": "Write", "cwd": "/nonexistent/selfheal/project",
               "tool_input": {"file_path": "/nonexistent/selfheal/project/a.txt", "content": "x"},
               "tool_response": {"type": "create"}, "tool_use_id": "w1"}),
    );
    ran.assert_silent();
    let last = p.events().pop().unwrap();
    assert_eq!(last["hook"], "patch-verifier");
    assert!(last["class"].is_null());
}
