use std::fmt;

/// A configuration error: which file, where, which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub fn new(
        file: impl Into<String>,
        line: Option<usize>,
        key: Option<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: file.into(),
            line,
            key,
            message: message.into(),
        }
    }

    /// Locates a byte span of `source` as a line number and the dotted key written there.
    pub(crate) fn at_span(
        file: &str,
        source: &str,
        span: Option<std::ops::Range<usize>>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, key) = match span {
            Some(span) => {
                let start = span.start.min(source.len());
                (
                    Some(source[..start].matches('\n').count() + 1),
                    key_at(source, start),
                )
            }
            None => (None, None),
        };
        ConfigError::new(file, line, key, message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config {}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The dotted key whose line holds byte `offset`: the last `[table]` header above it and the
/// bare key before `=` (or the header itself when the offset is on one).
fn key_at(source: &str, offset: usize) -> Option<String> {
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = source[line_start..line_end].trim();
    let header = |l: &str| {
        let l = l.trim();
        l.starts_with('[').then(|| {
            l.trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_owned()
        })
    };
    if let Some(table) = header(line) {
        return Some(table);
    }
    let table = source[..line_start].lines().rev().find_map(header);
    let key = line
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"');
    if key.is_empty() || key.starts_with('#') {
        return table;
    }
    Some(match table {
        Some(t) if !t.is_empty() => format!("{t}.{key}"),
        _ => key.to_owned(),
    })
}
