//! What this session has seen of each file: a content hash per path, recorded after a read or
//! an edit, so that a later edit can tell "changed by someone else since" (F5) from the
//! session's own change.

use std::path::{Path, PathBuf};

use selfheal_protocol::{ToolArgs, ToolCall, ToolKind};
use selfheal_state::{StateError, Tx};
use sha2::{Digest, Sha256};

use crate::Context;

/// The hash of a file's current content; `None` when it cannot be read (missing, a directory).
pub fn content_hash(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let digest = Sha256::digest(&bytes);
    Some(digest[..16].iter().map(|b| format!("{b:02x}")).collect())
}

/// An absolute path for a path as the call wrote it, relative to the session's cwd.
pub fn absolute(ctx: &Context, raw: &str) -> PathBuf {
    let path = Path::new(raw);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match ctx.input.cwd.as_deref() {
        Some(cwd) => Path::new(cwd).join(path),
        None => path.to_path_buf(),
    }
}

/// The files a successful call read or wrote, as the client reported them.
pub fn files_touched(call: &ToolCall<'_>) -> Vec<String> {
    match (call.kind, call.args()) {
        (ToolKind::Read, ToolArgs::Read { file_path }) if !file_path.is_empty() => {
            vec![file_path.to_owned()]
        }
        (ToolKind::Edit, ToolArgs::Edit { file_path, .. })
        | (ToolKind::Write, ToolArgs::Write { file_path, .. })
            if !file_path.is_empty() =>
        {
            vec![file_path.to_owned()]
        }
        (ToolKind::Patch, ToolArgs::Patch { patch }) => selfheal_patch::parse(patch)
            .map(|p| p.paths().into_iter().map(str::to_owned).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Records the current hash of every file a successful call touched.
pub fn record_seen(
    tx: &Tx<'_>,
    ctx: &Context,
    call: &ToolCall<'_>,
    event_id: Option<i64>,
) -> Result<(), StateError> {
    if call.outcome.as_ref().and_then(|o| o.failed()) == Some(true) {
        return Ok(());
    }
    let key = ctx.session_key();
    for raw in files_touched(call) {
        let path = absolute(ctx, &raw);
        let hash = content_hash(&path);
        tx.record_file_seen(&key, &path.to_string_lossy(), hash.as_deref(), event_id)?;
    }
    Ok(())
}
