//! Small text helpers shared by the checks.

/// Non-overlapping occurrences of `needle` (not empty) in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    if needle.is_empty() {
        return 0;
    }
    hay.matches(needle).count()
}

/// The same text, or the same but for line endings, trailing white space and quote style
/// (what editors, Claude's quote matching and formatters change without changing the content).
pub fn same_text(a: &str, b: &str) -> bool {
    a == b || normalise(a).eq(normalise(b))
}

fn normalise(text: &str) -> impl Iterator<Item = char> + '_ {
    text.trim_end()
        .lines()
        .flat_map(|line| line.trim_end().chars().chain(std::iter::once('\n')))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
}

/// The first line (1-based) where `now` and `expected` differ, ignoring trailing white space,
/// with the line found and the line expected there (`None`: past the end).
pub fn lines_differ<'a>(
    now: &'a str,
    expected: &'a str,
) -> Option<(usize, Option<&'a str>, Option<&'a str>)> {
    let mut a = now.lines();
    let mut b = expected.lines();
    let mut n = 0;
    loop {
        n += 1;
        match (a.next(), b.next()) {
            (None, None) => return None,
            (x, y) if x.map(str::trim_end) == y.map(str::trim_end) => continue,
            (x, y) => return Some((n, x, y)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_forgives_endings_trailing_space_and_quotes_only() {
        assert!(same_text("a\r\nb  \n", "a\nb"));
        assert!(same_text("say \u{201c}hi\u{201d}\n", "say \"hi\"\n"));
        assert!(!same_text("a\nb\n", "a\nc\n"));
        assert!(!same_text("a b\n", "ab\n"));
    }

    #[test]
    fn first_difference_names_the_line() {
        assert_eq!(
            lines_differ("a\nb\n", "a\nc\n"),
            Some((2, Some("b"), Some("c")))
        );
        assert_eq!(lines_differ("a\n", "a\nb\n"), Some((2, None, Some("b"))));
        assert_eq!(lines_differ("a \n", "a\n"), None);
        assert_eq!(count("xaxax", "x"), 3);
        assert_eq!(count("abc", ""), 0);
    }
}
