//! `selfheal doctor`: is the suite installed, configured and running, and if not, what to do.
//! One ✓/✗ line per check, the fix under each ✗, exit 1 when anything is wrong.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use clap::Args;
use selfheal_config::{Config, ConfigFiles};
use selfheal_install::codex_config;
use selfheal_install::codex_trust::{hooks_list, ListedHook};
use selfheal_install::registered::{codex_untrusted, hook_files, missing, HookFile};
use selfheal_install::registration::{our_binary, HOOK_BINARIES};
use selfheal_install::Locations;
use selfheal_protocol::Dialect;
use selfheal_state::Store;

use crate::install::{is_executable, locations, on_path};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The project to check (its .claude/, .codex/ and .selfheal.toml; default: the current
    /// directory)
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// The codex executable to ask about trust (default: `codex` on PATH)
    #[arg(long, value_name = "PATH")]
    codex: Option<PathBuf>,
}

/// A hook's sample payload for the live round trip (Claude's dialect; the binaries are the
/// same for both clients).
fn sample(hook: &str) -> &'static str {
    match hook {
        "schema-guard" => {
            include_str!("../../../tests/fixtures/claude/PreToolUse/bash_success__bash.json")
        }
        "failure-classifier" => {
            include_str!("../../../tests/fixtures/claude/PostToolUse/bash_success__bash.json")
        }
        "patch-verifier" => {
            include_str!("../../../tests/fixtures/claude/PostToolUse/write_success__write.json")
        }
        _ => include_str!("../../../tests/fixtures/claude/SessionStart/bash_success.json"),
    }
}

struct Report<'a> {
    out: &'a mut dyn Write,
    failed: usize,
    checks: usize,
}

impl Report<'_> {
    fn ok(&mut self, what: &str, detail: impl std::fmt::Display) -> Result<()> {
        self.checks += 1;
        writeln!(self.out, "✓ {what}: {detail}")?;
        Ok(())
    }

    fn fail(
        &mut self,
        what: &str,
        detail: impl std::fmt::Display,
        fix: impl std::fmt::Display,
    ) -> Result<()> {
        self.checks += 1;
        self.failed += 1;
        writeln!(self.out, "✗ {what}: {detail}\n    fix: {fix}")?;
        Ok(())
    }

    fn skip(&mut self, what: &str, detail: impl std::fmt::Display) -> Result<()> {
        writeln!(self.out, "- {what}: {detail}")?;
        Ok(())
    }
}

pub fn run(args: &DoctorArgs, out: &mut dyn Write) -> Result<()> {
    let project = match &args.project {
        Some(dir) => dir.canonicalize()?,
        None => std::env::current_dir()?,
    };
    let loc = locations()?;
    let mut report = Report {
        out,
        failed: 0,
        checks: 0,
    };
    let files: Vec<(Dialect, Vec<HookFile>)> = [Dialect::Claude, Dialect::Codex]
        .into_iter()
        .map(|d| (d, hook_files(d, &loc, &project)))
        .collect();

    let binaries = check_binaries(&files, &mut report)?;
    check_config(&project, &mut report)?;
    check_database(&mut report)?;
    check_permissions(&mut report)?;
    let registered = check_registrations(&files, &mut report)?;
    if registered.contains(&Dialect::Codex) {
        check_codex_trust(
            &files[1].1,
            &loc,
            &project,
            args.codex.as_deref(),
            &mut report,
        )?;
    }
    check_round_trips(&binaries, &project, &mut report)?;

    if report.failed > 0 {
        bail!("{} of {} checks failed", report.failed, report.checks);
    }
    writeln!(report.out, "all {} checks passed", report.checks)?;
    Ok(())
}

/// Each hook binary: where the registrations point (else PATH), present and executable.
fn check_binaries(
    files: &[(Dialect, Vec<HookFile>)],
    report: &mut Report,
) -> Result<BTreeMap<&'static str, PathBuf>> {
    let mut found = BTreeMap::new();
    for hook in HOOK_BINARIES {
        let registered: Vec<PathBuf> = files
            .iter()
            .flat_map(|(_, f)| f)
            .flat_map(HookFile::ours)
            .filter(|((_, _, h), _)| *h == hook)
            .map(|(_, program)| PathBuf::from(program))
            .collect();
        let (path, source) = match registered.iter().find(|p| p.is_absolute()) {
            Some(p) => (Some(p.clone()), "registered"),
            None => (on_path(hook), "on PATH"),
        };
        match path {
            Some(p) if is_executable(&p) => {
                report.ok(hook, format!("{} ({source})", p.display()))?;
                found.insert(hook, p);
            }
            Some(p) => report.fail(
                hook,
                format!("{} is registered but missing or not executable", p.display()),
                "rebuild and install the binaries (`cargo install --path .`), then `selfheal install <client>`",
            )?,
            None => report.fail(
                hook,
                "not registered and not on PATH",
                "`cargo install --path .` and put ~/.cargo/bin on PATH, or `selfheal install <client>`",
            )?,
        }
    }
    Ok(found)
}

fn check_config(project: &Path, report: &mut Report) -> Result<()> {
    let files = ConfigFiles::discover(None, Some(project), |k| std::env::var(k).ok());
    let names: Vec<String> = [&files.user, &files.project, &files.explicit]
        .into_iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    match Config::load(&files) {
        Ok(config) => {
            report.ok(
                "config",
                if names.is_empty() {
                    format!(
                        "no config files; the built-in `{}` profile",
                        config.profile.name()
                    )
                } else {
                    format!("{} (profile {})", names.join(", "), config.profile.name())
                },
            )?;
            match &config.untrusted {
                Some(untrusted) => report.fail(
                    "project commands",
                    format!(
                        "{} sets {}: not run, the file is not trusted as it is",
                        untrusted.file.display(),
                        untrusted.keys.join(" and ")
                    ),
                    format!("review the file, then `{}`", untrusted.trust_command()),
                ),
                None => Ok(()),
            }
        }
        Err(e) => report.fail(
            "config",
            e,
            "correct that key (the hooks fail open, doing nothing, while the config is broken)",
        ),
    }
}

fn check_database(report: &mut Report) -> Result<()> {
    let path = selfheal_state::default_db_path(|k| std::env::var(k).ok())?;
    let checked = Store::open(&path).and_then(|mut store| {
        store.write(|_| Ok(()))?;
        store.schema_version()
    });
    match checked {
        Ok(v) if v == selfheal_state::SCHEMA_VERSION => report.ok(
            "database",
            format!("{} (schema v{v}, writable)", path.display()),
        ),
        Ok(v) => report.fail(
            "database",
            format!(
                "{} is at schema v{v}, this selfheal expects v{}",
                path.display(),
                selfheal_state::SCHEMA_VERSION
            ),
            "install the selfheal that wrote it, or move the file away to start afresh",
        ),
        Err(e) => report.fail(
            "database",
            format!("{}: {e}", path.display()),
            format!(
                "make {} writable, or point SELFHEAL_DB at a writable file",
                path.parent().unwrap_or(&path).display()
            ),
        ),
    }
}

/// What selfheal keeps (events with tool output, backups of the clients' settings, run logs
/// and prompts) may hold secrets: it is created 0600 in 0700 directories, and a hook never
/// changes the mode of what exists already (`$SELFHEAL_DB` may point into a directory the user
/// shares on purpose). This check finds what group or others can get at.
fn check_permissions(report: &mut Report) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let db = selfheal_state::default_db_path(|k| std::env::var(k).ok())?;
    let dir = db.parent().unwrap_or(Path::new(".")).to_path_buf();
    let owner = std::fs::metadata(&db).ok().map(|m| m.uid());
    let mut paths = Vec::new();
    // The directory only when it is the database's owner's: not /tmp or another shared parent.
    if std::fs::metadata(&dir).is_ok_and(|m| Some(m.uid()) == owner) {
        paths.push(dir.clone());
    }
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut name = db.clone().into_os_string();
        name.push(suffix);
        paths.push(PathBuf::from(name));
    }
    // backups/<file>, runs/<run>/<file>
    let mut below = vec![(dir.join("backups"), 1), (dir.join("runs"), 2)];
    while let Some((path, depth)) = below.pop() {
        if depth > 0 && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
            for entry in std::fs::read_dir(&path)?.flatten() {
                below.push((entry.path(), depth - 1));
            }
        }
        paths.push(path);
    }
    let open: Vec<PathBuf> = paths
        .into_iter()
        .filter(|p| {
            std::fs::symlink_metadata(p)
                .is_ok_and(|m| !m.file_type().is_symlink() && m.mode() & 0o077 != 0)
        })
        .collect();
    match open.as_slice() {
        [] => report.ok(
            "state permissions",
            format!("{} and what is in it: only you", dir.display()),
        ),
        [first, rest @ ..] => {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let fix = if open.iter().all(|p| p.starts_with(&dir)) {
                format!("chmod -R go-rwx {}", dir.display())
            } else {
                format!("chmod go-rwx {}*", db.display())
            };
            report.fail(
                "state permissions",
                format!(
                    "{}{more} open to group or others (selfheal keeps tool output, which may hold secrets)",
                    first.display()
                ),
                fix,
            )
        }
    }
}

/// Per client: which files register the suite and whether all of it. A client with no
/// registration at all is only noted, as long as the other has one.
fn check_registrations(
    files: &[(Dialect, Vec<HookFile>)],
    report: &mut Report,
) -> Result<Vec<Dialect>> {
    let mut registered = Vec::new();
    for (dialect, files) in files {
        let name = client_name(*dialect);
        for f in files {
            if let Some(e) = &f.error {
                report.fail(
                    &format!("{name} hooks"),
                    format!("{}: {e}", f.path.display()),
                    "fix the file (the client cannot read it either)",
                )?;
            }
        }
        let holding: Vec<&HookFile> = files.iter().filter(|f| !f.ours().is_empty()).collect();
        if holding.is_empty() {
            continue;
        }
        registered.push(*dialect);
        let wrong_dialect: Vec<String> = holding
            .iter()
            .flat_map(|f| f.tree.iter())
            .flat_map(commands)
            .filter(|c| our_binary(c).is_some() && !c.ends_with(&format!("--dialect {dialect}")))
            .collect();
        let gaps = missing(*dialect, files);
        let where_ = holding
            .iter()
            .map(|f| f.path.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let install = format!("selfheal install {}", dialect.as_str());
        if !wrong_dialect.is_empty() {
            report.fail(
                &format!("{name} hooks"),
                format!(
                    "{where_}: commands for the other client: {}",
                    wrong_dialect.join("; ")
                ),
                &install,
            )?;
        } else if gaps.is_empty() {
            report.ok(
                &format!("{name} hooks"),
                format!("all registered in {where_}"),
            )?;
        } else {
            let list: Vec<String> = gaps
                .iter()
                .map(|(event, matcher, hook)| match matcher {
                    Some(m) => format!("{hook} at {event} ({m})"),
                    None => format!("{hook} at {event}"),
                })
                .collect();
            report.fail(
                &format!("{name} hooks"),
                format!("{where_} lacks {}", list.join(", ")),
                &install,
            )?;
        }
    }
    for dialect in [Dialect::Claude, Dialect::Codex] {
        if !registered.contains(&dialect) {
            let what = format!("{} hooks", client_name(dialect));
            let fix = format!("selfheal install {}", dialect.as_str());
            if registered.is_empty() {
                report.fail(&what, "not registered", fix)?;
            } else {
                report.skip(&what, format!("not registered (`{fix}` to use it)"))?;
            }
        }
    }
    Ok(registered)
}

fn commands(tree: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for groups in tree["hooks"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for group in groups.as_array().into_iter().flatten() {
            for h in group["hooks"].as_array().into_iter().flatten() {
                if let Some(c) = h["command"].as_str() {
                    out.push(c.to_owned());
                }
            }
        }
    }
    out
}

fn client_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Claude => "Claude Code",
        Dialect::Codex => "Codex",
    }
}

/// Codex skips untrusted hooks without a word: every handler of ours must have its current
/// hash recorded, and codex itself, when it can be asked, must list it as trusted.
fn check_codex_trust(
    files: &[HookFile],
    loc: &Locations,
    project: &Path,
    codex: Option<&Path>,
    report: &mut Report,
) -> Result<()> {
    let config_path = loc.codex_config();
    let text = std::fs::read_to_string(&config_path).unwrap_or_default();
    let config = codex_config::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", config_path.display()))?;
    let (total, untrusted) = codex_untrusted(files, &config);
    let fix = "selfheal install codex (records the current hashes)";
    if !untrusted.is_empty() {
        report.fail(
            "Codex trust",
            format!(
                "{} of {total} hooks are not trusted, so Codex skips them: {}",
                untrusted.len(),
                untrusted.join(", ")
            ),
            fix,
        )?;
    } else {
        report.ok(
            "Codex trust",
            format!("all {total} hooks trusted in {}", config_path.display()),
        )?;
    }
    let Some(codex) = codex.map(Path::to_owned).or_else(|| on_path("codex")) else {
        return report.skip("Codex's own view", "codex is not on PATH; not asked");
    };
    match hooks_list(
        &codex,
        Some(&loc.codex_home),
        project,
        Duration::from_secs(30),
    ) {
        Err(e) => report.fail(
            "Codex's own view",
            e,
            "check that `codex app-server` starts",
        ),
        Ok(listed) => {
            let ours: Vec<&ListedHook> = listed
                .iter()
                .filter(|h| our_binary(&h.command).is_some())
                .collect();
            let bad: Vec<String> = ours
                .iter()
                .filter(|h| h.trust_status != "trusted" || !h.enabled)
                .map(|h| format!("{} ({})", h.key, h.trust_status))
                .collect();
            if ours.is_empty() {
                report.fail(
                    "Codex's own view",
                    format!("{} lists none of our hooks", codex.display()),
                    fix,
                )
            } else if bad.is_empty() {
                report.ok(
                    "Codex's own view",
                    format!("{} runs all {} hooks", codex.display(), ours.len()),
                )
            } else {
                report.fail(
                    "Codex's own view",
                    format!("{} will not run: {}", codex.display(), bad.join(", ")),
                    fix,
                )
            }
        }
    }
}

/// Runs each hook on a sample payload, against a scratch database: it must exit 0, say
/// nothing on stderr (a hook that fails open says why there) and print nothing or JSON.
fn check_round_trips(
    binaries: &BTreeMap<&'static str, PathBuf>,
    project: &Path,
    report: &mut Report,
) -> Result<()> {
    let scratch = std::env::temp_dir().join(format!("selfheal-doctor-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    for (hook, path) in binaries {
        let what = format!("{hook} round trip");
        let started = Instant::now();
        let outcome = round_trip(path, sample(hook), &scratch.join("state.db"), project);
        let ms = started.elapsed().as_millis();
        match outcome {
            Ok(()) => report.ok(&what, format!("answered in {ms} ms"))?,
            Err(e) => report.fail(
                &what,
                e,
                format!(
                    "run `{} --dialect claude < payload` to see it fail; rebuild if it crashes",
                    path.display()
                ),
            )?,
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

fn round_trip(program: &Path, payload: &str, db: &Path, project: &Path) -> Result<(), String> {
    // As a session in this project: its config applies.
    let mut payload: serde_json::Value =
        serde_json::from_str(payload).expect("the samples are JSON");
    payload["cwd"] = serde_json::Value::String(project.to_string_lossy().into_owned());
    let payload = payload.to_string() + "\n";
    let mut child = Command::new(program)
        .args(["--dialect", "claude"])
        .current_dir(project)
        .env("CLAUDE_PROJECT_DIR", project)
        .env("SELFHEAL_DB", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(payload.as_bytes());
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("no answer within 10 s".into());
            }
        }
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            output.status.code(),
            stderr.trim()
        ));
    }
    if !stderr.trim().is_empty() {
        return Err(format!("failed open: {}", stderr.trim()));
    }
    if !output.stdout.iter().all(u8::is_ascii_whitespace)
        && serde_json::from_slice::<serde_json::Value>(&output.stdout).is_err()
    {
        return Err(format!(
            "stdout is not JSON: {}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    Ok(())
}
