//! The first message an agent gets: how ao works, the task, the project's rules.

/// What every ao agent is told, whatever the task.
const BASE_RULES: &str = "You are working in your own git worktree and branch, managed by ao. \
Work on the task below until it is done: make focused commits, push your branch, and open a pull request. \
If you need a decision from a person, ask it plainly and wait.";

/// Base rules, then the task, then the project's own rules.
pub fn compose_prompt(task: &str, project_rules: Option<&str>) -> String {
    let mut prompt = format!("{BASE_RULES}\n\nTask:\n{}", task.trim());
    if let Some(rules) = project_rules.map(str::trim).filter(|r| !r.is_empty()) {
        prompt.push_str(&format!("\n\nProject rules:\n{rules}"));
    }
    prompt
}
