//! The table of cases in `tests/cases.toml`, run against the public API.

use selfheal_shell::{heredoc_writes, interactive, is_blank, is_read_only, write_targets};
use serde::Deserialize;

#[derive(Deserialize)]
struct Cases {
    interactive: Vec<InteractiveCase>,
    not_interactive: Vec<Command>,
    writes: Vec<WritesCase>,
    read_only: Vec<Command>,
    not_read_only: Vec<Command>,
    heredoc: Vec<HeredocCase>,
    blank: Vec<Command>,
    not_blank: Vec<Command>,
}

#[derive(Deserialize)]
struct Command {
    command: String,
}

#[derive(Deserialize)]
struct InteractiveCase {
    command: String,
    program: String,
    /// A fragment the suggestion must contain.
    suggests: Option<String>,
}

#[derive(Deserialize)]
struct WritesCase {
    command: String,
    targets: Vec<String>,
    via: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct HeredocCase {
    command: String,
    files: Vec<String>,
}

fn cases() -> Cases {
    let text = include_str!("cases.toml");
    toml::from_str(text)
        .unwrap_or_else(|e: toml::de::Error| panic!("tests/cases.toml: {}", e.message()))
}

/// Collects failures instead of stopping at the first, so one run shows them all.
fn report(kind: &str, failures: Vec<String>, total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} {kind} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn interactive_commands_are_refused() {
    let c = cases();
    assert!(
        c.interactive.len() >= 40,
        "{} interactive cases",
        c.interactive.len()
    );
    let mut failures = Vec::new();
    for case in &c.interactive {
        match interactive(&case.command) {
            None => failures.push(format!("  {:?}: not flagged", case.command)),
            Some(hit) if hit.program != case.program => failures.push(format!(
                "  {:?}: flagged {:?}, expected {:?}",
                case.command, hit.program, case.program
            )),
            Some(hit) => {
                if hit.reason.is_empty() || hit.suggestion.is_empty() {
                    failures.push(format!("  {:?}: empty reason or suggestion", case.command));
                }
                if let Some(frag) = &case.suggests {
                    if !hit.suggestion.contains(frag.as_str()) {
                        failures.push(format!(
                            "  {:?}: suggestion {:?} lacks {:?}",
                            case.command, hit.suggestion, frag
                        ));
                    }
                }
            }
        }
    }
    report("interactive", failures, c.interactive.len());
}

#[test]
fn false_positive_traps_pass() {
    let c = cases();
    assert!(
        c.not_interactive.len() >= 40,
        "{} traps",
        c.not_interactive.len()
    );
    let failures = c
        .not_interactive
        .iter()
        .filter_map(|case| {
            interactive(&case.command).map(|hit| format!("  {:?}: flagged {hit:?}", case.command))
        })
        .collect();
    report("not_interactive", failures, c.not_interactive.len());
}

#[test]
fn write_targets_are_found() {
    let c = cases();
    assert!(c.writes.len() >= 30, "{} write cases", c.writes.len());
    let mut failures = Vec::new();
    for case in &c.writes {
        let got = write_targets(&case.command);
        let paths: Vec<&str> = got.iter().map(|t| t.path.as_str()).collect();
        if paths != case.targets {
            failures.push(format!(
                "  {:?}: got {got:?}, expected {:?}",
                case.command, case.targets
            ));
            continue;
        }
        if let Some(via) = &case.via {
            let vias: Vec<&str> = got.iter().map(|t| t.via).collect();
            if vias != *via {
                failures.push(format!(
                    "  {:?}: via {vias:?}, expected {via:?}",
                    case.command
                ));
            }
        }
    }
    report("writes", failures, c.writes.len());
}

#[test]
fn read_only_commands() {
    let c = cases();
    assert!(c.read_only.len() >= 20 && c.not_read_only.len() >= 20);
    let mut failures = Vec::new();
    for case in &c.read_only {
        if !is_read_only(&case.command) {
            failures.push(format!("  {:?}: not read-only", case.command));
        }
    }
    for case in &c.not_read_only {
        if is_read_only(&case.command) {
            failures.push(format!("  {:?}: read-only", case.command));
        }
    }
    report(
        "read-only",
        failures,
        c.read_only.len() + c.not_read_only.len(),
    );
}

#[test]
fn heredoc_writes_are_found() {
    let c = cases();
    let failures = c
        .heredoc
        .iter()
        .filter_map(|case| {
            let got = heredoc_writes(&case.command);
            (got != case.files).then(|| {
                format!(
                    "  {:?}: got {got:?}, expected {:?}",
                    case.command, case.files
                )
            })
        })
        .collect();
    report("heredoc", failures, c.heredoc.len());
}

#[test]
fn blank_commands() {
    let c = cases();
    let mut failures = Vec::new();
    for case in &c.blank {
        if !is_blank(&case.command) {
            failures.push(format!("  {:?}: not blank", case.command));
        }
    }
    for case in &c.not_blank {
        if is_blank(&case.command) {
            failures.push(format!("  {:?}: blank", case.command));
        }
    }
    report("blank", failures, c.blank.len() + c.not_blank.len());
}
