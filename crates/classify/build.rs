//! Compiles `rules.toml` (the built-in classifier rules, kept as data) into static tables, so
//! that a hook process pays nothing to load them.

use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rule: Vec<Rule>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    id: String,
    class: String,
    priority: i32,
    any: Vec<String>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    tools: Vec<String>,
    #[serde(default)]
    programs: Vec<String>,
    #[serde(default = "default_on")]
    on: String,
    #[serde(default)]
    anywhere: bool,
    #[serde(default)]
    kind: Option<String>,
    hint: String,
}

fn default_on() -> String {
    "any".into()
}

const CLASSES: &[(&str, &str)] = &[
    ("ok", "Ok"),
    ("task", "Task"),
    ("F1", "F1"),
    ("F2", "F2"),
    ("F3", "F3"),
    ("F4", "F4"),
    ("F5", "F5"),
    ("F6", "F6"),
    ("F7", "F7"),
];

fn main() {
    println!("cargo::rerun-if-changed=rules.toml");
    let text = std::fs::read_to_string("rules.toml").expect("rules.toml");
    let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("rules.toml: {e}"));
    let mut out = String::from("pub static RULES: &[Rule] = &[\n");
    let mut ids = std::collections::HashSet::new();
    for r in &file.rule {
        assert!(
            ids.insert(r.id.clone()),
            "rules.toml: duplicate id {}",
            r.id
        );
        let class = CLASSES
            .iter()
            .find(|(k, _)| *k == r.class)
            .unwrap_or_else(|| panic!("rules.toml: {}: unknown class {}", r.id, r.class))
            .1;
        let on = match r.on.as_str() {
            "any" => "On::Any",
            "failure" => "On::Failure",
            other => panic!("rules.toml: {}: on = {other}", r.id),
        };
        assert!(!r.any.is_empty(), "rules.toml: {}: `any` is empty", r.id);
        for lit in &r.any {
            assert!(
                lit.len() >= 2,
                "rules.toml: {}: literal {lit:?} is under two bytes",
                r.id
            );
            assert_eq!(
                lit,
                &lit.to_ascii_lowercase(),
                "rules.toml: {}: literals are lowercase (matched case-insensitively)",
                r.id
            );
        }
        if let Some(re) = &r.regex {
            // Fail the build, not a hook, on a bad pattern.
            if let Err(e) = regex::Regex::new(re) {
                panic!("rules.toml: {}: {e}", r.id);
            }
        }
        writeln!(
            out,
            "    Rule {{ id: {:?}, class: Class::{class}, priority: {}, any: &{:?}, regex: {:?}, \
             tools: &{:?}, programs: &{:?}, on: {on}, anywhere: {}, kind: {:?}, hint: {:?} }},",
            r.id, r.priority, r.any, r.regex, r.tools, r.programs, r.anywhere, r.kind, r.hint
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("rules.rs");
    std::fs::write(dest, out).unwrap();
}
