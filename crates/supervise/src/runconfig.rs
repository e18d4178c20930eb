//! The run-scoped selfheal configuration the hooks read through `SELFHEAL_CONFIG`: the user's
//! own `$SELFHEAL_CONFIG` (if any) with the run's `[scope] allow` and `[verify] commands` set
//! on top. Everything below it (profile, user config, project `.selfheal.toml`) still applies
//! as usual.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use toml_edit::{value, Array, DocumentMut, Item, Table};

/// One verify command line as the config's argv form: run by `sh -c`.
pub fn shell_argv(command: &str) -> Vec<String> {
    vec!["sh".to_owned(), "-c".to_owned(), command.to_owned()]
}

/// Writes the config to `path`. `verify`: `Some` sets `[verify] commands` (an empty list
/// clears the lower layers' criteria: planning and subtasks cannot meet the whole goal);
/// `None` leaves them as configured.
pub fn write(
    path: &Path,
    base: Option<&Path>,
    scope: &[String],
    verify: Option<&[Vec<String>]>,
) -> Result<PathBuf> {
    let mut doc = match base {
        Some(base) => {
            let text = std::fs::read_to_string(base)
                .with_context(|| format!("reading SELFHEAL_CONFIG {}", base.display()))?;
            let mut doc: DocumentMut = text
                .parse()
                .with_context(|| format!("parsing SELFHEAL_CONFIG {}", base.display()))?;
            absolutize_schemas(&mut doc, base.parent().unwrap_or(Path::new("/")));
            doc
        }
        None => DocumentMut::new(),
    };
    if !scope.is_empty() {
        let table = table(&mut doc, "scope");
        table["allow"] = value(strings(scope));
    }
    if let Some(commands) = verify {
        let table = table(&mut doc, "verify");
        let mut list = Array::new();
        for argv in commands {
            list.push(strings(argv));
        }
        table["commands"] = value(list);
    }
    let text = format!(
        "# Written by `selfheal run` for one run; the hooks read it through SELFHEAL_CONFIG.\n{doc}"
    );
    crate::private::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path.to_path_buf())
}

fn table<'a>(doc: &'a mut DocumentMut, name: &str) -> &'a mut Table {
    if !doc.contains_table(name) {
        doc[name] = Item::Table(Table::new());
    }
    doc[name].as_table_mut().expect("a table")
}

fn strings(items: &[String]) -> Array {
    let mut a = Array::new();
    for s in items {
        a.push(s.as_str());
    }
    a
}

/// `[mcp.schemas]` paths are relative to the file that names them: the copy lives elsewhere.
fn absolutize_schemas(doc: &mut DocumentMut, dir: &Path) {
    let Some(schemas) = doc
        .get_mut("mcp")
        .and_then(|m| m.get_mut("schemas"))
        .and_then(Item::as_table_like_mut)
    else {
        return;
    };
    for (_, item) in schemas.iter_mut() {
        if let Some(p) = item.as_str().filter(|p| !Path::new(p).is_absolute()) {
            let abs = dir.join(p).display().to_string();
            *item = value(abs);
        }
    }
}

#[cfg(test)]
mod tests {
    use selfheal_config::Config;

    use super::*;

    #[test]
    fn scope_and_verify_on_top_of_the_users_file() {
        let dir = std::env::temp_dir().join(format!("selfheal-runconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = dir.join("mine.toml");
        std::fs::write(
            &base,
            "# mine\n[budget]\nretries = 2\n[verify]\ntimeout_secs = 9\n\
             [mcp.schemas]\n\"mcp__a__b\" = \"s/b.json\"\n",
        )
        .unwrap();
        let out = write(
            &dir.join("run.toml"),
            Some(&base),
            &["src/**".into()],
            Some(&[shell_argv("test -f done && echo ok")]),
        )
        .unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        let config = Config::from_sources(&[("run", &text)]).unwrap();
        assert_eq!(config.scope_allow, ["src/**"]);
        assert_eq!(
            config.verify_commands,
            [vec!["sh", "-c", "test -f done && echo ok"]]
        );
        assert_eq!(config.verify_timeout_secs, 9);
        assert_eq!(
            config.mcp_schemas["mcp__a__b"],
            dir.join("s/b.json"),
            "{text}"
        );
        let cleared = write(&dir.join("part.toml"), None, &[], Some(&[])).unwrap();
        let text = std::fs::read_to_string(cleared).unwrap();
        let config =
            Config::from_sources(&[("low", "[verify]\ncommands = [\"x\"]"), ("part", &text)])
                .unwrap();
        assert!(config.verify_commands.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
