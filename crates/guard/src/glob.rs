//! Glob patterns for `[scope]`: `*` (within one path component), `**` (any number of
//! components), `?`, `[abc]`, `[!a]` / `[^a]`, `[a-z]`. A pattern without `/` matches a name
//! at any depth (`*.pem` is `**/*.pem`), and a pattern that matches a directory covers
//! everything under it (`.git` covers `.git/config`), as in `.gitignore`.

/// Whether `path` (components separated by `/`, no leading `./`) matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    let pattern = pattern.strip_suffix('/').unwrap_or(pattern);
    let anchored = pattern.contains('/');
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // The path itself, or any directory above it.
    (1..=parts.len()).any(|n| {
        let prefix = &parts[..n];
        if anchored {
            match_components(&pat, prefix)
        } else {
            prefix
                .last()
                .is_some_and(|name| pat.len() == 1 && match_name(pat[0], name))
        }
    })
}

fn match_components(pat: &[&str], parts: &[&str]) -> bool {
    match pat.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|skip| match_components(rest, &parts[skip..])),
        Some((first, rest)) => match parts.split_first() {
            Some((part, tail)) => match_name(first, part) && match_components(rest, tail),
            None => false,
        },
    }
}

/// One component: `*`, `?` and classes; never crosses `/`.
fn match_name(pat: &str, name: &str) -> bool {
    let pat: Vec<char> = pat.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Iterative wildcard matching with one backtrack point: linear in practice.
    let (mut p, mut n) = (0, 0);
    let (mut star_p, mut star_n) = (usize::MAX, 0);
    while n < name.len() {
        if p < pat.len() && pat[p] == '*' {
            star_p = p;
            star_n = n;
            p += 1;
            continue;
        }
        if p < pat.len() {
            if let Some((ok, len)) = match_one(&pat[p..], name[n]) {
                if ok {
                    p += len;
                    n += 1;
                    continue;
                }
            }
        }
        if star_p == usize::MAX {
            return false;
        }
        star_n += 1;
        n = star_n;
        p = star_p + 1;
    }
    pat[p..].iter().all(|c| *c == '*')
}

/// Matches one character against the head of the pattern: (matched, pattern length used).
fn match_one(pat: &[char], c: char) -> Option<(bool, usize)> {
    match pat[0] {
        '?' => Some((true, 1)),
        '[' => {
            let close = pat.iter().skip(2).position(|&x| x == ']').map(|i| i + 2)?;
            let mut body = &pat[1..close];
            let negate = matches!(body.first(), Some('!' | '^'));
            if negate {
                body = &body[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < body.len() {
                if i + 2 < body.len() && body[i + 1] == '-' {
                    hit |= body[i] <= c && c <= body[i + 2];
                    i += 3;
                } else {
                    hit |= body[i] == c;
                    i += 1;
                }
            }
            Some((hit != negate, close + 1))
        }
        '\\' if pat.len() > 1 => Some((pat[1] == c, 2)),
        literal => Some((literal == c, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn anchored_patterns() {
        assert!(matches("src/**", "src/a.rs"));
        assert!(matches("src/**", "src/deep/er/a.rs"));
        assert!(!matches("src/**", "srcx/a.rs"));
        assert!(!matches("src/**", "tests/a.rs"));
        assert!(matches("src/*.rs", "src/a.rs"));
        assert!(!matches("src/*.rs", "src/d/a.rs"));
        assert!(matches("**/*.rs", "a.rs"));
        assert!(matches("**/*.rs", "x/y/a.rs"));
        assert!(matches("./docs/", "docs/readme.md"));
    }

    #[test]
    fn unanchored_patterns_match_names_at_any_depth() {
        assert!(matches("*.pem", "certs/server.pem"));
        assert!(matches(".env", "app/.env"));
        assert!(matches(".git", ".git/config"));
        assert!(!matches("*.pem", "pem/notes.txt"));
        assert!(matches("id_rsa*", "home/.ssh/id_rsa.pub"));
    }

    #[test]
    fn classes_and_question_marks() {
        assert!(matches("file?.txt", "file1.txt"));
        assert!(!matches("file?.txt", "file10.txt"));
        assert!(matches("[a-c]*.md", "b-notes.md"));
        assert!(!matches("[!a-c]*.md", "b-notes.md"));
        assert!(matches("a\\*b", "a*b"));
        assert!(!matches("a\\*b", "axb"));
    }

    #[test]
    fn stars_do_not_cross_slashes() {
        assert!(!matches("src/*.rs", "src/a/b.rs"));
        assert!(matches("src/*", "src/a"));
        assert!(
            matches("src/*", "src/a/b"),
            "but a matching directory covers its contents"
        );
    }
}
