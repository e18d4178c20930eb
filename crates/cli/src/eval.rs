//! `selfheal eval DIR`: replays labelled cases (the corpus format of `shared/corpus/`)
//! through the real hook binaries, each case with a fresh project dir and state DB, and
//! measures the classifier: per-class precision and recall, the confusion matrix, macro-F1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _, Result};
use selfheal_model::Class;
use selfheal_state::Store;
use serde_json::Value;

/// The placeholder the corpus writes for the project dir.
const PROJECT: &str = "/workspace/project";

/// One labelled case.
struct Case {
    id: String,
    dialect: String,
    expect: Class,
    steps: Vec<Value>,
}

/// What came of one case.
pub struct Outcome {
    pub id: String,
    pub expect: Class,
    pub got: Class,
    pub evidence: String,
}

/// Per-class counts and the scores derived from them.
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// `matrix[expected][got]`, in `Class::ALL` order.
    pub matrix: Vec<Vec<u32>>,
}

impl Report {
    fn index(class: Class) -> usize {
        Class::ALL
            .iter()
            .position(|c| *c == class)
            .expect("every class listed")
    }

    pub fn precision(&self, class: Class) -> f64 {
        let k = Self::index(class);
        let predicted: u32 = self.matrix.iter().map(|row| row[k]).sum();
        ratio(self.matrix[k][k], predicted)
    }

    pub fn recall(&self, class: Class) -> f64 {
        let k = Self::index(class);
        ratio(self.matrix[k][k], self.matrix[k].iter().sum())
    }

    pub fn f1(&self, class: Class) -> f64 {
        let (p, r) = (self.precision(class), self.recall(class));
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Mean F1 over the classes that occur (expected or predicted).
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<Class> = Class::ALL
            .into_iter()
            .filter(|c| {
                let k = Self::index(*c);
                self.matrix[k].iter().sum::<u32>() > 0 || self.matrix.iter().any(|r| r[k] > 0)
            })
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|c| self.f1(*c)).sum::<f64>() / present.len() as f64
    }

    pub fn accuracy(&self) -> f64 {
        let right = self.outcomes.iter().filter(|o| o.expect == o.got).count();
        ratio(right as u32, self.outcomes.len() as u32)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        0.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

/// Runs every case in `dir` and prints the report (`json`: one JSON object).
pub fn run(dir: &Path, json: bool, verbose: bool, out: &mut dyn Write) -> Result<()> {
    let hooks = HookBins::beside_current_exe()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no case files (*.json) in {}", dir.display());
    }
    let scratch = Scratch::new()?;
    let mut report = Report {
        outcomes: Vec::new(),
        matrix: vec![vec![0; Class::ALL.len()]; Class::ALL.len()],
    };
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr());
    for (n, file) in files.iter().enumerate() {
        if progress {
            eprint!("\reval: {}/{} cases", n + 1, files.len());
        }
        let case = load_case(file)?;
        let dir = scratch.case_dir(n)?;
        let outcome =
            replay(&hooks, &case, &dir).with_context(|| format!("replaying {}", file.display()))?;
        report.matrix[Report::index(outcome.expect)][Report::index(outcome.got)] += 1;
        report.outcomes.push(outcome);
    }
    if progress {
        eprintln!();
    }
    if json {
        print_json(&report, out)
    } else {
        print_table(&report, verbose, out)
    }
}

fn load_case(file: &Path) -> Result<Case> {
    let text = std::fs::read_to_string(file)?;
    let v: Value = serde_json::from_str(&text).context("not JSON")?;
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .with_context(|| format!("missing \"{k}\""))
    };
    let expect: Class = field("expect")?
        .parse()
        .map_err(|e| anyhow::anyhow!("\"expect\": {e}"))?;
    let steps = v
        .get("steps")
        .and_then(Value::as_array)
        .context("missing \"steps\"")?
        .clone();
    Ok(Case {
        id: field("id")?.to_owned(),
        dialect: field("dialect")?.to_owned(),
        expect,
        steps,
    })
}

struct HookBins {
    dir: PathBuf,
}

impl HookBins {
    fn beside_current_exe() -> Result<HookBins> {
        let exe = std::env::current_exe().context("locating the selfheal binary")?;
        let dir = exe
            .parent()
            .context("the binary's directory")?
            .to_path_buf();
        for name in ["failure-classifier", "schema-guard", "patch-verifier"] {
            if !dir.join(name).is_file() {
                bail!(
                    "{name} is not beside {} (install all selfheal binaries together)",
                    exe.display()
                );
            }
        }
        Ok(HookBins { dir })
    }

    /// The hooks registered for an event (as in hooks.example.json / profiles/codex).
    fn for_event(&self, event: &Value) -> Vec<PathBuf> {
        let name = event
            .get("hook_event_name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let tool = event.get("tool_name").and_then(Value::as_str).unwrap_or("");
        let edit = matches!(
            tool,
            "Edit" | "MultiEdit" | "Write" | "NotebookEdit" | "apply_patch"
        );
        let names: &[&str] = match name {
            "PreToolUse" => &["schema-guard"],
            "PostToolUse" if edit => &["failure-classifier", "patch-verifier"],
            "PostToolUse" | "PostToolUseFailure" | "PostToolBatch" => &["failure-classifier"],
            _ => &[],
        };
        names.iter().map(|n| self.dir.join(n)).collect()
    }
}

/// A temporary directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch> {
        let base = std::env::temp_dir().join(format!(
            "selfheal-eval-{}-{}",
            std::process::id(),
            selfheal_state::now_ms()
        ));
        std::fs::create_dir_all(&base).with_context(|| format!("creating {}", base.display()))?;
        Ok(Scratch(base))
    }

    fn case_dir(&self, n: usize) -> Result<PathBuf> {
        let dir = self.0.join(format!("case-{n}"));
        std::fs::create_dir_all(dir.join("project"))?;
        std::fs::create_dir_all(dir.join("home"))?;
        Ok(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn replay(hooks: &HookBins, case: &Case, dir: &Path) -> Result<Outcome> {
    let project = dir.join("project");
    let project_str = project.to_string_lossy().into_owned();
    let db = dir.join("state.db");
    let mut judged: Vec<String> = Vec::new();
    for step in &case.steps {
        if let Some(files) = step.get("files").and_then(Value::as_object) {
            for (rel, content) in files {
                let path = project.join(rel);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&path, content.as_str().unwrap_or(""))?;
            }
        }
        if let Some(event) = step.get("event") {
            let text = serde_json::to_string(event)?.replace(PROJECT, &project_str);
            let event: Value = serde_json::from_str(&text)?;
            judged = tool_use_ids(&event);
            // Claude ends the line with a newline; Codex does not.
            let stdin = if case.dialect == "claude" {
                format!("{text}\n")
            } else {
                text
            };
            for bin in hooks.for_event(&event) {
                run_hook(&bin, &case.dialect, &stdin, &project, &db, dir)?;
            }
        }
    }
    let (got, evidence) = judged_class(&db, &judged)?;
    Ok(Outcome {
        id: case.id.clone(),
        expect: case.expect,
        got,
        evidence,
    })
}

fn tool_use_ids(event: &Value) -> Vec<String> {
    if let Some(calls) = event.get("tool_calls").and_then(Value::as_array) {
        return calls
            .iter()
            .filter_map(|c| c.get("tool_use_id").and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
    }
    event
        .get("tool_use_id")
        .and_then(Value::as_str)
        .map(|s| vec![s.to_owned()])
        .unwrap_or_default()
}

fn run_hook(
    bin: &Path,
    dialect: &str,
    stdin: &str,
    project: &Path,
    db: &Path,
    dir: &Path,
) -> Result<()> {
    let mut cmd = Command::new(bin);
    cmd.arg("--dialect")
        .arg(dialect)
        .current_dir(project)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.join("home"))
        .env("SELFHEAL_DB", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if dialect == "claude" {
        cmd.env("CLAUDE_PROJECT_DIR", project);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("running {}", bin.display()))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())?;
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() && std::env::var_os("SELFHEAL_EVAL_DEBUG").is_some() {
        eprintln!("{}: {}", bin.display(), stderr.trim());
    }
    Ok(())
}

/// The class recorded for the judged calls: the classifier's, else schema-guard's (a
/// refused call's outcome), else `ok`.
fn judged_class(db: &Path, ids: &[String]) -> Result<(Class, String)> {
    let Some(mut store) = Store::open_read_only(db)? else {
        return Ok((Class::Ok, String::new()));
    };
    let rows = store.read(|tx| tx.events_for_tool_uses(ids))?;
    let pick = |hook: &str| {
        rows.iter()
            .rev()
            .find(|r| r.hook == hook && r.class.is_some())
            .map(|r| {
                (
                    r.class
                        .as_deref()
                        .unwrap_or("ok")
                        .parse()
                        .unwrap_or(Class::Ok),
                    r.evidence.clone().unwrap_or_default(),
                )
            })
    };
    // Of several judged calls (a batch), the worst class recorded counts.
    let classifier: Vec<(Class, String)> = rows
        .iter()
        .filter(|r| r.hook == "failure-classifier")
        .filter_map(|r| {
            Some((
                r.class.as_deref()?.parse().ok()?,
                r.evidence.clone().unwrap_or_default(),
            ))
        })
        .collect();
    if let Some(best) = classifier.iter().find(|(c, _)| *c != Class::Ok) {
        return Ok(best.clone());
    }
    if let Some(found) = pick("schema-guard") {
        return Ok(found);
    }
    Ok(classifier
        .into_iter()
        .next()
        .unwrap_or((Class::Ok, String::new())))
}

fn print_table(report: &Report, verbose: bool, out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "{:<6} {:>9} {:>7} {:>6} {:>8}",
        "class", "precision", "recall", "f1", "support"
    )?;
    for class in Class::ALL {
        let support: u32 = report.matrix[Report::index(class)].iter().sum();
        writeln!(
            out,
            "{:<6} {:>9.3} {:>7.3} {:>6.3} {:>8}",
            class.as_str(),
            report.precision(class),
            report.recall(class),
            report.f1(class),
            support
        )?;
    }
    writeln!(out)?;
    write!(out, "confusion (rows: expected, columns: got)\n{:<6}", "")?;
    for class in Class::ALL {
        write!(out, " {:>4}", class.as_str())?;
    }
    writeln!(out)?;
    for class in Class::ALL {
        write!(out, "{:<6}", class.as_str())?;
        for n in &report.matrix[Report::index(class)] {
            write!(out, " {n:>4}")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "cases {}  accuracy {:.3}  macro-F1 {:.3}",
        report.outcomes.len(),
        report.accuracy(),
        report.macro_f1()
    )?;
    let wrong: Vec<&Outcome> = report
        .outcomes
        .iter()
        .filter(|o| o.expect != o.got)
        .collect();
    if verbose && !wrong.is_empty() {
        writeln!(out, "\nmisclassified:")?;
        for o in wrong {
            writeln!(
                out,
                "  {} expected {} got {}: {}",
                o.id, o.expect, o.got, o.evidence
            )?;
        }
    }
    Ok(())
}

fn print_json(report: &Report, out: &mut dyn Write) -> Result<()> {
    let classes: serde_json::Map<String, Value> = Class::ALL
        .into_iter()
        .map(|c| {
            (
                c.as_str().to_owned(),
                serde_json::json!({
                    "precision": report.precision(c),
                    "recall": report.recall(c),
                    "f1": report.f1(c),
                    "support": report.matrix[Report::index(c)].iter().sum::<u32>(),
                }),
            )
        })
        .collect();
    let cases: Vec<Value> = report
        .outcomes
        .iter()
        .map(|o| serde_json::json!({"id": o.id, "expect": o.expect.as_str(), "got": o.got.as_str(), "evidence": o.evidence}))
        .collect();
    let v = serde_json::json!({
        "cases": report.outcomes.len(),
        "accuracy": report.accuracy(),
        "macro_f1": report.macro_f1(),
        "classes": classes,
        "labels": Class::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "confusion": report.matrix,
        "results": cases,
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    Ok(())
}
