//! The corrective prompt: a retry that carries what went wrong — the failing criteria with
//! their output, the session's unresolved failures and last errors and actions (from the state
//! DB), a stall's log tail — and the original goal. Never just "try again".

use crate::attempt::{ClientRun, Criterion, DbFacts};

/// The first words of every corrective prompt.
pub const MARKER: &str = "selfheal run: the previous attempt did not reach the goal";

/// Each criterion's output is cut to its last this many characters.
const OUTPUT_TAIL: usize = 2000;
/// At most this many recent events and unresolved failures are listed.
const MAX_LINES: usize = 8;

/// Everything known about the attempt that failed.
pub struct Previous<'a> {
    pub run: &'a ClientRun,
    pub criteria: &'a [Criterion],
    pub facts: &'a DbFacts,
    /// The silence limit, for a stall.
    pub silence_secs: u64,
}

/// The prompt of attempt `next` of `max`.
pub fn corrective(goal: &str, next: usize, max: usize, prev: &Previous<'_>) -> String {
    let mut out = format!(
        "{MARKER} (this is attempt {next} of {max}). Do not simply repeat what was done: read \
         what failed below, find the cause, fix it, and check the result before you stop.\n\n\
         ## What failed\n"
    );
    let run = prev.run;
    if run.stalled {
        out.push_str(&format!(
            "- The attempt stalled: no output for {} s, so it was stopped. Do not run commands \
             that wait for input or never end (editors, pagers, prompts, watchers, servers in \
             the foreground). Its log ended with:\n{}\n",
            prev.silence_secs,
            indent(&tail(&run.log_tail, OUTPUT_TAIL))
        ));
    }
    for c in prev.criteria.iter().filter(|c| !c.passed) {
        out.push_str(&format!(
            "- Success criterion `{}` failed ({}). Its output:\n{}\n",
            c.command,
            c.result,
            indent(&tail(&c.output, OUTPUT_TAIL))
        ));
    }
    for f in prev.facts.unresolved.iter().take(MAX_LINES) {
        out.push_str(&format!(
            "- Unresolved failure ({}) of {}: {}\n",
            f.class,
            f.what,
            one_line(&f.evidence)
        ));
    }
    if !run.stalled {
        if let Some(code) = run.exit_code.filter(|c| *c != 0) {
            out.push_str(&format!("- The agent exited with code {code}.\n"));
        }
        for e in run.errors.iter().take(3) {
            out.push_str(&format!("- The client reported: {}\n", one_line(e)));
        }
    }
    if !run.actions.is_empty() {
        out.push_str("\n## Its last tool calls\n");
        let skip = run.actions.len().saturating_sub(MAX_LINES);
        for a in &run.actions[skip..] {
            out.push_str(&format!("- {}\n", one_line(a)));
        }
    }
    if !prev.facts.recent.is_empty() {
        out.push_str("\n## The last errors and actions recorded in that attempt\n");
        let skip = prev.facts.recent.len().saturating_sub(MAX_LINES);
        for line in &prev.facts.recent[skip..] {
            out.push_str(&format!("- {}\n", one_line(line)));
        }
    }
    if let Some(last) = run.last_message() {
        out.push_str(&format!(
            "\n## The previous attempt's last message\n{}\n",
            indent(&tail(last, OUTPUT_TAIL))
        ));
    }
    out.push_str(&format!("\n## The goal (unchanged)\n{goal}\n"));
    out
}

fn indent(text: &str) -> String {
    let text = if text.trim().is_empty() {
        "(no output)"
    } else {
        text
    };
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 400 {
        let cut: String = joined.chars().take(400).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// The last `max` characters of `text` (whole lines when it can).
pub fn tail(text: &str, max: usize) -> String {
    let text = text.trim_end();
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    match cut.find('\n') {
        Some(i) if i + 1 < cut.len() => format!("…\n{}", &cut[i + 1..]),
        _ => format!("…{cut}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attempt::Failure;

    #[test]
    fn carries_criteria_output_failures_actions_and_the_goal() {
        let run = ClientRun {
            exit_code: Some(0),
            messages: vec!["All done, tests pass.".into()],
            actions: vec!["Bash: cargo test".into()],
            ..ClientRun::default()
        };
        let criteria = [
            Criterion {
                command: "sh -c 'cargo test'".into(),
                passed: false,
                result: "exit 101".into(),
                output: "test parse_empty ... FAILED\nassertion failed: left == right".into(),
            },
            Criterion {
                command: "true".into(),
                passed: true,
                result: "exit 0".into(),
                output: "PASSING-OUTPUT".into(),
            },
        ];
        let facts = DbFacts {
            unresolved: vec![Failure {
                class: "F2".into(),
                what: "jq".into(),
                evidence: "jq: error: syntax error".into(),
            }],
            recent: vec!["Bash `jq .x` F2 → argument repair: jq: error".into()],
            ..DbFacts::default()
        };
        let p = corrective(
            "Make the parser accept empty input.",
            2,
            3,
            &Previous {
                run: &run,
                criteria: &criteria,
                facts: &facts,
                silence_secs: 600,
            },
        );
        assert!(p.starts_with(MARKER));
        assert!(p.contains("attempt 2 of 3"));
        assert!(p.contains("`sh -c 'cargo test'` failed (exit 101)"));
        assert!(p.contains("assertion failed: left == right"));
        assert!(
            !p.contains("PASSING-OUTPUT"),
            "passing criteria are not noise"
        );
        assert!(p.contains("(F2) of jq: jq: error: syntax error"));
        assert!(p.contains("argument repair"));
        assert!(p.contains("- Bash: cargo test"));
        assert!(p.contains("All done, tests pass."));
        assert!(p
            .trim_end()
            .ends_with("Make the parser accept empty input."));
    }

    #[test]
    fn a_stall_says_so_with_the_log_tail() {
        let run = ClientRun {
            stalled: true,
            log_tail: "{\"type\":\"system\"}\nwaiting for input".into(),
            ..ClientRun::default()
        };
        let p = corrective(
            "goal",
            2,
            2,
            &Previous {
                run: &run,
                criteria: &[],
                facts: &DbFacts::default(),
                silence_secs: 5,
            },
        );
        assert!(p.contains("no output for 5 s"));
        assert!(p.contains("    waiting for input"));
    }

    #[test]
    fn tails_keep_the_end() {
        let long: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let t = tail(&long, 100);
        assert!(t.starts_with("…\n") && t.ends_with("line 999"));
        assert!(t.len() <= 110);
        assert_eq!(tail("short", 100), "short");
    }
}
