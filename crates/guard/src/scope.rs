//! `[scope]`: which paths a tool may write. Every path is resolved the way the OS would —
//! relative to the call's working directory, `~` expanded, `.`/`..` folded, symlinks followed
//! as far as the path exists — before it is compared, so that no spelling slips past.

use std::path::{Component, Path, PathBuf};

use crate::glob;

pub struct Scope<'a> {
    allow: &'a [String],
    deny: &'a [String],
    /// The project root, symlinks resolved.
    root: PathBuf,
    home: Option<PathBuf>,
}

impl<'a> Scope<'a> {
    pub fn new(
        allow: &'a [String],
        deny: &'a [String],
        root: &Path,
        home: Option<PathBuf>,
    ) -> Scope<'a> {
        Scope {
            allow,
            deny,
            root: resolve_existing(root),
            home,
        }
    }

    pub fn configured(&self) -> bool {
        !self.allow.is_empty() || !self.deny.is_empty()
    }

    /// `Err(reason)` when writing `raw` (as written in the call, relative to `cwd`) is out of
    /// scope.
    pub fn check(&self, raw: &str, cwd: &Path) -> Result<(), String> {
        if !self.configured() {
            return Ok(());
        }
        let path = self.resolve(raw, cwd)?;
        let relative = path.strip_prefix(&self.root).ok();
        let shown = match relative {
            Some(rel) if rel.as_os_str().is_empty() => ".".to_owned(),
            Some(rel) => rel.display().to_string(),
            None => path.display().to_string(),
        };
        let rel_str = relative.map(|r| r.to_string_lossy().into_owned());
        let hit = |pattern: &String| self.pattern_matches(pattern, rel_str.as_deref(), &path);
        if let Some(pattern) = self.deny.iter().find(|p| hit(p)) {
            return Err(format!(
                "{shown} is out of scope: [scope] deny has \"{pattern}\""
            ));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(hit) {
            let place = match relative {
                Some(_) => shown,
                None => format!("{shown} (outside the project {})", self.root.display()),
            };
            return Err(format!(
                "{place} is out of scope: [scope] allow is [{}]",
                self.allow
                    .iter()
                    .map(|p| format!("\"{p}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(())
    }

    /// Patterns starting with `/` or `~/` match absolute paths; others match paths relative to
    /// the project root (never a path outside it).
    fn pattern_matches(&self, pattern: &str, relative: Option<&str>, absolute: &Path) -> bool {
        let expanded;
        let pattern = match (pattern.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => {
                expanded = format!("{}/{rest}", home.display());
                expanded.as_str()
            }
            _ => pattern,
        };
        match pattern.strip_prefix('/') {
            Some(abs) => glob::matches(abs, &absolute.to_string_lossy()[1..]),
            None => relative.is_some_and(|rel| !rel.is_empty() && glob::matches(pattern, rel)),
        }
    }

    fn resolve(&self, raw: &str, cwd: &Path) -> Result<PathBuf, String> {
        if raw.contains('$') || raw.contains('`') {
            return Err(format!(
                "the write target {raw} is built from a variable or command, which [scope] cannot \
                 check: write to a literal path"
            ));
        }
        // Read backslashes as separators too: `src\..\..\x` must not pass as one odd name.
        let raw = raw.replace('\\', "/");
        let path = if raw == "~" || raw.starts_with("~/") {
            let home = self
                .home
                .clone()
                .ok_or_else(|| format!("{raw}: HOME is not set, so ~ cannot be checked"))?;
            home.join(raw.trim_start_matches('~').trim_start_matches('/'))
        } else if raw.starts_with('~') {
            return Err(format!(
                "{raw}: ~user paths are not checked by [scope]; write to a literal path"
            ));
        } else {
            cwd.join(&raw)
        };
        Ok(resolve_existing(&normalize(&path)))
    }
}

/// Folds `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// Follows symlinks in the longest part of `path` that exists; the rest is appended as is.
fn resolve_existing(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for name in rest.iter().rev() {
                out.push(name);
            }
            // A symlink may point at `..`: fold again.
            return normalize(&out);
        }
        match (
            existing.file_name().map(|n| n.to_owned()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return normalize(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tmp(PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn project(name: &str) -> Tmp {
        let dir =
            std::env::temp_dir().join(format!("selfheal-scope-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/sub")).unwrap();
        std::fs::create_dir_all(dir.join("docs")).unwrap();
        Tmp(dir)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn allow_list_and_spellings_that_try_to_leave_it() {
        let p = project("allow");
        let allow = strings(&["src/**"]);
        let scope = Scope::new(&allow, &[], &p.0, Some("/home/u".into()));
        let root = &p.0;
        assert!(scope.check("src/a.rs", root).is_ok());
        assert!(scope.check("a.rs", &root.join("src/sub")).is_ok());
        assert!(scope
            .check(&root.join("src/new/x.rs").display().to_string(), root)
            .is_ok());
        for bad in [
            "docs/a.md",
            "src/../docs/a.md",
            "./src/../../outside.txt",
            "/etc/passwd",
            "~/.bashrc",
            "src\\..\\docs\\a.md",
            "$HOME/x",
            "src/`echo x`",
        ] {
            assert!(scope.check(bad, root).is_err(), "{bad} passed");
        }
        let reason = scope.check("docs/a.md", root).unwrap_err();
        assert!(reason.contains("docs/a.md is out of scope"), "{reason}");
        assert!(reason.contains("\"src/**\""), "{reason}");
    }

    #[test]
    fn a_symlink_that_leaves_the_tree_is_followed() {
        let p = project("symlink");
        let outside = p.0.join("../selfheal-scope-outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, p.0.join("src/link")).unwrap();
        let allow = strings(&["src/**"]);
        let scope = Scope::new(&allow, &[], &p.0, None);
        let reason = scope.check("src/link/escape.txt", &p.0).unwrap_err();
        assert!(reason.contains("outside the project"), "{reason}");
        std::fs::remove_dir_all(outside).unwrap();
    }

    #[test]
    fn deny_wins_and_matches_names_anywhere() {
        let p = project("deny");
        let deny = strings(&[".git/**", "*.pem", "~/.ssh/**", "/etc/**"]);
        let scope = Scope::new(&[], &deny, &p.0, Some("/home/u".into()));
        assert!(scope.check("src/a.rs", &p.0).is_ok());
        assert!(
            scope.check("/tmp/elsewhere.txt", &p.0).is_ok(),
            "no allow list: outside is fine"
        );
        assert!(scope.check(".git/config", &p.0).is_err());
        assert!(scope.check("src/../.git/HEAD", &p.0).is_err());
        assert!(scope.check("certs/k.pem", &p.0).is_err());
        assert!(scope.check("~/.ssh/authorized_keys", &p.0).is_err());
        assert!(scope.check("/etc/hosts", &p.0).is_err());
    }

    #[test]
    fn unconfigured_scope_allows_everything() {
        let scope = Scope::new(&[], &[], Path::new("/p"), None);
        assert!(scope.check("$X/../../etc/passwd", Path::new("/p")).is_ok());
    }
}
