//! Findings made from the shape of a call and its output rather than from words in it:
//! output that is empty, cut, binary or in the wrong format (F3); the wrong tool for the job
//! (F4); an edit built on no view of the file (F5); who fed a parser the text it rejected.

use selfheal_model::Class;
use selfheal_protocol::{Dialect, ToolArgs, ToolKind};
use serde_json::Value;

use crate::observe::Observation;
use crate::rules::Hit;

/// Programs that fetch from the network and must print what they got.
const HTTP_CLIENTS: &[&str] = &["curl", "wget", "http", "https", "xh", "httpie"];
/// Programs that print part of their input on purpose.
const PARTIAL_PRINTERS: &[&str] = &["head", "tail", "cut", "dd", "sed", "less", "more", "fold"];
/// Programs whose job is to print bytes as they are.
const BYTE_PRINTERS: &[&str] = &["xxd", "od", "hexdump", "strings", "file", "base64", "gzip"];
/// Programs that read a file to show it, where the client has a read tool.
const FILE_READERS: &[&str] = &["cat", "head", "tail", "less", "more", "nl", "bat"];
/// Interpreters whose inline script may write files.
const INTERPRETERS: &[&str] = &[
    "python", "python3", "node", "ruby", "perl", "php", "deno", "bun",
];

/// Every finding from the call's shape, unordered.
pub fn findings(obs: &Observation<'_>) -> Vec<Hit> {
    let mut out = Vec::new();
    out.extend(persisted_output(obs));
    out.extend(edit_without_view(obs));
    out.extend(write_over_existing(obs));
    out.extend(inline_code_syntax(obs));
    if matches!(obs.kind, ToolKind::Shell | ToolKind::Mcp) && obs.failed != Some(true) {
        out.extend(shell_write(obs));
        out.extend(shell_read(obs));
        out.extend(empty_http_output(obs));
        out.extend(cut_json(obs));
        out.extend(binary_noise(obs));
        out.extend(wrong_format(obs));
    }
    out
}

/// Claude moved an output over 30,000 characters to a file; what the agent sees is its head.
fn persisted_output(obs: &Observation<'_>) -> Option<Hit> {
    let path = obs.flag("persistedOutputPath")?.as_str()?;
    let size = obs.flag("persistedOutputSize").and_then(Value::as_u64);
    Some(Hit::new(
        "output-persisted",
        Class::F3,
        90,
        &format!(
            "output of {} characters cut; full text in {path}",
            size.map_or("many".to_owned(), |s| s.to_string())
        ),
        format!(
            "Only the head of the output is shown; its end (the summary) is missing. Read the end \
             of {path} (e.g. `tail -n 60 {path}`), or re-run with output filtered to what matters."
        ),
    ))
}

/// Claude flags an Edit of a file whose content this session never had in view.
fn edit_without_view(obs: &Observation<'_>) -> Option<Hit> {
    if obs.flag("contentNotInModelContext")?.as_bool()? {
        let file = obs
            .flag("filePath")
            .and_then(Value::as_str)
            .unwrap_or("the file");
        return Some(Hit::new(
            "edit-never-read",
            Class::F5,
            90,
            &format!("edited {file} without reading it in this session"),
            format!("Read {file} now and check that the edit fits the whole file as it is."),
        ));
    }
    None
}

/// A Claude Write that replaced an existing file to change a small part of it.
fn write_over_existing(obs: &Observation<'_>) -> Option<Hit> {
    if obs.dialect != Dialect::Claude || obs.kind != ToolKind::Write {
        return None;
    }
    if obs.flag("type")?.as_str()? != "update" {
        return None;
    }
    let original = obs.flag("originalFile")?.as_str()?;
    let total = original.lines().count().max(1);
    let removed: usize = obs
        .flag("structuredPatch")?
        .as_array()?
        .iter()
        .filter_map(|h| h.get("lines").and_then(Value::as_array))
        .flatten()
        .filter(|l| l.as_str().is_some_and(|l| l.starts_with('-')))
        .count();
    // A rewrite of most of the file is what Write is for.
    if removed * 2 > total {
        return None;
    }
    let file = obs
        .flag("filePath")
        .and_then(Value::as_str)
        .unwrap_or("the file");
    Some(Hit::new(
        "write-over-existing",
        Class::F4,
        70,
        &format!("Write replaced all of {file} ({total} lines) to change {removed}"),
        format!("Use Edit for a change to part of an existing file ({file}); Write replaces the whole file and loses concurrent changes."),
    ))
}

/// A file written from the shell (`sed -i`, `echo … >> f`, a heredoc, an inline script)
/// where the client has an edit tool.
fn shell_write(obs: &Observation<'_>) -> Option<Hit> {
    let command = obs.command?;
    let edit_tool = match obs.dialect {
        Dialect::Claude => "the Edit tool (Write for a new file)",
        Dialect::Codex => "apply_patch",
    };
    let authored = obs
        .commands
        .iter()
        .any(|c| c.heredoc || matches!(c.program.as_str(), "echo" | "printf" | "cat" | "tee"));
    let project_file = |p: &str| !(p.starts_with("/dev/") || p.starts_with("/tmp/") || p == "-");
    for target in selfheal_shell::write_targets(command) {
        let in_place = matches!(target.via, "sed -i" | "perl -i");
        let written = matches!(target.via, "redirect" | "tee") && authored;
        if (in_place || written) && project_file(&target.path) {
            return Some(Hit::new(
                "shell-write",
                Class::F4,
                70,
                &format!("{} writes {} from the shell", target.via, target.path),
                format!(
                    "Edit files with {edit_tool}, not from the shell: it shows the change, checks \
                     it applied, and keeps the session's view of {} current.",
                    target.path
                ),
            ));
        }
    }
    // An inline script (`python3 - <<EOF`, `python -c`, `node -e`) that writes files.
    let scripted = obs.commands.iter().any(|c| {
        INTERPRETERS.contains(
            &c.program
                .trim_end_matches(|ch: char| ch.is_ascii_digit() || ch == '.'),
        ) && (c.heredoc
            || c.args
                .iter()
                .any(|a| matches!(a.as_str(), "-c" | "-e" | "-")))
    });
    const WRITES: &[&str] = &[
        "write_text(",
        "write_bytes(",
        ".write(",
        "writefilesync",
        "writefile(",
        "file.write",
        "open(",
    ];
    let lower = command.to_ascii_lowercase();
    let writes = WRITES.iter().any(|w| lower.contains(w))
        && (lower.contains("write") || lower.contains("'w'") || lower.contains("\"w\""));
    if scripted && writes && !lower.contains("/tmp/") {
        return Some(Hit::new(
            "script-write",
            Class::F4,
            70,
            "an inline script rewrites project files",
            format!("Edit files with {edit_tool} instead of a script that rewrites them: the change is then visible and checked."),
        ));
    }
    None
}

/// `cat f` / `head -40 f` to read a file, in Claude, which has a Read tool.
fn shell_read(obs: &Observation<'_>) -> Option<Hit> {
    if obs.dialect != Dialect::Claude || obs.commands.len() != 1 {
        return None;
    }
    let c = &obs.commands[0];
    if c.stdin_given || c.stdout_taken {
        return None;
    }
    let files: Vec<&String> = c.args.iter().filter(|a| !a.starts_with('-')).collect();
    let reader = FILE_READERS.contains(&c.program.as_str())
        || (c.program == "sed" && c.args.iter().any(|a| a == "-n"));
    if !reader || files.is_empty() || c.args.iter().any(|a| a == "-f" || a == "-F") {
        return None;
    }
    let file = files.last().map(|s| s.as_str()).unwrap_or("");
    Some(Hit::new(
        "shell-read",
        Class::F4,
        65,
        &format!("`{}` used to read {file}", c.program),
        format!("Read files with the Read tool (offset/limit for a part of {file}), not `{}`: the session then knows what you saw.", c.program),
    ))
}

fn http_client<'o>(obs: &'o Observation<'_>) -> Option<&'o selfheal_shell::Command> {
    obs.printer()
        .filter(|c| HTTP_CLIENTS.contains(&c.program.as_str()))
}

/// An HTTP fetch that printed nothing.
fn empty_http_output(obs: &Observation<'_>) -> Option<Hit> {
    let c = http_client(obs)?;
    if !obs.text.trim().is_empty() {
        return None;
    }
    let quiet = c.args.iter().any(|a| {
        matches!(
            a.as_str(),
            "-o" | "-O" | "--output" | "--remote-name" | "-I" | "--head" | "--spider" | "-q"
        ) || a.starts_with("--output=")
            || a.starts_with("-o")
    });
    if quiet {
        return None;
    }
    Some(Hit::new(
        "empty-response",
        Class::F3,
        75,
        &format!("`{}` printed nothing", c.program),
        "The request returned an empty body. Re-run it with `-i` (or `-w '%{http_code}'`) to see the status, wait briefly and retry once.",
    ))
}

/// JSON that stops mid-value.
fn cut_json(obs: &Observation<'_>) -> Option<Hit> {
    let text = obs.text.trim();
    if !(text.starts_with('{') || text.starts_with('[')) || text.len() > 256 << 10 {
        return None;
    }
    if obs
        .printer()
        .is_some_and(|c| PARTIAL_PRINTERS.contains(&c.program.as_str()))
    {
        return None;
    }
    let err = serde_json::from_str::<Value>(text).err()?;
    if !err.is_eof() {
        return None;
    }
    let tail: String = text
        .chars()
        .rev()
        .take(60)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Some(Hit::new(
        "truncated-json",
        Class::F3,
        75,
        &format!("JSON ends mid-value: …{tail}"),
        "The JSON output is cut off. Retry once; if it is cut again, fetch less (paging, a filter) or write it to a file first.",
    ))
}

/// Bytes where text was expected (compressed data, a binary file).
fn binary_noise(obs: &Observation<'_>) -> Option<Hit> {
    if obs
        .printer()
        .is_some_and(|c| BYTE_PRINTERS.contains(&c.program.as_str()))
    {
        return None;
    }
    let sample: Vec<char> = obs.text.chars().take(2048).collect();
    if sample.len() < 16 {
        return None;
    }
    let noise = sample
        .iter()
        .filter(|&&c| {
            c == '\u{fffd}' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x1b'))
        })
        .count();
    if noise * 10 < sample.len() || noise < 8 {
        return None;
    }
    Some(Hit::new(
        "binary-output",
        Class::F3,
        75,
        &format!("{noise} of the first {} characters are binary", sample.len()),
        "The output is binary (compressed or not text). Decode it first (`gunzip -c`, `curl --compressed`, `file` to see what it is) instead of printing it.",
    ))
}

/// The command asked for JSON and got something else (an HTML page, plain text metrics).
fn wrong_format(obs: &Observation<'_>) -> Option<Hit> {
    let command = obs.command?.to_ascii_lowercase();
    let asks_json = [
        "application/json",
        "format=json",
        "--json",
        "-o json",
        "--output json",
        "--output=json",
        "--format json",
        "--format=json",
        "output=json",
        "-ojson",
    ]
    .iter()
    .any(|m| command.contains(m));
    if !asks_json || http_client(obs).is_none() {
        return None;
    }
    let text = obs.text.trim_start();
    let first = text.chars().next()?;
    if matches!(first, '{' | '[' | '"') || first.is_ascii_digit() {
        return None;
    }
    let first_line: String = text.lines().next().unwrap_or("").chars().take(80).collect();
    Some(Hit::new(
        "not-json",
        Class::F3,
        72,
        &format!("JSON was asked for, got: {first_line}"),
        "The response is not JSON (an HTML page or plain text). Check the URL and the Accept header, or the endpoint's documented format, then retry.",
    ))
}

/// Who fed a parser the text it rejected: text typed into the command (the call is
/// malformed, F2), a network response (the output is, F3), or a project file (the work, task).
pub fn parse_input_class(obs: &Observation<'_>) -> Class {
    let literal =
        obs.commands.iter().any(|c| {
            matches!(c.program.as_str(), "echo" | "printf") && c.stdout_taken || c.heredoc
        }) || obs.command.is_some_and(|c| c.contains("<<<"));
    if literal {
        return Class::F2;
    }
    if obs.programs().any(|p| HTTP_CLIENTS.contains(&p)) {
        return Class::F3;
    }
    Class::Task
}

/// The file a Read, Edit, Write or patch named (Claude's failed Read says only "File does
/// not exist"; a patch names the first file it updates).
pub fn read_path(obs: &Observation<'_>) -> Option<String> {
    match obs.call.args() {
        ToolArgs::Read { file_path }
        | ToolArgs::Edit { file_path, .. }
        | ToolArgs::Write { file_path, .. }
            if !file_path.is_empty() =>
        {
            Some(file_path.to_owned())
        }
        ToolArgs::Patch { patch } => {
            selfheal_patch::parse(patch)
                .ok()?
                .ops
                .into_iter()
                .find_map(|op| match op {
                    selfheal_patch::FileOp::Update { path, .. } => Some(path),
                    _ => None,
                })
        }
        _ => None,
    }
}

/// A syntax error in code typed into the command (`python3 -c '…'`, `node -e '…'`): the
/// call is malformed, unlike a syntax error in a project file.
fn inline_code_syntax(obs: &Observation<'_>) -> Option<Hit> {
    if obs.kind != ToolKind::Shell || obs.failed == Some(false) {
        return None;
    }
    let inline = obs.text.contains("File \"<string>\", line") || obs.text.contains("[eval]:");
    let line = obs.text.lines().find(|l| {
        l.trim_start().starts_with("SyntaxError") || l.trim_start().starts_with("IndentationError")
    })?;
    inline.then(|| {
        Hit::new(
            "inline-code-syntax",
            Class::F2,
            64,
            line,
            "The code passed inline on the command line does not parse: fix its quoting and syntax, or put it in a file first.",
        )
    })
}
