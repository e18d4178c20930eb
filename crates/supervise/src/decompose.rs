//! Scope reduction: when corrective attempts failed, the agent is asked to split the task into
//! 3–5 independent subtasks, and each runs as an attempt of its own.

use serde_json::Value;

/// At most this many subtasks are run (more are dropped, and the report says so).
pub const MAX_PARTS: usize = 5;
/// Fewer than this is no reduction of scope.
pub const MIN_PARTS: usize = 2;

/// The prompt that asks for the subtasks.
pub fn prompt(goal: &str, failed_attempts: usize) -> String {
    format!(
        "selfheal run: the task below was attempted {failed_attempts} time(s) and is not done. \
         Do not work on it now and do not change any file. Split it into 3 to 5 independent \
         subtasks, each small enough to finish and check on its own, together covering the \
         whole task. Answer with only a JSON array of strings, one self-contained instruction \
         per subtask, for example [\"…\", \"…\", \"…\"].\n\nThe task:\n{goal}"
    )
}

/// The prompt of subtask `i` (1-based) of `n`.
pub fn part_prompt(goal: &str, part: &str, i: usize, n: usize) -> String {
    format!(
        "{part}\n\n(selfheal run: this is subtask {i} of {n} of a larger task, done one at a \
         time. Do only this subtask, completely, and check it before you stop. The whole task, \
         for context: {goal})"
    )
}

/// The subtasks in the agent's answer: a JSON array (of strings, or of objects with a
/// `task`, `prompt`, `description` or `title`), possibly inside a code fence or other text;
/// else a numbered or bulleted list. `None` when fewer than [`MIN_PARTS`] are found. More than
/// [`MAX_PARTS`] are cut to that many.
pub fn parse(answer: &str) -> Option<Vec<String>> {
    let parts = json_parts(answer).unwrap_or_else(|| list_parts(answer));
    let mut parts: Vec<String> = parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    parts.dedup();
    if parts.len() < MIN_PARTS {
        return None;
    }
    parts.truncate(MAX_PARTS);
    Some(parts)
}

fn json_parts(answer: &str) -> Option<Vec<String>> {
    // Every '[' is a candidate start; the first that parses as an array of usable items wins.
    for (start, _) in answer.match_indices('[') {
        let rest = &answer[start..];
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        let Some(Ok(Value::Array(items))) = stream.next() else {
            continue;
        };
        let parts: Vec<String> = items.iter().filter_map(item_text).collect();
        if parts.len() == items.len() && !parts.is_empty() {
            return Some(parts);
        }
    }
    None
}

fn item_text(item: &Value) -> Option<String> {
    match item {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => ["task", "prompt", "description", "title"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(str::to_owned),
        _ => None,
    }
}

fn list_parts(answer: &str) -> Vec<String> {
    answer
        .lines()
        .filter_map(|line| {
            let t = line.trim_start();
            let digits = t.chars().take_while(char::is_ascii_digit).count();
            let rest = if digits > 0 {
                let r = &t[digits..];
                let r = r.strip_prefix('.').or_else(|| r.strip_prefix(')'))?;
                if !r.starts_with(char::is_whitespace) {
                    return None; // `1.5 is the version`
                }
                r
            } else {
                t.strip_prefix("- ")
                    .or_else(|| t.strip_prefix("* "))
                    .or_else(|| t.strip_prefix("• "))?
            };
            Some(rest.trim().to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_array_of_strings() {
        let parts = parse(r#"["make a.txt", "make b.txt", "make c.txt"]"#).unwrap();
        assert_eq!(parts, ["make a.txt", "make b.txt", "make c.txt"]);
    }

    #[test]
    fn json_in_a_fence_after_text_and_objects() {
        let answer = "Here is the split:\n```json\n[{\"task\": \"one\"}, {\"title\": \"two\"}, \
                      {\"prompt\": \"three\"}]\n```\nGood luck [really].";
        assert_eq!(parse(answer).unwrap(), ["one", "two", "three"]);
    }

    #[test]
    fn a_numbered_or_bulleted_list() {
        let answer = "Subtasks:\n1. write the parser\n2) add tests\n3. update docs\nThat's it.";
        assert_eq!(
            parse(answer).unwrap(),
            ["write the parser", "add tests", "update docs"]
        );
        assert_eq!(parse("- a\n- b\n* c").unwrap(), ["a", "b", "c"]);
        // A version number is not a list item.
        assert_eq!(parse("1.5 is the version\n2.0 next"), None);
    }

    #[test]
    fn too_few_is_none_and_too_many_are_cut() {
        assert_eq!(parse("[\"only one\"]"), None);
        assert_eq!(parse("I cannot split this task."), None);
        assert_eq!(parse(""), None);
        let many: Vec<String> = (1..=8).map(|i| format!("part {i}")).collect();
        let parts = parse(&serde_json::to_string(&many).unwrap()).unwrap();
        assert_eq!(parts.len(), MAX_PARTS);
        assert_eq!(parts[4], "part 5");
    }

    #[test]
    fn prompts_carry_the_goal() {
        assert!(prompt("fix the build", 3).contains("fix the build"));
        assert!(prompt("fix the build", 3).contains("JSON array"));
        let p = part_prompt("fix the build", "fix lib.rs", 2, 3);
        assert!(p.starts_with("fix lib.rs") && p.contains("2 of 3") && p.contains("fix the build"));
    }
}
