//! Never panic, never loop, stay fast: random and hostile command lines.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use selfheal_shell::{heredoc_writes, interactive, is_blank, is_read_only, write_targets};

fn run_all(s: &str) {
    let _ = interactive(s);
    let _ = write_targets(s);
    let _ = is_read_only(s);
    let _ = heredoc_writes(s);
    let _ = is_blank(s);
}

/// Pieces of shell syntax, glued at random.
const ATOMS: &[&str] = &[
    "vim",
    "git",
    "commit",
    "-m",
    "-i",
    "-c",
    "-e",
    "-p",
    "'",
    "\"",
    "\\",
    "$(",
    ")",
    "`",
    "(",
    "{",
    "}",
    ";",
    "&&",
    "||",
    "|",
    "|&",
    "&",
    "<<",
    "<<-",
    "EOF",
    "'EOF'",
    "\n",
    " ",
    " ",
    "\t",
    ">",
    ">>",
    "2>&1",
    ">&",
    "&>",
    "<",
    "<<<",
    "<>",
    "$'",
    "$\"",
    "${",
    "$((",
    "#",
    "if",
    "then",
    "elif",
    "else",
    "fi",
    "do",
    "done",
    "for",
    "while",
    "until",
    "select",
    "case",
    "in",
    "esac",
    ";;",
    ";&",
    "[[",
    "]]",
    "((",
    "))",
    "=",
    "A=1",
    "a=(",
    "@(",
    "sudo",
    "env",
    "xargs",
    "timeout",
    "10",
    "bash",
    "sh",
    "eval",
    "tee",
    "sed",
    "perl",
    "rm",
    "mv",
    "cp",
    "find",
    "-delete",
    "-exec",
    "\0",
    "é",
    "\u{1F600}",
    "read",
    "cat",
    "python3",
    "-",
    "--",
    "f()",
    "function",
    "ssh",
    "less",
    "man",
    "tail",
    "-f",
    "x",
    "file.txt",
    "\\\n",
    "\r\n",
    "<(",
    ">(",
    "npm",
    "init",
    "top",
    "watch",
    "jq",
    "awk",
    "BEGIN{",
    "~",
    "*",
    "!",
    "--in-place=",
];

fn shellish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ATOMS), 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4000,
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn shell_like_input_never_panics(s in shellish()) {
        run_all(&s);
    }

    #[test]
    fn any_string_never_panics(s in any::<String>()) {
        run_all(&s);
    }

    #[test]
    fn any_bytes_as_lossy_text_never_panic(b in prop::collection::vec(any::<u8>(), 0..400)) {
        run_all(&String::from_utf8_lossy(&b));
    }
}

/// Hostile inputs (64 KB per pattern, and a few of 1 MB) must finish well within the budget
/// in a debug build. Release is about twenty times faster: 1 MB of any of these patterns
/// takes well under 0.3 s there.
#[test]
fn hostile_inputs_finish_quickly() {
    const SWEEP: usize = 1 << 16;
    const MB: usize = 1 << 20;
    let rep = |unit: &str, size: usize| unit.repeat(size / unit.len().max(1));
    let units = [
        "a ",
        "(",
        "((",
        ")",
        "$(",
        "$((",
        "`",
        "\\`",
        "'",
        "\"",
        "{ ",
        "} ",
        "if ",
        "do ",
        "case x in ",
        "<<E\n",
        "<<E ",
        "$'\\",
        "\\",
        "a=(",
        "@(",
        "|",
        ";;",
        ";",
        "\0",
        "\n",
        "# ",
        "$",
        "${",
        "bash -c \"",
        "eval ",
        "rm a ",
        "env ",
        "sudo ",
        "x >f ",
        "<(",
        "[[ ",
        "for ",
        "f() ",
        "cat <<EOF | tee f\n",
        "find a -delete ",
        "find ",
        "é",
        "\r",
    ];
    let mut inputs: Vec<(String, String)> = units
        .iter()
        .map(|u| (format!("{u:?} x {}", SWEEP / u.len()), rep(u, SWEEP)))
        .collect();
    inputs.extend([
        ("1 MB of words".to_string(), rep("ab ", MB)),
        (
            "1 MB unterminated quote".to_string(),
            format!("echo '{}", rep("x", MB)),
        ),
        ("1 MB of NUL".to_string(), rep("\0", MB)),
        (
            "nested $( )".to_string(),
            format!("{}{}", "$(".repeat(SWEEP / 4), ")".repeat(SWEEP / 4)),
        ),
        (
            "nested ( )".to_string(),
            format!("{}{}", "( ".repeat(SWEEP / 4), ") ".repeat(SWEEP / 4)),
        ),
        (
            "nested backticks".to_string(),
            (0..12).fold("vim".to_string(), |acc, _| {
                format!("`echo {}`", acc.replace('\\', "\\\\").replace('`', "\\`"))
            }),
        ),
        (
            "1 MB heredoc".to_string(),
            format!("cat > f <<'EOF'\n{}EOF\n", rep("vim x\n", MB)),
        ),
        (
            "many args".to_string(),
            format!("rm {}", rep("a b ", SWEEP)),
        ),
        (
            "find roots and deletes".to_string(),
            format!(
                "find {}{}",
                rep("r ", SWEEP / 2),
                rep("-delete ", SWEEP / 2)
            ),
        ),
    ]);
    for (name, input) in &inputs {
        let start = Instant::now();
        run_all(input);
        let took = start.elapsed();
        assert!(took < Duration::from_secs(2), "{name}: {took:?}");
    }
}

#[test]
fn unterminated_and_stray_syntax_is_tolerated() {
    for s in [
        "echo 'unterminated",
        "echo \"unterminated $(vim",
        "vim $(",
        ")",
        ") vim",
        "fi",
        "done; vim",
        "cat <<EOF",
        "cat <<",
        "<<",
        "> ",
        "2>",
        "&>",
        "|",
        "| vim",
        "&& vim",
        "; ;",
        "case",
        "case x in",
        "for",
        "for x in",
        "if",
        "if then",
        "{",
        "}",
        "((",
        "$((",
        "${",
        "`",
        "\\",
        "$'\\x",
        "$'\\7",
        "a=(",
        "[[",
        "function",
        "f()",
        "f() {",
        "((1 + 2",
        "echo \0 vim",
        "\u{feff}vim",
    ] {
        run_all(s);
    }
    // Flagged even when the line around it is broken.
    assert!(interactive("vim notes.txt; echo \"unterminated").is_some());
    assert!(interactive(") ) vim x").is_some());
}
