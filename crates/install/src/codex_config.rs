//! Edits of Codex's user `config.toml` that keep the user's comments and layout
//! (`toml_edit`): the trust entries of our hooks (`[hooks.state."<key>"] trusted_hash`) and,
//! on request, the trust of a project whose `.codex/hooks.json` holds them.

use toml_edit::{value, DocumentMut, Item, Table};

use crate::codex_trust::TrustEntry;

/// Why the file cannot be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn parse(text: &str) -> Result<DocumentMut, ConfigError> {
    text.parse::<DocumentMut>()
        .map_err(|e| ConfigError(e.to_string().trim_end().to_owned()))
}

/// The table at `path` (created implicit, so no empty `[hooks]` header appears).
fn table_at<'a>(doc: &'a mut DocumentMut, path: &[&str]) -> Result<&'a mut Table, ConfigError> {
    let mut table = doc.as_table_mut();
    for (depth, key) in path.iter().enumerate() {
        let item = table.entry(key).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        table = item
            .as_table_mut()
            .ok_or_else(|| ConfigError(format!("`{}` is not a table", path[..=depth].join("."))))?;
    }
    Ok(table)
}

/// The trusted hash recorded for `key`, if any.
pub fn trusted_hash<'a>(doc: &'a DocumentMut, key: &str) -> Option<&'a str> {
    doc.get("hooks")?
        .get("state")?
        .get(key)?
        .get("trusted_hash")?
        .as_str()
}

/// Records each entry as trusted (replacing an older hash for the same key).
pub fn set_trust(doc: &mut DocumentMut, entries: &[TrustEntry]) -> Result<(), ConfigError> {
    if entries.is_empty() {
        return Ok(());
    }
    let state = table_at(doc, &["hooks", "state"])?;
    for entry in entries {
        if state
            .get(&entry.key)
            .and_then(|i| i.get("trusted_hash"))
            .and_then(Item::as_str)
            == Some(entry.hash.as_str())
        {
            continue;
        }
        let mut t = Table::new();
        t.insert("trusted_hash", value(entry.hash.as_str()));
        state.insert(&entry.key, Item::Table(t));
    }
    Ok(())
}

/// Takes out the entries of `keys`, and moves the trust of each `(from, to)` (a user hook whose
/// index changed when ours went) so it keeps running. Tables left empty by this go.
pub fn remove_trust(doc: &mut DocumentMut, keys: &[String], moves: &[(String, String)]) {
    let Some(state) = doc
        .get_mut("hooks")
        .and_then(|h| h.get_mut("state"))
        .and_then(Item::as_table_mut)
    else {
        return;
    };
    let mut removed_any = false;
    for key in keys {
        removed_any |= state.remove(key).is_some();
    }
    for (from, to) in moves {
        if from == to {
            continue;
        }
        if let Some(item) = state.remove(from) {
            state.insert(to, item);
        }
    }
    if !removed_any || !state.is_empty() {
        return;
    }
    let hooks = doc["hooks"].as_table_mut().expect("walked above");
    hooks.remove("state");
    if hooks.is_empty() {
        doc.remove("hooks");
    }
}

/// Whether `[projects."<dir>"] trust_level = "trusted"` is set: Codex loads a project's
/// `.codex/` layer, hooks included, only then.
pub fn project_trusted(doc: &DocumentMut, dir: &str) -> bool {
    doc.get("projects")
        .and_then(|p| p.get(dir))
        .and_then(|p| p.get("trust_level"))
        .and_then(Item::as_str)
        == Some("trusted")
}

pub fn trust_project(doc: &mut DocumentMut, dir: &str) -> Result<(), ConfigError> {
    let projects = table_at(doc, &["projects"])?;
    let project = projects
        .entry(dir)
        .or_insert_with(|| Item::Table(Table::new()));
    let project = project
        .as_table_like_mut()
        .ok_or_else(|| ConfigError(format!("`projects.\"{dir}\"` is not a table")))?;
    project.insert("trust_level", value("trusted"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r#"# my Codex settings
model = "gpt-5.5"   # the good one

[projects."/work/x"]
trust_level = "trusted"

# hooks I trust
[hooks.state."/h/hooks.json:stop:0:0"]
trusted_hash = "sha256:aaaa"
"#;

    fn entry(key: &str, hash: &str) -> TrustEntry {
        TrustEntry {
            key: key.into(),
            hash: hash.into(),
            command: String::new(),
        }
    }

    #[test]
    fn trust_goes_in_and_out_leaving_comments_and_layout() {
        let mut doc = parse(USER).unwrap();
        let ours = [
            entry("/h/hooks.json:pre_tool_use:0:0", "sha256:bbbb"),
            entry("/h/hooks.json:stop:1:0", "sha256:cccc"),
        ];
        set_trust(&mut doc, &ours).unwrap();
        let text = doc.to_string();
        assert!(text.starts_with(USER), "{text}");
        assert_eq!(trusted_hash(&doc, &ours[1].key), Some("sha256:cccc"));
        let keys: Vec<String> = ours.iter().map(|e| e.key.clone()).collect();
        remove_trust(&mut doc, &keys, &[]);
        assert_eq!(doc.to_string(), USER);
    }

    #[test]
    fn a_fresh_file_gets_no_empty_headers_and_loses_them_again() {
        let mut doc = parse("").unwrap();
        set_trust(&mut doc, &[entry("/h/hooks.json:stop:0:0", "sha256:ab")]).unwrap();
        assert_eq!(
            doc.to_string(),
            "[hooks.state.\"/h/hooks.json:stop:0:0\"]\ntrusted_hash = \"sha256:ab\"\n"
        );
        remove_trust(&mut doc, &["/h/hooks.json:stop:0:0".into()], &[]);
        assert_eq!(doc.to_string(), "");
    }

    #[test]
    fn a_user_hook_that_moves_keeps_its_trust() {
        let mut doc = parse(USER).unwrap();
        set_trust(&mut doc, &[entry("/h/hooks.json:stop:0:0", "sha256:ours")]).unwrap();
        // Say the user's hook was at group 1, ours at 0: ours goes, theirs becomes 0.
        let mut doc2 = parse(
            "[hooks.state.\"/h/hooks.json:stop:0:0\"]\ntrusted_hash = \"sha256:ours\"\n\
             [hooks.state.\"/h/hooks.json:stop:1:0\"]\ntrusted_hash = \"sha256:theirs\"\n",
        )
        .unwrap();
        remove_trust(
            &mut doc2,
            &["/h/hooks.json:stop:0:0".into()],
            &[(
                "/h/hooks.json:stop:1:0".into(),
                "/h/hooks.json:stop:0:0".into(),
            )],
        );
        assert_eq!(
            trusted_hash(&doc2, "/h/hooks.json:stop:0:0"),
            Some("sha256:theirs")
        );
        assert_eq!(trusted_hash(&doc2, "/h/hooks.json:stop:1:0"), None);
        assert_eq!(
            trusted_hash(&doc, "/h/hooks.json:stop:0:0"),
            Some("sha256:ours")
        );
    }

    #[test]
    fn project_trust_is_read_and_set() {
        let mut doc = parse(USER).unwrap();
        assert!(project_trusted(&doc, "/work/x"));
        assert!(!project_trusted(&doc, "/work/y"));
        trust_project(&mut doc, "/work/y").unwrap();
        assert!(project_trusted(&doc, "/work/y"));
        // Every line of the user's file is still there, in order.
        let text = doc.to_string();
        let mut lines = text.lines();
        for line in USER.lines() {
            assert!(lines.any(|l| l == line), "{line:?} lost:\n{text}");
        }
    }

    #[test]
    fn hooks_that_is_not_a_table_is_an_error_not_a_panic() {
        let mut doc = parse("hooks = 3\n").unwrap();
        let err = set_trust(&mut doc, &[entry("k", "h")]).unwrap_err();
        assert!(err.0.contains("`hooks` is not a table"), "{err}");
    }
}
