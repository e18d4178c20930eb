use std::path::PathBuf;

use crate::StateError;

/// `$SELFHEAL_DB`, else `$XDG_STATE_HOME/selfheal/state.db`, else
/// `~/.local/state/selfheal/state.db`.
pub fn default_db_path(env: impl Fn(&str) -> Option<String>) -> Result<PathBuf, StateError> {
    let set = |key: &str| env(key).filter(|v| !v.is_empty());
    if let Some(db) = set("SELFHEAL_DB") {
        return Ok(PathBuf::from(db));
    }
    let state_home = match set("XDG_STATE_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(set("HOME").ok_or(StateError::NoPath)?).join(".local/state"),
    };
    Ok(state_home.join("selfheal").join("state.db"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn precedence() {
        let all = [
            ("SELFHEAL_DB", "/x.db"),
            ("XDG_STATE_HOME", "/s"),
            ("HOME", "/h"),
        ];
        assert_eq!(default_db_path(env(&all)).unwrap(), PathBuf::from("/x.db"));
        assert_eq!(
            default_db_path(env(&all[1..])).unwrap(),
            PathBuf::from("/s/selfheal/state.db")
        );
        assert_eq!(
            default_db_path(env(&all[2..])).unwrap(),
            PathBuf::from("/h/.local/state/selfheal/state.db")
        );
        assert!(matches!(default_db_path(env(&[])), Err(StateError::NoPath)));
    }
}
