//! The steps of the operations that record them, in order. A step is
//! recorded before it is taken, so the step on record is the furthest the
//! operation may have got: undoing it must undo that step too.

/// A spawn's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpawnStep {
    /// The id is reserved; nothing is made yet.
    Reserved,
    /// Making the branch and the workspace (both recorded).
    Workspace,
    /// Copying the include list, running postCreate, writing hook files.
    Prepare,
    /// Starting the runtime session (its handle recorded).
    Runtime,
    /// Typing the task into the agent.
    Prompt,
    /// The agent runs with its task; only the final status is missing.
    Running,
}

impl SpawnStep {
    pub const ALL: [SpawnStep; 6] = [
        SpawnStep::Reserved,
        SpawnStep::Workspace,
        SpawnStep::Prepare,
        SpawnStep::Runtime,
        SpawnStep::Prompt,
        SpawnStep::Running,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpawnStep::Reserved => "reserved",
            SpawnStep::Workspace => "workspace",
            SpawnStep::Prepare => "prepare",
            SpawnStep::Runtime => "runtime",
            SpawnStep::Prompt => "prompt",
            SpawnStep::Running => "running",
        }
    }

    /// The step on record (a session from before steps were recorded has
    /// none: it may have got anywhere).
    pub fn parse(name: Option<&str>) -> SpawnStep {
        name.and_then(|n| SpawnStep::ALL.into_iter().find(|s| s.as_str() == n))
            .unwrap_or(SpawnStep::Running)
    }
}

/// A kill's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KillStep {
    /// Ending the runtime session.
    Runtime,
    /// Checking the workspace for unsaved work.
    Checking,
    /// Removing the workspace: it was found safe (or forced), so a
    /// half-removed one is finished without checking again.
    Removing,
}

impl KillStep {
    pub fn as_str(self) -> &'static str {
        match self {
            KillStep::Runtime => "runtime",
            KillStep::Checking => "checking",
            KillStep::Removing => "removing",
        }
    }

    pub fn parse(name: Option<&str>) -> KillStep {
        match name {
            Some("removing") => KillStep::Removing,
            Some("checking") => KillStep::Checking,
            _ => KillStep::Runtime,
        }
    }
}
