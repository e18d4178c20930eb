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
    let dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut dfas: Vec<String> = Vec::new();
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
        let dfa = match &r.regex {
            Some(re) => {
                let name = format!("rule-{}.dfa", dfas.len());
                dfas.push(format!(
                    "static DFA_{}: Aligned<[u8; {}]> = Aligned(*include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{name}\")));",
                    dfas.len(),
                    compile_dfa(&r.id, re, &dir.join(&name))
                ));
                format!("Some(&DFA_{}.0)", dfas.len() - 1)
            }
            None => "None".to_owned(),
        };
        writeln!(
            out,
            "    Rule {{ id: {:?}, class: Class::{class}, priority: {}, dfa: {dfa}, \
             tools: &{:?}, programs: &{:?}, on: {on}, anywhere: {}, kind: {:?}, hint: {:?} }},",
            r.id, r.priority, r.tools, r.programs, r.anywhere, r.kind, r.hint
        )
        .unwrap();
    }
    out.push_str("];\n");
    for line in &dfas {
        writeln!(out, "{line}").unwrap();
    }
    literal_index(&file.rule, &mut out);
    std::fs::write(dir.join("rules.rs"), out).unwrap();
}

/// Compiles a rule's regex into a serialized sparse DFA (ASCII classes and case folding, as
/// the rules are written), so that a hook deserializes it in place instead of compiling it:
/// compiling even with regex-lite cost a failing call 0.2-0.3 M instructions. Returns the
/// size written.
fn compile_dfa(id: &str, pattern: &str, path: &std::path::Path) -> usize {
    use regex_automata::dfa::{dense, StartKind};
    use regex_automata::nfa::thompson;
    use regex_automata::util::syntax;
    let dfa = dense::Builder::new()
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .thompson(thompson::Config::new().utf8(false))
        .configure(
            dense::Config::new()
                .minimize(true)
                .start_kind(StartKind::Unanchored),
        )
        .build(pattern)
        // Fail the build, not a hook, on a bad pattern.
        .unwrap_or_else(|e| panic!("rules.toml: {id}: {e}"));
    // Sparse: a tenth of the dense tables' size, and these only ever scan a few short lines.
    let sparse = dfa.to_sparse().expect("a sparse DFA");
    let bytes = sparse.to_bytes_little_endian();
    std::fs::write(path, &bytes).unwrap();
    bytes.len()
}

/// The two-byte index over every rule literal (see `Literals` in src/rules.rs), built here so
/// that a hook process does not build it at start-up.
fn literal_index(rules: &[Rule], out: &mut String) {
    let mut patterns: Vec<&str> = Vec::new();
    let mut owners: Vec<Vec<usize>> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        for lit in &rule.any {
            let i = patterns.iter().position(|p| p == lit).unwrap_or_else(|| {
                patterns.push(lit);
                owners.push(Vec::new());
                patterns.len() - 1
            });
            if !owners[i].contains(&r) {
                owners[i].push(r);
            }
        }
    }
    let mut table = vec![0u16; 1 << 16];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        let key = (usize::from(p.as_bytes()[0]) << 8) | usize::from(p.as_bytes()[1]);
        if table[key] == 0 {
            groups.push(Vec::new());
            table[key] = u16::try_from(groups.len()).expect("under 65,536 literal prefixes");
        }
        groups[usize::from(table[key]) - 1].push(i);
    }
    writeln!(out, "static PATTERNS: &[&[u8]] = &[").unwrap();
    for p in &patterns {
        writeln!(out, "    b{p:?},").unwrap();
    }
    let slices = |lists: &[Vec<usize>]| {
        let items: Vec<String> = lists.iter().map(|l| format!("&{l:?}")).collect();
        format!("&[{}]", items.join(", "))
    };
    writeln!(out, "];\nstatic OWNERS: &[&[usize]] = {};", slices(&owners)).unwrap();
    writeln!(out, "static GROUPS: &[&[usize]] = {};", slices(&groups)).unwrap();
    let bytes: Vec<u8> = table.iter().flat_map(|v| v.to_le_bytes()).collect();
    let dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(dir.join("bigrams.bin"), bytes).unwrap();
    writeln!(
        out,
        "static BIGRAMS: &[u8; 1 << 17] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/bigrams.bin\"));"
    )
    .unwrap();
}
