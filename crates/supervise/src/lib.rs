//! `selfheal run`: a supervisor for unattended agent jobs (cron, systemd timers).
//!
//! It launches `claude -p` or `codex exec` in a process group of its own, with the selfheal
//! hooks registered for this run only (see [`client`]) and the run's scope and success
//! criteria passed to them through a run-scoped config ([`runconfig`]); kills the group when
//! the client is silent too long; checks the goal after every exit (the criteria and the
//! session's unresolved failures in the state DB: exit 0 alone is not success); recovers by
//! failure mode (backoff for transient API failures, a corrective prompt with the failure
//! context otherwise, loop detection, scope reduction); and finally escalates (a record in the
//! DB, the notify command, a non-zero exit). Every attempt is logged and the run reported.
//!
//! The decisions live in [`supervisor`] (no processes; unit-tested with a scripted world),
//! the process work in [`process`].

pub mod attempt;
pub mod backoff;
pub mod client;
mod db;
pub mod decompose;
mod private;
pub mod process;
pub mod prompt;
pub mod report;
pub mod runconfig;
pub mod similarity;
pub mod supervisor;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use selfheal_config::{Config, ConfigFiles};
use selfheal_install::registration::HOOK_BINARIES;
use serde_json::{json, Value};

use crate::attempt::{ClientRun, Criterion, DbFacts};
use crate::client::{Agent, Registration};
use crate::supervisor::{Env, Outcome, Plan, Spec};

/// Exit codes: 0 the goal was met; 1 escalated (not done) or an internal error; 2 bad usage.
pub const EXIT_ESCALATED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// `selfheal run [options] -- "<task prompt>"`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The agent: `claude` (Claude Code, `claude -p`) or `codex` (Codex CLI, `codex exec`)
    #[arg(long, default_value = "claude", value_name = "claude|codex")]
    pub agent: String,
    /// The client's executable (default: `claude` or `codex` on PATH; also
    /// $SELFHEAL_CLAUDE_BIN / $SELFHEAL_CODEX_BIN)
    #[arg(long, value_name = "PATH")]
    pub agent_bin: Option<PathBuf>,
    /// An extra argument for the client, before the prompt (repeatable), e.g.
    /// `--agent-arg=--model --agent-arg=opus`
    #[arg(long = "agent-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub agent_args: Vec<String>,
    /// Seconds without any output after which the attempt is killed as stalled
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    pub silence: u64,
    /// Attempts at the whole task (first run, retries, corrective attempts)
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_attempts: usize,
    /// A success criterion, a shell command line (run by `sh -c` in the current directory;
    /// repeatable). Without any, the configured `[verify] commands` are the criteria.
    #[arg(long = "verify", value_name = "CMD")]
    pub verify: Vec<String>,
    /// Where the agent may write, a glob relative to the project root (repeatable;
    /// `[scope] allow` for this run)
    #[arg(long = "scope", value_name = "GLOB")]
    pub scope: Vec<String>,
    /// Run on escalation with the record as JSON on stdin (`sh -c`); default: the configured
    /// `[escalate] command`
    #[arg(long, value_name = "CMD")]
    pub notify: Option<String>,
    /// Also write the JSON run report here
    #[arg(long, value_name = "FILE")]
    pub json_report: Option<PathBuf>,
    /// Where the attempt logs, the run-scoped config and the report go (default:
    /// `runs/<run id>/` next to the state database)
    #[arg(long, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Do not split the task into subtasks when the corrective attempts fail
    #[arg(long)]
    pub no_decompose: bool,
    /// The base delay of the backoff after a transient API failure, in milliseconds (also
    /// $SELFHEAL_RUN_BACKOFF_MS; default 30000)
    #[arg(long, hide = true, value_name = "MS")]
    pub backoff_base_ms: Option<u64>,
    /// The directory of the hook binaries (default: the one this binary is in)
    #[arg(long, hide = true, value_name = "DIR")]
    pub hooks_dir: Option<PathBuf>,
    /// The task for the agent
    #[arg(
        value_name = "PROMPT",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub prompt: Vec<String>,
}

struct Usage(String);

/// Runs the supervisor. Bad usage is one `selfheal: error: …` line and exit 2.
pub fn run(args: Args) -> Result<ExitCode> {
    run_code(args).map(ExitCode::from)
}

/// [`run`] for a caller whose success is `Ok(())`: a non-zero exit code ends the process
/// here (stdout flushed), since `ExitCode` cannot be handed up as a number on stable Rust.
pub fn run_exit(args: Args) -> Result<()> {
    let code = run_code(args)?;
    if code != 0 {
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        std::process::exit(i32::from(code));
    }
    Ok(())
}

fn run_code(args: Args) -> Result<u8> {
    match prepare(args) {
        Ok(job) => job.run(),
        Err(Prep::Usage(Usage(message))) => {
            eprintln!("selfheal: error: {message}");
            Ok(EXIT_USAGE)
        }
        Err(Prep::Other(e)) => Err(e),
    }
}

enum Prep {
    Usage(Usage),
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Prep {
    fn from(e: anyhow::Error) -> Prep {
        Prep::Other(e)
    }
}

fn usage(message: impl Into<String>) -> Prep {
    Prep::Usage(Usage(message.into()))
}

fn env_var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

struct Job {
    agent: Agent,
    program: PathBuf,
    agent_args: Vec<String>,
    goal: String,
    plan: Plan,
    cwd: PathBuf,
    db: PathBuf,
    run_id: String,
    run_dir: PathBuf,
    main_config: PathBuf,
    part_config: PathBuf,
    registration: Registration,
    criteria: Vec<Vec<String>>,
    verify_timeout: Duration,
    notify: Option<Vec<String>>,
    notify_timeout: Duration,
    json_report: Option<PathBuf>,
    started: Instant,
    started_at: String,
}

fn prepare(args: Args) -> Result<Job, Prep> {
    let started = Instant::now();
    let started_ms = selfheal_state::now_ms();
    let Some(agent) = Agent::parse(&args.agent) else {
        return Err(usage(format!(
            "unknown agent '{}' (use --agent claude or --agent codex)",
            args.agent
        )));
    };
    let goal = args.prompt.join(" ").trim().to_owned();
    if goal.is_empty() {
        return Err(usage(
            "no task prompt: selfheal run [options] -- \"<task prompt>\"",
        ));
    }
    if args.max_attempts == 0 {
        return Err(usage("--max-attempts must be at least 1"));
    }
    if args.silence == 0 {
        return Err(usage("--silence must be at least 1 second"));
    }
    let path_var = env_var("PATH");
    let wanted = args
        .agent_bin
        .clone()
        .or_else(|| env_var(agent.bin_env()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(agent.name()));
    let Some(program) = selfheal_run::find_executable(&wanted, path_var.as_deref()) else {
        return Err(usage(format!(
            "the {} client `{}` was not found (install it, put it on PATH, or give \
             --agent-bin PATH)",
            agent.name(),
            wanted.display()
        )));
    };
    let hooks_dir = match args
        .hooks_dir
        .clone()
        .or_else(|| env_var("SELFHEAL_HOOKS_DIR").map(PathBuf::from))
    {
        Some(d) => d,
        None => std::env::current_exe()
            .context("finding the selfheal binary")?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    };
    let hooks_dir = std::fs::canonicalize(&hooks_dir).unwrap_or(hooks_dir);
    if let Some(missing) = HOOK_BINARIES.iter().find(|h| !hooks_dir.join(h).is_file()) {
        return Err(usage(format!(
            "the hook binary {missing} is not in {} (install selfheal with all its binaries)",
            hooks_dir.display()
        )));
    }
    let cwd = std::env::current_dir().context("the current directory")?;
    let db = selfheal_state::default_db_path(env_var).context("the state database path")?;
    let stamp: String = selfheal_state::format_rfc3339(started_ms)
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let run_id = format!("{stamp}-{}", std::process::id());
    let run_dir = match &args.log_dir {
        Some(d) => d.clone(),
        None => db
            .parent()
            .unwrap_or(Path::new("."))
            .join("runs")
            .join(&run_id),
    };
    private::create_dir(&run_dir)
        .with_context(|| format!("creating the run directory {}", run_dir.display()))?;
    let run_dir = std::fs::canonicalize(&run_dir).unwrap_or(run_dir);

    // The hooks' config for this run, and the criteria it makes.
    let base = env_var("SELFHEAL_CONFIG").map(PathBuf::from);
    let verify: Vec<Vec<String>> = args
        .verify
        .iter()
        .map(|c| runconfig::shell_argv(c))
        .collect();
    let main_config = runconfig::write(
        &run_dir.join("config.toml"),
        base.as_deref(),
        &args.scope,
        (!verify.is_empty()).then_some(verify.as_slice()),
    )?;
    let part_config = runconfig::write(
        &run_dir.join("config-subtask.toml"),
        base.as_deref(),
        &args.scope,
        Some(&[]),
    )?;
    let main_path = main_config.display().to_string();
    let files = ConfigFiles::discover(None, Some(&cwd), |k| {
        if k == "SELFHEAL_CONFIG" {
            Some(main_path.clone())
        } else {
            env_var(k)
        }
    });
    let config = Config::load(&files).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(untrusted) = &config.untrusted {
        eprintln!("selfheal run: {}", untrusted.message());
    }

    let installed = selfheal_install::Locations::from_env(env_var).is_ok_and(|loc| {
        selfheal_install::registered::fully_installed(agent.dialect(), &loc, &cwd)
    });
    let registration = match agent {
        // The user's own registration runs the suite already (and reads the run's config
        // through SELFHEAL_CONFIG): a second one would run every hook twice.
        _ if installed => Registration::Installed,
        Agent::Claude => {
            let file = run_dir.join("claude-settings.json");
            let text =
                serde_json::to_string_pretty(&client::claude_settings(&hooks_dir)).expect("JSON");
            private::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
            Registration::ClaudeSettings(file)
        }
        Agent::Codex => Registration::CodexOverrides(client::codex_overrides(&hooks_dir)),
    };
    let backoff_base_ms = args
        .backoff_base_ms
        .or_else(|| env_var("SELFHEAL_RUN_BACKOFF_MS").and_then(|v| v.parse().ok()))
        .unwrap_or(backoff::DEFAULT_BASE_MS);
    let notify = args
        .notify
        .as_deref()
        .map(runconfig::shell_argv)
        .or_else(|| config.escalate_command.clone());
    Ok(Job {
        agent,
        program,
        agent_args: args.agent_args,
        plan: Plan {
            goal: goal.clone(),
            max_attempts: args.max_attempts,
            backoff_base_ms,
            silence_secs: args.silence,
            decompose: !args.no_decompose,
            has_criteria: !config.verify_commands.is_empty(),
        },
        goal,
        cwd,
        db,
        run_id,
        run_dir,
        main_config,
        part_config,
        registration,
        criteria: config.verify_commands.clone(),
        verify_timeout: Duration::from_secs(config.verify_timeout_secs),
        notify,
        notify_timeout: Duration::from_secs(config.escalate_timeout_secs),
        json_report: args.json_report,
        started,
        started_at: selfheal_state::format_rfc3339(started_ms),
    })
}

impl Job {
    fn run(self) -> Result<u8> {
        let mut env = RealEnv {
            job: &self,
            jitter: backoff::Jitter::new(),
            progress: process::is_tty(),
        };
        let supervised = supervisor::supervise(&mut env, &self.plan);
        let code = match supervised.outcome {
            Outcome::Succeeded | Outcome::SucceededAfterDecomposition => 0,
            Outcome::Escalated => EXIT_ESCALATED,
        };
        let run_dir = self.run_dir.display().to_string();
        let info = report::RunInfo {
            run_id: &self.run_id,
            agent: self.agent.name(),
            goal: &self.goal,
            started: &self.started_at,
            duration: self.started.elapsed(),
            run_dir: &run_dir,
            exit_code: code,
        };
        let json = report::json(&info, &supervised);
        let text = serde_json::to_string_pretty(&json).expect("JSON") + "\n";
        private::write(&self.run_dir.join("report.json"), &text)
            .with_context(|| format!("writing the report in {run_dir}"))?;
        if let Some(path) = &self.json_report {
            std::fs::write(path, &text)
                .with_context(|| format!("writing the report {}", path.display()))?;
        }
        print!("{}", report::summary(&info, &supervised));
        Ok(code)
    }
}

struct RealEnv<'a> {
    job: &'a Job,
    jitter: backoff::Jitter,
    progress: bool,
}

impl Env for RealEnv<'_> {
    fn launch(&mut self, spec: &Spec<'_>) -> ClientRun {
        let job = self.job;
        let args = client::args(job.agent, &job.registration, &job.agent_args, spec.prompt);
        let config = if spec.verify_in_hooks {
            &job.main_config
        } else {
            &job.part_config
        };
        let env = [
            ("SELFHEAL_CONFIG".to_owned(), config.display().to_string()),
            ("SELFHEAL_RUN_ID".to_owned(), job.run_id.clone()),
        ];
        let _ = private::write(
            &job.run_dir.join(format!("attempt-{}.prompt.txt", spec.n)),
            spec.prompt,
        );
        process::launch(&process::Launch {
            agent: job.agent,
            program: &job.program,
            args: &args,
            env: &env,
            cwd: &job.cwd,
            log: job.run_dir.join(format!("attempt-{}.log", spec.n)),
            silence: Duration::from_secs(job.plan.silence_secs),
            label: &spec.label,
            progress: self.progress,
        })
    }

    /// The criteria, one after the other in the current directory, all within the
    /// configured `[verify] timeout_secs` (as budget-check runs them at Stop).
    fn verify(&mut self) -> Vec<Criterion> {
        let job = self.job;
        selfheal_breaker::run_checks(&job.criteria, &job.cwd, job.verify_timeout)
            .into_iter()
            .map(|check| Criterion {
                command: check.command(),
                passed: check.passed(),
                result: check.result(),
                output: selfheal_redact::redact(&check.outcome.output).into_owned(),
            })
            .collect()
    }

    fn facts(&mut self, session: Option<&str>) -> DbFacts {
        let Some(session) = session else {
            return DbFacts::default();
        };
        match db::facts(&self.job.db, self.job.agent.name(), session) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("selfheal: warning: reading the state database: {e}");
                DbFacts::default()
            }
        }
    }

    fn sleep(&mut self, d: Duration) {
        if self.progress {
            eprintln!(
                "selfheal run: waiting {:.1} s before the retry",
                d.as_secs_f64()
            );
        }
        std::thread::sleep(d);
    }

    fn unit(&mut self) -> f64 {
        self.jitter.unit()
    }

    fn escalate(&mut self, session: Option<&str>, record: &mut Value) -> String {
        let job = self.job;
        record["run_id"] = json!(job.run_id);
        record["agent"] = json!(job.agent.name());
        record["project"] = json!(job.cwd.display().to_string());
        record["report"] = json!(job.run_dir.join("report.json").display().to_string());
        record["ts"] = json!(selfheal_state::format_rfc3339(selfheal_state::now_ms()));
        let session = session
            .map(str::to_owned)
            .unwrap_or_else(|| format!("selfheal-run-{}", job.run_id));
        let reason = record["reason"].as_str().unwrap_or("run").to_owned();
        let summary = record["reason_text"].as_str().unwrap_or("").to_owned();
        let mut notes = Vec::new();
        match db::insert_escalation(
            &job.db,
            job.agent.name(),
            &session,
            &reason,
            &summary,
            &record.to_string(),
        ) {
            Ok(id) => record["escalation_id"] = json!(id),
            Err(e) => {
                record["escalation_id"] = Value::Null;
                notes.push(format!("not recorded in the state database: {e}"));
            }
        }
        match &job.notify {
            None => notes.push("no notify command".to_owned()),
            Some(argv) => {
                let out = selfheal_run::run(
                    argv,
                    &job.cwd,
                    Some(record.to_string().as_bytes()),
                    job.notify_timeout,
                );
                let shown = selfheal_breaker::Check {
                    argv: argv.clone(),
                    outcome: out,
                    timeout: job.notify_timeout,
                };
                if shown.passed() {
                    notes.push(format!("sent to `{}`", shown.command()));
                } else {
                    notes.push(format!("`{}` failed: {}", shown.command(), shown.result()));
                }
            }
        }
        notes.join("; ")
    }
}
