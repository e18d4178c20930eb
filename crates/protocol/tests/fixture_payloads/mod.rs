//! Which files under `tests/fixtures` are captured hook payloads. Shared by the protocol
//! tests and the integration tests (`#[path]`), so the layout is known in one place.

use std::path::{Path, PathBuf};

/// Every captured payload under `fixtures` (the repository's `tests/fixtures`), sorted:
/// (client, event dir, file).
pub fn payload_files(fixtures: &Path) -> Vec<(String, String, PathBuf)> {
    let mut out = Vec::new();
    for client in ["claude", "codex"] {
        for event in std::fs::read_dir(fixtures.join(client)).unwrap() {
            let event = event.unwrap().path();
            let name = event.file_name().unwrap().to_string_lossy().into_owned();
            // _outputs, _meta: evidence, not payloads; schemas: Codex's output schemas.
            if !event.is_dir() || name.starts_with('_') || name == "schemas" {
                continue;
            }
            for file in std::fs::read_dir(&event).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|e| e == "json") {
                    out.push((client.to_owned(), name.clone(), file));
                }
            }
        }
    }
    out.sort();
    out
}
