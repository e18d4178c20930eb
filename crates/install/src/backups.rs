//! A copy of every file install or uninstall touches, taken before it is changed, kept in
//! selfheal's state directory (not beside the user's file, where it could end up committed).
//! A file that did not exist is recorded as such, so uninstall knows to remove it again.
//! A client's settings may hold API keys: backups are 0600 in a 0700 directory.

use std::fs;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

pub struct Backups {
    dir: PathBuf,
}

/// What a file held before a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backup {
    Absent,
    Content(String),
}

impl Backups {
    pub fn new(dir: impl Into<PathBuf>) -> Backups {
        Backups { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<16 hex of sha256(path)>-<file name>.`: every backup of one file starts with it.
    fn prefix(path: &Path) -> String {
        let digest = Sha256::digest(path.to_string_lossy().as_bytes());
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        format!("{hex}-{name}.")
    }

    /// Records what `path` holds now; returns the backup's own path.
    pub fn save(&self, path: &Path, before: &Backup) -> std::io::Result<PathBuf> {
        // The state directory too, when install runs before any hook created it.
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let (ext, content) = match before {
            Backup::Absent => ("absent", ""),
            Backup::Content(text) => ("bak", text.as_str()),
        };
        // Same millisecond twice (install then uninstall in a script): a counter keeps order.
        for n in 0.. {
            let stem = format!("{}{stamp:013}-{n:03}", Self::prefix(path));
            // One counter for both kinds, so that the names sort in the order they were made.
            if ["bak", "absent"]
                .iter()
                .any(|e| self.dir.join(format!("{stem}.{e}")).exists())
            {
                continue;
            }
            let target = self.dir.join(format!("{stem}.{ext}"));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&target)
            {
                Ok(mut file) => {
                    std::io::Write::write_all(&mut file, content.as_bytes())?;
                    file.sync_all()?;
                    return Ok(target);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        unreachable!("the counter is unbounded")
    }

    /// The most recent backup of `path`.
    pub fn latest(&self, path: &Path) -> std::io::Result<Option<(PathBuf, Backup)>> {
        let prefix = Self::prefix(path);
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&prefix))
            .collect();
        names.sort();
        let Some(name) = names.pop() else {
            return Ok(None);
        };
        let file = self.dir.join(&name);
        let backup = if name.ends_with(".absent") {
            Backup::Absent
        } else {
            Backup::Content(fs::read_to_string(&file)?)
        };
        Ok(Some((file, backup)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_backup_of_a_file_is_found_and_others_are_not_mixed_in() {
        let dir = std::env::temp_dir().join(format!("selfheal-backups-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let backups = Backups::new(&dir);
        let a = Path::new("/p/.claude/settings.json");
        let b = Path::new("/q/.claude/settings.json");
        assert_eq!(backups.latest(a).unwrap(), None);
        backups.save(a, &Backup::Absent).unwrap();
        backups.save(b, &Backup::Content("b".into())).unwrap();
        backups.save(a, &Backup::Content("{}".into())).unwrap();
        assert_eq!(
            backups.latest(a).unwrap().unwrap().1,
            Backup::Content("{}".into())
        );
        assert_eq!(
            backups.latest(b).unwrap().unwrap().1,
            Backup::Content("b".into())
        );
        backups.save(a, &Backup::Absent).unwrap();
        assert_eq!(backups.latest(a).unwrap().unwrap().1, Backup::Absent);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn backups_are_private_and_so_is_the_directory_they_create() {
        use std::os::unix::fs::PermissionsExt;
        let base =
            std::env::temp_dir().join(format!("selfheal-backups-mode-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let backups = Backups::new(base.join("state/backups"));
        let saved = backups
            .save(
                Path::new("/p/settings.json"),
                &Backup::Content("{\"key\": 1}".into()),
            )
            .unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&base.join("state")), 0o700);
        assert_eq!(mode(backups.dir()), 0o700);
        assert_eq!(mode(&saved), 0o600);
        let _ = fs::remove_dir_all(&base);
    }
}
