use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};

use selfheal_protocol::{detect_dialect, parse_input, read_capped, render, HookEvent, STDIN_CAP};

use crate::args::{parse_args, ArgsOutcome};
use crate::{Context, Env, Hook};

/// The process's streams and environment, replaceable in tests.
pub struct Io<'a> {
    pub stdin: Box<dyn Read + 'a>,
    pub stdout: Box<dyn Write + 'a>,
    pub stderr: Box<dyn Write + 'a>,
    pub env: Env,
}

/// Defines the C `main` of a hook binary, which declares `#![no_main]`, around a body that
/// runs the hook (usually [`run`]).
///
/// A hook is a process per tool call, and Rust's own `main` costs each one about a tenth of a
/// minimal Rust process (which runs in 0.88 of the time without it): it reads
/// `/proc/self/maps` (parsed with `sscanf`) to place the main thread's stack guard and
/// installs an alternate signal stack, for a stack-overflow message no hook needs. What it
/// does that a hook does need is in [`process_main`].
#[macro_export]
macro_rules! main {
    ($body:expr) => {
        #[unsafe(no_mangle)]
        extern "C" fn main(
            _argc: ::std::ffi::c_int,
            _argv: *const *const ::std::ffi::c_char,
        ) -> ::std::ffi::c_int {
            $crate::process_main($body)
        }
    };
}

/// What Rust's runtime does around `main` that a hook relies on: a write to a closed pipe is an
/// error, not a SIGPIPE that kills the process, a panic does not cross into C, and stdout is
/// flushed at the end. Always 0.
pub fn process_main(body: impl FnOnce()) -> std::ffi::c_int {
    // SAFETY: setting a signal's disposition to "ignore" before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let _ = panic::catch_unwind(AssertUnwindSafe(body));
    let _ = std::io::stdout().flush();
    0
}

/// The whole life of a hook process, inside [`process_main`]: see the crate docs.
pub fn run(hook: Hook) {
    // A panic's default report is several lines and a backtrace hint; one line is the rule.
    let name = hook.name;
    panic::set_hook(Box::new(move |info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("{name}: internal error (fail-open): {message}{place}");
    }));
    let io = Io {
        stdin: Box::new(std::io::stdin().lock()),
        stdout: Box::new(std::io::stdout().lock()),
        stderr: Box::new(std::io::stderr().lock()),
        env: Box::new(|key| std::env::var(key).ok()),
    };
    // A panic unwinds to `process_main`, after the hook above has said what happened.
    let done = run_with(hook, std::env::args().skip(1), io);
    // Everything is committed and written: the process is about to exit, and the kernel
    // releases the database's locks and files as it would for a process killed now, which
    // SQLite is built to survive. Closing it instead costs each hook its share of freeing.
    std::mem::forget(done);
}

/// Runs the hook against the given streams. Writes at most one JSON document to stdout, and
/// only for a decision; every problem is one line on stderr. Returns the hook's context once
/// it got that far, with the database it opened: dropping it closes that.
pub fn run_with(
    hook: Hook,
    args: impl IntoIterator<Item = String>,
    mut io: Io<'_>,
) -> Option<Context> {
    let say = |stderr: &mut dyn Write, message: &str| {
        let _ = writeln!(stderr, "{}: {message}", hook.name);
    };
    let (args, warnings) = parse_args(args);
    for w in &warnings {
        say(&mut io.stderr, w);
    }
    let args = match args {
        ArgsOutcome::Run(args) => args,
        ArgsOutcome::Help => {
            let _ = writeln!(
                io.stdout,
                "{name} {version}: {summary}\n\n\
                 Reads one hook payload (JSON) from stdin; writes a decision for the client on\n\
                 stdout only when it has one. Never blocks the agent by accident: on any error\n\
                 it exits 0 with nothing on stdout and one line on stderr.\n\n\
                 Usage: {name} [--dialect claude|codex]\n\n\
                 Options:\n  --dialect <claude|codex>  the client (default: detected from the payload)\n  \
                 -h, --help                this text\n  -V, --version             the version",
                name = hook.name,
                version = env!("CARGO_PKG_VERSION"),
                summary = hook.summary,
            );
            return None;
        }
        ArgsOutcome::Version => {
            let _ = writeln!(io.stdout, "{} {}", hook.name, env!("CARGO_PKG_VERSION"));
            return None;
        }
    };

    let input = match read_capped(&mut io.stdin, STDIN_CAP).and_then(|b| parse_input(&b)) {
        Ok(input) => input,
        Err(e) => {
            say(&mut io.stderr, &format!("{e} (fail-open)"));
            return None;
        }
    };
    let event = input.event();
    if !hook.handles(&event) {
        let why = match &event {
            HookEvent::Unknown(name) => format!("unknown hook event '{name}'; ignored"),
            other => format!(
                "not meant for {other} (it acts on {}); ignored",
                hook.events.join(", ")
            ),
        };
        say(&mut io.stderr, &why);
        return None;
    }
    let dialect = args
        .dialect
        .unwrap_or_else(|| detect_dialect(&input, &io.env));
    if !(hook.applies)(&input, dialect) {
        return None;
    }
    let mut ctx = match Context::new(hook.name, input, dialect, io.env) {
        Ok(ctx) => ctx,
        Err(e) => {
            say(&mut io.stderr, &format!("{e} (fail-open)"));
            return None;
        }
    };
    let decided = (hook.decide)(&mut ctx);
    for w in ctx.take_warnings() {
        say(&mut io.stderr, &w);
    }
    let response = match decided {
        Ok(response) => response,
        Err(e) => {
            say(&mut io.stderr, &format!("{e} (fail-open)"));
            return Some(ctx);
        }
    };
    match render(dialect, &event, &response) {
        Ok(Some(json)) => {
            let _ = writeln!(io.stdout, "{json}");
            let _ = io.stdout.flush();
        }
        Ok(None) => {}
        Err(e) => say(&mut io.stderr, &format!("{e}; nothing sent (fail-open)")),
    }
    Some(ctx)
}
