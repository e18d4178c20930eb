//! A run's directory holds what the agent was told and printed (prompts, logs: secrets,
//! maybe) and the run's config: private to the user, like the state database beside it.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and any missing parent, each 0700; an existing one is left as it is.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates or truncates `path`; a new file is 0600.
pub fn create(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    create(path)?.write_all(bytes.as_ref())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    #[test]
    fn what_a_run_writes_is_private() {
        let base = std::env::temp_dir().join(format!("selfheal-private-{}", std::process::id()));
        let dir = base.join("runs/1");
        super::create_dir(&dir).unwrap();
        super::write(&dir.join("report.json"), "{}").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&base), 0o700);
        assert_eq!(mode(&base.join("runs")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("report.json")), 0o600);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
