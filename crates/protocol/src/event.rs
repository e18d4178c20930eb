use std::fmt;

/// A hook event by name. The events selfheal acts on are variants; every other event either
/// client is known to send is `Other` with its name, and anything else is `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookEvent {
    SessionStart,
    SessionEnd,
    UserPromptSubmit,
    PreToolUse,
    PermissionRequest,
    PostToolUse,
    /// Claude only.
    PostToolUseFailure,
    /// Claude only.
    PostToolBatch,
    Stop,
    /// Claude only.
    StopFailure,
    SubagentStart,
    SubagentStop,
    PreCompact,
    PostCompact,
    /// Codex only.
    Interrupt,
    /// An event one of the clients is known to send that selfheal has no use for.
    Other(String),
    /// A name neither client is known to send.
    Unknown(String),
}

/// Events Claude Code 2.1.328 lists besides the ones with their own variant.
const OTHER_KNOWN: &[&str] = &[
    "Notification",
    "PermissionDenied",
    "Setup",
    "PreModelSwitch",
    "PostModelSwitch",
    "TeammateIdle",
    "TaskCreated",
    "TaskCompleted",
    "Elicitation",
    "ElicitationResult",
    "WorktreeCreate",
    "WorktreeRemove",
    "DirectoryAdded",
    "InstructionsLoaded",
    "CwdChanged",
    "FileChanged",
    "ConfigChange",
    "MessageDisplay",
    "UserPromptExpansion",
];

impl HookEvent {
    pub fn from_name(name: &str) -> HookEvent {
        match name {
            "SessionStart" => HookEvent::SessionStart,
            "SessionEnd" => HookEvent::SessionEnd,
            "UserPromptSubmit" => HookEvent::UserPromptSubmit,
            "PreToolUse" => HookEvent::PreToolUse,
            "PermissionRequest" => HookEvent::PermissionRequest,
            "PostToolUse" => HookEvent::PostToolUse,
            "PostToolUseFailure" => HookEvent::PostToolUseFailure,
            "PostToolBatch" => HookEvent::PostToolBatch,
            "Stop" => HookEvent::Stop,
            "StopFailure" => HookEvent::StopFailure,
            "SubagentStart" => HookEvent::SubagentStart,
            "SubagentStop" => HookEvent::SubagentStop,
            "PreCompact" => HookEvent::PreCompact,
            "PostCompact" => HookEvent::PostCompact,
            "Interrupt" => HookEvent::Interrupt,
            other if OTHER_KNOWN.contains(&other) => HookEvent::Other(other.to_owned()),
            other => HookEvent::Unknown(other.to_owned()),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            HookEvent::SessionStart => "SessionStart",
            HookEvent::SessionEnd => "SessionEnd",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PermissionRequest => "PermissionRequest",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::PostToolUseFailure => "PostToolUseFailure",
            HookEvent::PostToolBatch => "PostToolBatch",
            HookEvent::Stop => "Stop",
            HookEvent::StopFailure => "StopFailure",
            HookEvent::SubagentStart => "SubagentStart",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::PostCompact => "PostCompact",
            HookEvent::Interrupt => "Interrupt",
            HookEvent::Other(name) | HookEvent::Unknown(name) => name,
        }
    }

    /// Every event with a variant of its own, for tests that enumerate output forms.
    pub fn acted_on() -> [HookEvent; 15] {
        [
            HookEvent::SessionStart,
            HookEvent::SessionEnd,
            HookEvent::UserPromptSubmit,
            HookEvent::PreToolUse,
            HookEvent::PermissionRequest,
            HookEvent::PostToolUse,
            HookEvent::PostToolUseFailure,
            HookEvent::PostToolBatch,
            HookEvent::Stop,
            HookEvent::StopFailure,
            HookEvent::SubagentStart,
            HookEvent::SubagentStop,
            HookEvent::PreCompact,
            HookEvent::PostCompact,
            HookEvent::Interrupt,
        ]
    }
}

impl fmt::Display for HookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
