//! Which project `.selfheal.toml` files may make selfheal run commands. A project file comes
//! with the repository, and its `[verify] commands`, `[escalate] command` and
//! `[[patch.checks]]` would run outside the client's sandbox and approval, whatever a cloned
//! repository says. So they run only once the user has trusted the file as it is
//! (`selfheal trust`): the trust file records the file's path and the SHA-256 of its bytes, and
//! any edit lapses the trust, as direnv's `allow` does. Every other key applies without trust:
//! it steers selfheal and runs nothing.

use std::collections::BTreeMap;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::ConfigError;

/// The trust file's name, in selfheal's user config directory.
pub const FILE_NAME: &str = "trusted.toml";

/// The keys of a project file that run commands, as the user reads them.
pub const COMMAND_KEYS: [&str; 3] = [
    "[verify] commands",
    "[escalate] command",
    "[[patch.checks]]",
];

/// `[projects]`: the path of each trusted `.selfheal.toml` → `"sha256:<hex>"` of its bytes.
#[derive(Debug, Default, Deserialize)]
struct TrustFile {
    #[serde(default)]
    projects: BTreeMap<String, String>,
}

/// A project file whose commands were left out because it is not trusted as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    pub file: PathBuf,
    /// Of [`COMMAND_KEYS`], those the file sets.
    pub keys: Vec<&'static str>,
}

impl Untrusted {
    /// One line for stderr or doctor: what was left out and how to allow it.
    pub fn message(&self) -> String {
        format!(
            "{} sets {}, which selfheal runs only for a project file you trust as it is (new \
             or edited since): review it, then run `{}`",
            self.file.display(),
            self.keys.join(" and "),
            self.trust_command()
        )
    }

    /// The command that trusts the file: `selfheal trust <its directory>`.
    pub fn trust_command(&self) -> String {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        format!("selfheal trust {}", dir.display())
    }

    /// Whether `key` (one of [`COMMAND_KEYS`]) was left out.
    pub fn left_out(&self, key: &str) -> bool {
        self.keys.contains(&key)
    }
}

/// `"sha256:<hex>"` of a file's bytes.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// How a project file is named in the trust file: its canonical path, so that a symlink or a
/// relative path names the same file (the path as given if it cannot be resolved).
fn key(project_file: &Path) -> String {
    std::fs::canonicalize(project_file)
        .unwrap_or_else(|_| project_file.to_path_buf())
        .display()
        .to_string()
}

/// Whether `project_file`, whose bytes are `bytes`, is trusted as it is. A missing, unreadable
/// or broken trust file trusts nothing.
pub fn is_trusted(trust_file: &Path, project_file: &Path, bytes: &[u8]) -> bool {
    read(trust_file)
        .ok()
        .and_then(|t| t.projects.get(&key(project_file)).cloned())
        .is_some_and(|d| d == digest(bytes))
}

/// Records `project_file` as trusted while its bytes are `bytes` (as the user reviewed them);
/// returns their digest.
pub fn trust(trust_file: &Path, project_file: &Path, bytes: &[u8]) -> Result<String, ConfigError> {
    let d = digest(bytes);
    update(trust_file, |projects| {
        projects.insert(key(project_file), d.clone());
    })?;
    Ok(d)
}

/// Forgets `project_file`; whether it was trusted.
pub fn revoke(trust_file: &Path, project_file: &Path) -> Result<bool, ConfigError> {
    let mut was = false;
    update(trust_file, |projects| {
        was = projects.remove(&key(project_file)).is_some();
    })?;
    Ok(was)
}

fn io(path: &Path, what: &str, e: std::io::Error) -> ConfigError {
    ConfigError::new(
        path.display().to_string(),
        None,
        None,
        format!("{what}: {e}"),
    )
}

fn read(trust_file: &Path) -> Result<TrustFile, ConfigError> {
    let text = match std::fs::read_to_string(trust_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustFile::default()),
        Err(e) => return Err(io(trust_file, "cannot read", e)),
    };
    toml::from_str(&text).map_err(|e| {
        ConfigError::at_span(
            &trust_file.display().to_string(),
            &text,
            e.span(),
            e.message().trim(),
        )
    })
}

/// Read, change, write back whole (a new file renamed over the old), under a lock, so that two
/// `selfheal trust` at once lose neither's entry.
fn update(
    trust_file: &Path,
    change: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<(), ConfigError> {
    let dir = trust_file.parent().unwrap_or(Path::new("."));
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io(dir, "cannot create", e))?;
    let lock_path = trust_file.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| io(&lock_path, "cannot open", e))?;
    lock.lock().map_err(|e| io(&lock_path, "cannot lock", e))?;
    let mut file = read(trust_file)?;
    change(&mut file.projects);
    let mut text = String::from(
        "# Project .selfheal.toml files whose commands selfheal runs, each as it was when \
         trusted\n# (`selfheal trust DIR`). Written by selfheal.\n[projects]\n",
    );
    for (path, digest) in &file.projects {
        text.push_str(&format!("{} = {}\n", quoted(path), quoted(digest)));
    }
    let tmp = trust_file.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| {
        let mut f: File = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, trust_file)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(trust_file, "cannot write", e));
    }
    Ok(())
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("selfheal-trust-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_is_trusted_as_it_was_until_edited_or_revoked() {
        let dir = scratch("edit");
        let trust_file = dir.join("config/selfheal").join(FILE_NAME);
        // A path with what TOML must quote.
        let project = dir.join("my \"odd\" \\ project");
        std::fs::create_dir_all(&project).unwrap();
        let file = project.join(".selfheal.toml");
        std::fs::write(&file, "[verify]\ncommands = [\"make\"]\n").unwrap();
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !is_trusted(&trust_file, &file, &bytes),
            "nothing trusted yet"
        );

        let d = trust(&trust_file, &file, &bytes).unwrap();
        assert_eq!(d, digest(&bytes));
        assert!(is_trusted(&trust_file, &file, &bytes));
        // The same file through a symlinked directory.
        std::os::unix::fs::symlink(&project, dir.join("link")).unwrap();
        assert!(is_trusted(
            &trust_file,
            &dir.join("link/.selfheal.toml"),
            &bytes
        ));
        // Other bytes: not trusted.
        assert!(!is_trusted(
            &trust_file,
            &file,
            b"[verify]\ncommands = [\"rm\"]\n"
        ));

        assert!(revoke(&trust_file, &file).unwrap());
        assert!(!is_trusted(&trust_file, &file, &bytes));
        assert!(!revoke(&trust_file, &file).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_broken_trust_file_trusts_nothing_and_trusting_says_why() {
        let dir = scratch("broken");
        let trust_file = dir.join(FILE_NAME);
        let file = dir.join(".selfheal.toml");
        std::fs::write(&file, "[escalate]\ncommand = \"x\"\n").unwrap();
        let bytes = std::fs::read(&file).unwrap();
        std::fs::write(&trust_file, format!("[projects\n{:?} = 1\n", key(&file))).unwrap();
        assert!(!is_trusted(&trust_file, &file, &bytes));
        let e = trust(&trust_file, &file, &bytes).unwrap_err();
        assert_eq!(e.file, trust_file.display().to_string());
        assert_eq!(e.line, Some(1));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn entries_of_other_projects_are_kept() {
        let dir = scratch("keep");
        let trust_file = dir.join(FILE_NAME);
        let files: Vec<PathBuf> = (0..3).map(|i| dir.join(format!("p{i}.toml"))).collect();
        for f in &files {
            std::fs::write(f, f.display().to_string()).unwrap();
            trust(&trust_file, f, &std::fs::read(f).unwrap()).unwrap();
        }
        revoke(&trust_file, &files[1]).unwrap();
        let trusted: Vec<bool> = files
            .iter()
            .map(|f| is_trusted(&trust_file, f, &std::fs::read(f).unwrap()))
            .collect();
        assert_eq!(trusted, [true, false, true]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
