//! Is the result sane? No conflict markers the edit wrote, and the files that must parse do
//! (JSON, TOML, YAML). A file that did not parse before the edit either is not the edit's doing
//! and is left alone.

use std::collections::HashSet;
use std::path::Path;

use crate::landed::{Before, FileState};
use crate::{Finding, What};

/// Conflict-marker lines listed in a message.
const MAX_MARKERS_SHOWN: usize = 8;

pub fn check(files: &[FileState]) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in files {
        if let Some(detail) = markers(&f.now, &f.written) {
            out.push(Finding {
                path: f.shown.clone(),
                what: What::Markers,
                detail,
            });
        }
        if let Some(detail) = parse_problem(f) {
            out.push(Finding {
                path: f.shown.clone(),
                what: What::Parse,
                detail,
            });
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker {
    /// `<<<<<<< ours`
    Start,
    /// `||||||| base` (diff3)
    Base,
    /// `=======`
    Separator,
    /// `>>>>>>> theirs`
    End,
}

/// A conflict-marker line as git writes it: seven characters at the start of the line, then
/// the end of the line or a space (never for `=======`).
fn marker(line: &str) -> Option<Marker> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let (head, rest) = line.split_at_checked(7)?;
    let kind = match head {
        "<<<<<<<" => Marker::Start,
        "|||||||" => Marker::Base,
        "=======" => Marker::Separator,
        ">>>>>>>" => Marker::End,
        _ => return None,
    };
    let ok = match kind {
        Marker::Separator => rest.is_empty(),
        _ => rest.is_empty() || rest.starts_with(' '),
    };
    ok.then_some(kind)
}

/// The conflict-marker lines of `now` that the edit wrote (`written`): a `=======` counts only
/// between `<<<<<<<` and `>>>>>>>`, so that a setext heading underline is no conflict.
fn markers(now: &str, written: &str) -> Option<String> {
    let wrote: HashSet<&str> = written
        .lines()
        .filter(|l| marker(l).is_some())
        .map(str::trim_end)
        .collect();
    if wrote.is_empty() {
        return None;
    }
    let mut at = Vec::new();
    let mut open = false;
    for (i, line) in now.lines().enumerate() {
        let Some(kind) = marker(line) else {
            continue;
        };
        let counts = match kind {
            Marker::Start => {
                open = true;
                true
            }
            Marker::End => {
                open = false;
                true
            }
            Marker::Base => true,
            Marker::Separator => open,
        };
        if counts && wrote.contains(line.trim_end()) {
            at.push(i + 1);
        }
    }
    if at.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = at
        .iter()
        .take(MAX_MARKERS_SHOWN)
        .map(ToString::to_string)
        .collect();
    if at.len() > MAX_MARKERS_SHOWN {
        shown.push(format!("… (+{} more)", at.len() - MAX_MARKERS_SHOWN));
    }
    Some(format!(
        "has conflict markers the edit wrote, at line{} {}",
        if at.len() == 1 { "" } else { "s" },
        shown.join(", ")
    ))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Json,
    /// JSON with comments and trailing commas (tsconfig, VS Code settings).
    Jsonc,
    Toml,
    Yaml,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json | Format::Jsonc => "JSON",
            Format::Toml => "TOML",
            Format::Yaml => "YAML",
        }
    }
}

fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e)?;
    let in_editor_dir = path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some(".vscode" | ".devcontainer" | ".zed")
        )
    });
    match ext {
        "json"
            if in_editor_dir
                || name.starts_with("tsconfig")
                || name.starts_with("jsconfig")
                || name == "devcontainer.json"
                || name.starts_with(".eslintrc") =>
        {
            Some(Format::Jsonc)
        }
        "json" | "ipynb" => Some(Format::Json),
        "jsonc" => Some(Format::Jsonc),
        "toml" => Some(Format::Toml),
        "yaml" | "yml" => Some(Format::Yaml),
        _ => None,
    }
}

/// Whether the file is of a kind that must parse (and so whether its content before the edit
/// is worth rebuilding).
pub fn parses(path: &Path) -> bool {
    format_of(path).is_some()
}

fn parse_problem(f: &FileState) -> Option<String> {
    let format = format_of(&f.path)?;
    if format == Format::Yaml && templated(&f.now) {
        return None;
    }
    let error = parse(format, &f.now)?;
    if let Before::Text(before) = &f.before {
        if parse(format, before).is_some() {
            return None;
        }
    }
    Some(format!("is not valid {}: {error}", format.name()))
}

/// Templated YAML (Helm, Jinja) is not YAML until rendered; GitHub's `${{ … }}` sits inside
/// YAML strings and is no template in that sense.
fn templated(text: &str) -> bool {
    text.contains("{%")
        || text
            .match_indices("{{")
            .any(|(i, _)| !text[..i].ends_with('$'))
}

/// Why `text` is not valid `format`, with the line (and column) where it breaks.
fn parse(format: Format, text: &str) -> Option<String> {
    match format {
        Format::Json => json(text),
        Format::Jsonc => json(text).and_then(|e| json(&strip_jsonc(text)).map(|_| e)),
        Format::Toml => toml::from_str::<serde::de::IgnoredAny>(text)
            .err()
            .map(|e| {
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                let message = e.message().trim().lines().next().unwrap_or("").to_owned();
                match line {
                    Some(line) => format!("{message} (line {line})"),
                    None => message,
                }
            }),
        Format::Yaml => yaml(text),
    }
}

fn json(text: &str) -> Option<String> {
    // serde_json's message ends in " at line L column C".
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .err()
        .map(|e| e.to_string())
}

fn yaml(text: &str) -> Option<String> {
    let parser = saphyr_parser::Parser::new_from_str(text);
    for event in parser {
        if let Err(e) = event {
            let m = e.marker();
            return Some(format!(
                "{} at line {} column {}",
                e.info(),
                m.line(),
                m.col() + 1
            ));
        }
    }
    None
}

/// JSON with `//` and `/* */` comments and trailing commas removed (strings kept as they are),
/// so that a JSONC file is judged by its JSON.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.extend_from_slice(&bytes[start..i]);
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    // Keep line breaks, so that error lines still match the file.
                    if bytes[i] == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
            }
            b',' => {
                let next = bytes[i + 1..]
                    .iter()
                    .find(|b| !b.is_ascii_whitespace())
                    .copied();
                if !matches!(next, Some(b'}' | b']')) {
                    out.push(b',');
                }
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn file(name: &str, now: &str, before: Before, written: &str) -> FileState {
        FileState {
            shown: name.into(),
            path: PathBuf::from("/p").join(name),
            now: now.into(),
            before,
            written: written.into(),
        }
    }

    #[test]
    fn conflict_markers_the_edit_wrote_are_found() {
        let now = "a\n<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> branch\nb\n";
        let f = file("m.rs", now, Before::Unknown, now);
        let found = check(&[f]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, What::Markers);
        assert!(
            found[0].detail.ends_with("lines 2, 4, 6"),
            "{}",
            found[0].detail
        );
        // Markers already there, not written by this edit, are not its doing.
        let f = file("m.rs", now, Before::Unknown, "b");
        assert!(check(&[f]).is_empty());
        // A setext heading underline is no conflict.
        let md = "Title\n=======\n\ntext\n";
        assert!(check(&[file("r.md", md, Before::Unknown, md)]).is_empty());
        assert!(marker("<<<<<<<< eight").is_none());
        assert!(marker("======= x").is_none());
    }

    #[test]
    fn json_toml_and_yaml_must_parse_unless_they_did_not_before() {
        let bad = file("c.json", "{\"a\": 1,\n \"b\": }\n", Before::New, "");
        let found = check(&[bad]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].detail.starts_with("is not valid JSON: ")
                && found[0].detail.contains("line 2"),
            "{}",
            found[0].detail
        );
        let was_bad = file("c.json", "{", Before::Text("[".into()), "");
        assert!(check(&[was_bad]).is_empty());
        let was_good = file("c.json", "{", Before::Text("{}".into()), "");
        assert_eq!(check(&[was_good]).len(), 1);

        let toml = file("Cargo.toml", "[package]\nname = \n", Before::Unknown, "");
        let found = check(&[toml]);
        assert!(
            found[0].detail.contains("TOML") && found[0].detail.contains("line 2"),
            "{}",
            found[0].detail
        );
        assert!(check(&[file("a.toml", "x = 1\n", Before::Unknown, "")]).is_empty());

        let yaml = file("ci.yml", "a: [1, 2\nb: 3\n", Before::Unknown, "");
        let found = check(&[yaml]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].detail.contains("YAML"), "{}", found[0].detail);
        assert!(check(&[file(
            "ok.yaml",
            "a:\n  - 1\n  - b: c\n",
            Before::Unknown,
            ""
        )])
        .is_empty());
        let helm = file("t.yaml", "a: {{ .Values.x }\n", Before::Unknown, "");
        assert!(check(&[helm]).is_empty());
    }

    #[test]
    fn everyday_yaml_parses() {
        let workflow = "name: CI\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          cargo test --all\n          echo \"done: ${{ matrix.x }}\"\n";
        let compose = "x-common: &common\n  restart: always\nservices:\n  web:\n    <<: *common\n    image: \"nginx:1.27\"\n    ports:\n      - \"8080:80\"\n    command: >\n      nginx -g\n      'daemon off;'\n---\n# second document\nkey: value\n";
        assert_eq!(parse(Format::Yaml, compose), None);
        assert!(!templated(workflow));
        assert_eq!(parse(Format::Yaml, workflow), None);
        assert!(
            check(&[file(
                "ci.yml",
                &workflow.replace("    steps:", "   steps:"),
                Before::New,
                ""
            )])
            .len()
                == 1
        );
        assert!(parse(Format::Yaml, "a: b: c\n").is_some());
        assert!(parse(Format::Yaml, "list:\n  - a\n - b\n").is_some());
    }

    #[test]
    fn jsonc_files_may_have_comments_and_trailing_commas() {
        let text = "{\n  // comment\n  \"a\": \"//not\", /* b */\n  \"c\": [1, 2,],\n}\n";
        assert!(check(&[file("tsconfig.json", text, Before::New, "")]).is_empty());
        assert_eq!(
            check(&[file("package.json", text, Before::New, "")]).len(),
            1
        );
        assert!(check(&[file("tsconfig.json", "{\"a\": }", Before::New, "")]).len() == 1);
    }
}
