//! A unified diff of two small texts (config files), for `--dry-run`.

/// `--- a` / `+++ b` and `@@` hunks with three lines of context; empty when equal.
pub fn unified(label_a: &str, label_b: &str, a: &str, b: &str) -> String {
    if a == b {
        return String::new();
    }
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let ops = edit_script(&a, &b);
    let mut out = format!("--- {label_a}\n+++ {label_b}\n");
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..ops.len())
        .filter(|&i| !matches!(ops[i], Op::Same(..)))
        .collect();
    let mut i = 0;
    while i < changed.len() {
        // A hunk runs from the first change to the last one within 2×CONTEXT of the next.
        let start = changed[i].saturating_sub(CONTEXT);
        let mut j = i;
        while j + 1 < changed.len() && changed[j + 1] - changed[j] <= 2 * CONTEXT {
            j += 1;
        }
        let end = (changed[j] + CONTEXT + 1).min(ops.len());
        let (a_start, b_start) = position(&ops[..start]);
        let (a_len, b_len) = position(&ops[start..end]);
        out.push_str(&format!(
            "@@ -{},{a_len} +{},{b_len} @@\n",
            a_start + usize::from(a_len > 0),
            b_start + usize::from(b_len > 0)
        ));
        for op in &ops[start..end] {
            match op {
                Op::Same(line) => out.push_str(&format!(" {line}\n")),
                Op::Delete(line) => out.push_str(&format!("-{line}\n")),
                Op::Insert(line) => out.push_str(&format!("+{line}\n")),
            }
        }
        i = j + 1;
    }
    out
}

#[derive(Debug, PartialEq)]
enum Op<'a> {
    Same(&'a str),
    Delete(&'a str),
    Insert(&'a str),
}

/// Lines of `a` and of `b` that `ops` covers.
fn position(ops: &[Op]) -> (usize, usize) {
    ops.iter().fold((0, 0), |(x, y), op| match op {
        Op::Same(_) => (x + 1, y + 1),
        Op::Delete(_) => (x + 1, y),
        Op::Insert(_) => (x, y + 1),
    })
}

/// A shortest edit script by longest common subsequence, after trimming the common head and
/// tail (an install changes one region of a file).
fn edit_script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops: Vec<Op> = a[..head].iter().map(|l| Op::Same(l)).collect();
    if mid_a.len().saturating_mul(mid_b.len()) > 4_000_000 {
        // Too big to align cheaply: all of one, then all of the other.
        ops.extend(mid_a.iter().map(|l| Op::Delete(l)));
        ops.extend(mid_b.iter().map(|l| Op::Insert(l)));
    } else {
        let (n, m) = (mid_a.len(), mid_b.len());
        let mut lcs = vec![0u32; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * (m + 1) + j] = if mid_a[i] == mid_b[j] {
                    lcs[(i + 1) * (m + 1) + j + 1] + 1
                } else {
                    lcs[(i + 1) * (m + 1) + j].max(lcs[i * (m + 1) + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && mid_a[i] == mid_b[j] {
                ops.push(Op::Same(mid_a[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1]) {
                // Deletions before insertions, as diff(1) prints them.
                ops.push(Op::Delete(mid_a[i]));
                i += 1;
            } else {
                ops.push(Op::Insert(mid_b[j]));
                j += 1;
            }
        }
    }
    ops.extend(a[a.len() - tail..].iter().map(|l| Op::Same(l)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a", "b", "x\ny\n", "x\ny\n"), "");
    }

    #[test]
    fn an_insertion_shows_with_context_and_line_numbers() {
        let a = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let b = "1\n2\n3\n4\n5\nnew\n6\n7\n8\n";
        assert_eq!(
            unified("a/f", "b/f", a, b),
            "--- a/f\n+++ b/f\n@@ -3,6 +3,7 @@\n 3\n 4\n 5\n+new\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn a_new_file_is_all_insertions() {
        assert_eq!(
            unified("/dev/null", "b/f", "", "x\ny\n"),
            "--- /dev/null\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks() {
        let a: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let b: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_owned(),
                19 => "nineteen\n".to_owned(),
                i => format!("{i}\n"),
            })
            .collect();
        let d = unified("a", "b", &a, &b);
        assert_eq!(d.matches("@@ -").count(), 2, "{d}");
        assert!(
            d.contains("\n-2\n+two\n") && d.contains("\n-19\n+nineteen\n"),
            "{d}"
        );
    }
}
