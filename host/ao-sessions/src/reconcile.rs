//! Reconciling activity sources into one state that neither flaps nor
//! sticks. Sources rank hooks > transcript > terminal; each claim is trusted
//! only while it is fresh enough, then the next source decides.

use std::fmt;

/// What an agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    /// Working (thinking, running tools).
    Active,
    /// Finished its turn; ready for more.
    Ready,
    /// Ready for a long time.
    Idle,
    /// Asked a person something (a question, a permission).
    WaitingInput,
    /// Stopped by an error it cannot get past.
    Blocked,
    /// Its program ended.
    Exited,
}

impl Activity {
    pub const ALL: [Activity; 6] = [
        Activity::Active,
        Activity::Ready,
        Activity::Idle,
        Activity::WaitingInput,
        Activity::Blocked,
        Activity::Exited,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Active => "active",
            Activity::Ready => "ready",
            Activity::Idle => "idle",
            Activity::WaitingInput => "waiting_input",
            Activity::Blocked => "blocked",
            Activity::Exited => "exited",
        }
    }

    pub fn parse(name: &str) -> Option<Activity> {
        Activity::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// States a person should hear about at once, never held back.
    fn is_urgent(self) -> bool {
        matches!(
            self,
            Activity::WaitingInput | Activity::Blocked | Activity::Exited
        )
    }
}

impl fmt::Display for Activity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ao_plugin_host::bindings::v0_1::Activity> for Activity {
    fn from(a: ao_plugin_host::bindings::v0_1::Activity) -> Activity {
        use ao_plugin_host::bindings::v0_1::Activity as Wit;
        match a {
            Wit::Active => Activity::Active,
            Wit::Ready => Activity::Ready,
            Wit::Idle => Activity::Idle,
            Wit::WaitingInput => Activity::WaitingInput,
            Wit::Blocked => Activity::Blocked,
            Wit::Exited => Activity::Exited,
        }
    }
}

/// Where a conclusion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The runtime: the program is not running.
    Runtime,
    /// The agent's hooks (`ao report`).
    Hook,
    /// The agent's own transcript file.
    Transcript,
    /// The agent plugin reading the screen.
    Terminal,
    /// Nothing usable: the previous conclusion, kept.
    Previous,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Runtime => "runtime",
            Source::Hook => "hook",
            Source::Transcript => "transcript",
            Source::Terminal => "terminal",
            Source::Previous => "previous",
        }
    }

    pub fn parse(name: &str) -> Option<Source> {
        [
            Source::Runtime,
            Source::Hook,
            Source::Transcript,
            Source::Terminal,
            Source::Previous,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A source's claim, and when it was made (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub activity: Activity,
    pub at: i64,
}

/// Everything known about one session at one moment.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub running: bool,
    pub hook: Option<Claim>,
    pub transcript: Option<Claim>,
    /// What the screen shows now.
    pub terminal: Option<Activity>,
    /// The last conclusion, its source, and since when it has held.
    pub previous: Option<(Activity, Source, i64)>,
}

/// How long each kind of claim is trusted.
#[derive(Debug, Clone, Copy)]
pub struct AgeLimits {
    /// A hook's "active": hooks fire on every tool call, so a busy agent
    /// refreshes this often; silence this long means the hook went quiet.
    pub hook_active_ms: i64,
    /// A hook's ready / waiting / blocked: true until the agent moves on.
    pub hook_settled_ms: i64,
    /// A transcript claim, from the file's last write.
    pub transcript_ms: i64,
    /// Ready for this long becomes idle.
    pub idle_after_ms: i64,
    /// A screen-read change must hold this long before it replaces a
    /// screen-read conclusion (spinners and redraws flicker).
    pub terminal_dwell_ms: i64,
}

impl Default for AgeLimits {
    fn default() -> Self {
        AgeLimits {
            hook_active_ms: 5 * 60_000,
            hook_settled_ms: 60 * 60_000,
            transcript_ms: 2 * 60_000,
            idle_after_ms: 5 * 60_000,
            terminal_dwell_ms: 3_000,
        }
    }
}

/// The conclusion for `evidence` at time `now`; `None` when nothing is
/// known at all (shown as "unknown").
pub fn reconcile(evidence: &Evidence, limits: &AgeLimits, now: i64) -> Option<(Activity, Source)> {
    if !evidence.running {
        return Some((Activity::Exited, Source::Runtime));
    }
    let fresh_hook = evidence.hook.filter(|c| {
        let limit = if c.activity == Activity::Active {
            limits.hook_active_ms
        } else {
            limits.hook_settled_ms
        };
        now - c.at <= limit && c.activity != Activity::Exited
    });
    let fresh_transcript = evidence
        .transcript
        .filter(|c| now - c.at <= limits.transcript_ms);
    let terminal = evidence
        .terminal
        .map(|activity| Claim { activity, at: now });

    let mut chosen = [
        (fresh_hook, Source::Hook),
        (fresh_transcript, Source::Transcript),
        (terminal, Source::Terminal),
    ]
    .into_iter()
    .find_map(|(claim, source)| claim.map(|c| (c, source)));

    // A settled hook claim is overtaken by a newer transcript entry showing
    // work: the agent moved on without a hook saying so. (Not by the screen:
    // it has no timestamps, and old output lingers on it.)
    if let Some((claim, Source::Hook)) = chosen
        && claim.activity != Activity::Active
        && let Some(newer) =
            fresh_transcript.filter(|c| c.activity == Activity::Active && c.at > claim.at)
    {
        chosen = Some((newer, Source::Transcript));
    }

    // A question on the screen now beats a claim of work: an agent that
    // stops for an approval writes nothing to its transcript while it
    // waits (Codex), so its last entry still says "active". Plugins read
    // questions from the live bottom of the screen, not from old output.
    if let Some((claim, Source::Hook | Source::Transcript)) = chosen
        && claim.activity == Activity::Active
        && let Some(asking) =
            terminal.filter(|c| matches!(c.activity, Activity::WaitingInput | Activity::Blocked))
    {
        chosen = Some((asking, Source::Terminal));
    }

    let Some((claim, source)) = chosen else {
        // Nothing usable now (e.g. a screen the plugin cannot read): keep
        // the last conclusion rather than invent one.
        return evidence
            .previous
            .filter(|(activity, _, _)| *activity != Activity::Exited)
            .map(|(activity, _, _)| (activity, Source::Previous));
    };
    let mut activity = claim.activity;

    // Ready for long enough is idle: from the claim's own time, or from
    // when the previous ready/idle conclusion began.
    if activity == Activity::Ready {
        let since = match evidence.previous {
            Some((Activity::Ready | Activity::Idle, _, since)) => since.min(claim.at),
            _ => claim.at,
        };
        if now - since >= limits.idle_after_ms {
            activity = Activity::Idle;
        }
    }

    // Hysteresis for screen reading only: keep a young screen-read
    // conclusion unless the change is urgent.
    if source == Source::Terminal
        && let Some((previous, Source::Terminal, since)) = evidence.previous
        && previous != activity
        && !activity.is_urgent()
        && previous != Activity::Exited
        && now - since < limits.terminal_dwell_ms
    {
        return Some((previous, Source::Terminal));
    }
    Some((activity, source))
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
