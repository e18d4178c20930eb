//! How alike two attempts are: a cheap, explainable measure. Each text is normalised (lower
//! case; runs of digits become `0` and long hex ids `#`, so timings, counters and session ids
//! do not count as difference), cut into word tokens, and compared as sets of 3-token shingles
//! (Jaccard: shared shingles / all shingles). Texts of fewer than three tokens compare by
//! their tokens. Two empty texts are identical.

use std::collections::HashSet;

/// Attempts at least this similar are the same attempt again: a loop.
pub const LOOP_THRESHOLD: f64 = 0.85;

/// The word tokens of `text`, normalised.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(normalise)
        .collect()
}

fn normalise(word: &str) -> String {
    let lower = word.to_lowercase();
    let hexish = lower.len() >= 8
        && lower.chars().all(|c| c.is_ascii_hexdigit() || c == '_')
        && lower.chars().any(|c| c.is_ascii_digit());
    if hexish {
        return "#".to_owned();
    }
    let mut out = String::with_capacity(lower.len());
    let mut in_digits = false;
    for c in lower.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}

fn shingles(tokens: &[String]) -> HashSet<String> {
    if tokens.len() < 3 {
        return tokens.iter().cloned().collect();
    }
    tokens.windows(3).map(|w| w.join(" ")).collect()
}

/// Jaccard similarity of the two texts' shingle sets, 0.0 ..= 1.0.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (shingles(&tokens(a)), shingles(&tokens(b)));
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = a.intersection(&b).count();
    let all = a.union(&b).count();
    shared as f64 / all as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_are_one_and_disjoint_zero() {
        let t = "ran cargo test: 3 tests failed in parser::tests";
        assert_eq!(similarity(t, t), 1.0);
        assert_eq!(similarity("alpha beta gamma", "delta epsilon zeta"), 0.0);
        assert_eq!(similarity("", ""), 1.0);
        assert_eq!(similarity("", "something here now"), 0.0);
    }

    #[test]
    fn numbers_timings_and_ids_do_not_count() {
        let a = "session 3f2a9c81d0e4 took 1.23s, 4 tests failed at 10:41:07";
        let b = "session 77aa00bc12ef took 9.87s, 5 tests failed at 11:02:55";
        assert_eq!(similarity(a, b), 1.0);
        assert_eq!(similarity("DONE Fixed", "done fixed"), 1.0);
    }

    #[test]
    fn the_threshold_separates_a_rerun_from_a_new_approach() {
        let base = "I edited src/parse.rs to handle empty input, ran cargo test, \
                    the test parse_empty still fails with index out of bounds at line 42. \
                    I could not find the cause.";
        let rerun = "I edited src/parse.rs to handle empty input, ran cargo test, \
                     the test parse_empty still fails with index out of bounds at line 43. \
                     I could not find the cause!";
        let other = "I rewrote the tokenizer in src/lex.rs to return an empty vector, \
                     added a guard in main.rs, and ran the whole suite: two other tests fail.";
        assert!(similarity(base, rerun) >= LOOP_THRESHOLD);
        assert!(similarity(base, other) < LOOP_THRESHOLD);
        // A small change in a long text stays above; one word in a short text does not.
        assert!(similarity("create a.txt now please", "create b.txt now please") < LOOP_THRESHOLD);
    }
}
