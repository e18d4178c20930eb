//! One configuration file, parsed and checked on its own so that errors point into it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use selfheal_model::{Budget, Class};
use serde::Deserialize;
use toml::Spanned;

use crate::{Argv, ClassifierRule, Config, ConfigError, PatchCheck, Profile};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    profile: Option<Spanned<String>>,
    budget: Option<RawBudget>,
    #[serde(rename = "loop")]
    loop_: Option<RawLoop>,
    scope: Option<RawScope>,
    verify: Option<RawVerify>,
    escalate: Option<RawEscalate>,
    classifier: Option<RawClassifier>,
    state: Option<RawState>,
    mcp: Option<RawMcp>,
    stop: Option<RawStop>,
    session_start: Option<RawSessionStart>,
    patch: Option<RawPatch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    retries: Option<u64>,
    replans: Option<u64>,
    substitutions: Option<u64>,
    model_escalations: Option<u64>,
    latency_secs: Option<u64>,
    cost_tokens: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoop {
    max_repeats: Option<Spanned<u32>>,
    similarity: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    allow: Option<Vec<String>>,
    deny: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerify {
    commands: Option<Vec<Spanned<RawCommand>>>,
    timeout_secs: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalate {
    command: Option<Spanned<RawCommand>>,
    timeout_secs: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassifier {
    rules: Option<Vec<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    class: Spanned<String>,
    pattern: Spanned<String>,
    priority: Option<i32>,
    tools: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    retention_days: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStop {
    max_refusals: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSessionStart {
    summary: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMcp {
    schemas: Option<BTreeMap<String, Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPatch {
    checks: Option<Vec<RawCheck>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    glob: Spanned<RawGlobs>,
    command: Spanned<RawCommand>,
    timeout_secs: Option<Spanned<u64>>,
}

/// `"*.rs"` or `["*.rs", "build.rs"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawGlobs {
    One(String),
    Many(Vec<String>),
}

/// `"cargo test --quiet"` (split on white space, no quoting) or `["sh", "-c", "…"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawCommand {
    Line(String),
    Argv(Vec<String>),
}

/// A checked layer: every value it sets, nothing it does not.
#[derive(Debug, Default)]
pub(crate) struct Layer {
    pub path: Option<PathBuf>,
    pub profile: Option<Profile>,
    budget: Vec<(Budget, u64)>,
    max_repeats: Option<u32>,
    similarity: Option<f64>,
    scope_allow: Option<Vec<String>>,
    scope_deny: Option<Vec<String>>,
    verify_commands: Option<Vec<Argv>>,
    verify_timeout_secs: Option<u64>,
    escalate_command: Option<Argv>,
    escalate_timeout_secs: Option<u64>,
    classifier_rules: Vec<ClassifierRule>,
    retention_days: Option<u64>,
    /// As written; relative paths are made relative to the file's directory by `read`.
    mcp_schemas: BTreeMap<String, PathBuf>,
    stop_max_refusals: Option<u32>,
    session_start_summary: Option<bool>,
    patch_checks: Option<Vec<PatchCheck>>,
}

impl Layer {
    pub fn read(path: &Path) -> Result<Layer, ConfigError> {
        Layer::read_text(path).map(|(layer, _)| layer)
    }

    /// [`Layer::read`], and the file's text.
    pub fn read_text(path: &Path) -> Result<(Layer, String), ConfigError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&name, None, None, format!("cannot read: {e}")))?;
        let mut layer = Layer::parse(&name, &text)?;
        // A schema path is relative to the directory of the file that names it.
        let dir = path.parent().unwrap_or(Path::new(""));
        for schema in layer.mcp_schemas.values_mut() {
            if schema.is_relative() {
                *schema = dir.join(&*schema);
            }
        }
        layer.path = Some(path.to_path_buf());
        Ok((layer, text))
    }

    /// Of [`crate::trust::COMMAND_KEYS`], those this layer sets to something that runs. An
    /// empty list runs nothing (it only clears a lower layer's).
    pub fn command_keys(&self) -> Vec<&'static str> {
        let [verify, escalate, checks] = crate::trust::COMMAND_KEYS;
        let mut keys = Vec::new();
        if self.verify_commands.as_ref().is_some_and(|c| !c.is_empty()) {
            keys.push(verify);
        }
        if self.escalate_command.is_some() {
            keys.push(escalate);
        }
        if self.patch_checks.as_ref().is_some_and(|c| !c.is_empty()) {
            keys.push(checks);
        }
        keys
    }

    /// Leaves out every command this layer would make selfheal run.
    pub fn drop_commands(&mut self) {
        self.verify_commands = None;
        self.escalate_command = None;
        self.patch_checks = None;
    }

    pub fn parse(name: &str, text: &str) -> Result<Layer, ConfigError> {
        let raw: Raw = toml::from_str(text)
            .map_err(|e| ConfigError::at_span(name, text, e.span(), e.message().trim()))?;
        let err = |span: std::ops::Range<usize>, msg: String| {
            ConfigError::at_span(name, text, Some(span), msg)
        };
        let mut layer = Layer::default();

        if let Some(p) = raw.profile {
            layer.profile = Some(Profile::from_name(p.get_ref()).ok_or_else(|| {
                err(
                    p.span(),
                    format!(
                        "unknown profile '{}' (expected strict, balanced or lenient)",
                        p.get_ref()
                    ),
                )
            })?);
        }
        if let Some(b) = raw.budget {
            for (budget, value) in [
                (Budget::Retries, b.retries),
                (Budget::Replans, b.replans),
                (Budget::Substitutions, b.substitutions),
                (Budget::ModelEscalations, b.model_escalations),
                (Budget::LatencySecs, b.latency_secs),
                (Budget::CostTokens, b.cost_tokens),
            ] {
                if let Some(v) = value {
                    layer.budget.push((budget, v));
                }
            }
        }
        if let Some(l) = raw.loop_ {
            if let Some(m) = l.max_repeats {
                if *m.get_ref() < 2 {
                    return Err(err(m.span(), "must be at least 2".into()));
                }
                layer.max_repeats = Some(m.into_inner());
            }
            if let Some(s) = l.similarity {
                if !(0.0..=1.0).contains(s.get_ref()) {
                    return Err(err(s.span(), "must be between 0.0 and 1.0".into()));
                }
                layer.similarity = Some(s.into_inner());
            }
        }
        if let Some(s) = raw.scope {
            layer.scope_allow = s.allow;
            layer.scope_deny = s.deny;
        }
        if let Some(v) = raw.verify {
            if let Some(commands) = v.commands {
                let mut argvs = Vec::new();
                for c in commands {
                    let span = c.span();
                    argvs.push(argv(c.into_inner()).map_err(|m| err(span, m))?);
                }
                layer.verify_commands = Some(argvs);
            }
            layer.verify_timeout_secs = positive(v.timeout_secs).map_err(|(s, m)| err(s, m))?;
        }
        if let Some(e) = raw.escalate {
            if let Some(c) = e.command {
                let span = c.span();
                layer.escalate_command = Some(argv(c.into_inner()).map_err(|m| err(span, m))?);
            }
            layer.escalate_timeout_secs = positive(e.timeout_secs).map_err(|(s, m)| err(s, m))?;
        }
        if let Some(rules) = raw.classifier.and_then(|c| c.rules) {
            for rule in rules {
                let class: Class = rule.class.get_ref().parse().map_err(
                    |e: selfheal_model::ParseClassError| err(rule.class.span(), e.to_string()),
                )?;
                if let Err(e) = regex::Regex::new(rule.pattern.get_ref()) {
                    let first = e.to_string();
                    let first = first.lines().last().unwrap_or("").trim().to_owned();
                    return Err(err(
                        rule.pattern.span(),
                        format!("invalid regular expression: {first}"),
                    ));
                }
                layer.classifier_rules.push(ClassifierRule {
                    class,
                    pattern: rule.pattern.into_inner(),
                    priority: rule.priority.unwrap_or(0),
                    tools: rule.tools.unwrap_or_default(),
                });
            }
        }
        if let Some(s) = raw.state {
            layer.retention_days = s.retention_days;
        }
        if let Some(s) = raw.stop {
            layer.stop_max_refusals = s.max_refusals;
        }
        if let Some(s) = raw.session_start {
            layer.session_start_summary = s.summary;
        }
        for (tool, path) in raw.mcp.and_then(|m| m.schemas).unwrap_or_default() {
            if !is_mcp_tool(&tool) {
                return Err(err(
                    path.span(),
                    format!("`{tool}` is not an MCP tool name (expected mcp__<server>__<tool>)"),
                ));
            }
            if path.get_ref().trim().is_empty() {
                return Err(err(
                    path.span(),
                    "a schema file path must not be empty".into(),
                ));
            }
            layer
                .mcp_schemas
                .insert(tool, PathBuf::from(path.into_inner()));
        }
        if let Some(checks) = raw.patch.and_then(|p| p.checks) {
            let mut out = Vec::new();
            for check in checks {
                let span = check.glob.span();
                let globs = match check.glob.into_inner() {
                    RawGlobs::One(g) => vec![g],
                    RawGlobs::Many(g) => g,
                };
                if globs.is_empty() || globs.iter().any(|g| g.trim().is_empty()) {
                    return Err(err(span, "a check needs a non-empty glob".into()));
                }
                let span = check.command.span();
                let command = argv(check.command.into_inner()).map_err(|m| err(span, m))?;
                let timeout_secs = positive(check.timeout_secs)
                    .map_err(|(s, m)| err(s, m))?
                    .unwrap_or(crate::PATCH_CHECK_TIMEOUT_SECS);
                out.push(PatchCheck {
                    globs,
                    command,
                    timeout_secs,
                });
            }
            layer.patch_checks = Some(out);
        }
        Ok(layer)
    }

    pub fn apply(&self, config: &mut Config) {
        for (budget, value) in &self.budget {
            config.budget.set(*budget, *value);
        }
        set(&mut config.max_repeats, self.max_repeats);
        set(&mut config.similarity, self.similarity);
        set(&mut config.scope_allow, self.scope_allow.clone());
        set(&mut config.scope_deny, self.scope_deny.clone());
        set(&mut config.verify_commands, self.verify_commands.clone());
        set(&mut config.verify_timeout_secs, self.verify_timeout_secs);
        if self.escalate_command.is_some() {
            config.escalate_command = self.escalate_command.clone();
        }
        set(
            &mut config.escalate_timeout_secs,
            self.escalate_timeout_secs,
        );
        config
            .classifier_rules
            .extend(self.classifier_rules.iter().cloned());
        set(&mut config.retention_days, self.retention_days);
        set(&mut config.stop_max_refusals, self.stop_max_refusals);
        set(
            &mut config.session_start_summary,
            self.session_start_summary,
        );
        set(&mut config.patch_checks, self.patch_checks.clone());
        // Per tool: a later layer's schema for the same tool wins.
        config.mcp_schemas.extend(
            self.mcp_schemas
                .iter()
                .map(|(tool, path)| (tool.clone(), path.clone())),
        );
    }
}

/// `mcp__<server>__<tool>`, both parts non-empty.
fn is_mcp_tool(name: &str) -> bool {
    name.strip_prefix("mcp__")
        .and_then(|rest| rest.split_once("__"))
        .is_some_and(|(server, tool)| !server.is_empty() && !tool.is_empty())
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn argv(command: RawCommand) -> Result<Argv, String> {
    let argv: Argv = match command {
        RawCommand::Line(line) => line.split_whitespace().map(str::to_owned).collect(),
        RawCommand::Argv(argv) => argv,
    };
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        return Err("a command needs a program to run".into());
    }
    Ok(argv)
}

type SpanError = (std::ops::Range<usize>, String);

fn positive(value: Option<Spanned<u64>>) -> Result<Option<u64>, SpanError> {
    match value {
        Some(v) if *v.get_ref() == 0 => Err((v.span(), "must be at least 1".into())),
        other => Ok(other.map(Spanned::into_inner)),
    }
}
