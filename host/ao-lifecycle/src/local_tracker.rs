//! The local tracker: issues are Markdown files in the repository,
//! `.ao/issues/<id>.md`, with an optional YAML front matter:
//!
//! ```markdown
//! ---
//! title: Fix the login redirect
//! labels: [bug]
//! state: open
//! ---
//! After logging in, users land on / instead of the page they asked for.
//! ```
//!
//! The id is the file name; without front matter the first line is the title.

use ao_core::no_follow;
use std::path::{Path, PathBuf};

/// One issue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocalIssue {
    pub id: String,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    /// `open` or `closed`.
    pub state: String,
    pub path: PathBuf,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    state: Option<String>,
}

/// Where a project's issues live.
pub fn issues_dir(project_path: &Path) -> PathBuf {
    project_path.join(".ao/issues")
}

/// Reads issue `id`; the error says where it was looked for.
pub fn get(project_path: &Path, id: &str) -> Result<LocalIssue, String> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "`{id}` is not an issue id (letters, digits, `-`, `_`)"
        ));
    }
    let path = issues_dir(project_path).join(format!("{id}.md"));
    // The repository is not trusted: `.ao/issues/1.md → ~/.ssh/id_ed25519`
    // must not become an agent's task (nor `close` rewrite what it points at).
    let bytes = no_follow::read(project_path, &issue_file(id)).map_err(|e| {
        if e.is_not_found() {
            format!("no issue {id}: {} does not exist", path.display())
        } else {
            format!("issue {id}: cannot read {}: {e}", path.display())
        }
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("issue {id}: {} is not UTF-8 text", path.display()))?;
    parse(id, &text, &path)
}

/// Issue `id`'s file, relative to the project.
fn issue_file(id: &str) -> String {
    format!(".ao/issues/{id}.md")
}

/// Every issue, by id.
pub fn list(project_path: &Path) -> Result<Vec<LocalIssue>, String> {
    let dir = issues_dir(project_path);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut issues = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md")
            && let Some(id) = path.file_stem().and_then(|s| s.to_str())
        {
            issues.push(get(project_path, id)?);
        }
    }
    issues.sort_by_key(|i| natural(&i.id));
    Ok(issues)
}

fn natural(id: &str) -> (u64, String) {
    (id.parse().unwrap_or(u64::MAX), id.to_string())
}

fn parse(id: &str, text: &str, path: &Path) -> Result<LocalIssue, String> {
    let (front, body) = match text.strip_prefix("---\n") {
        Some(rest) => match rest.split_once("\n---") {
            Some((yaml, body)) => {
                let front: FrontMatter = serde_yaml::from_str(yaml)
                    .map_err(|e| format!("{}: front matter: {e}", path.display()))?;
                (
                    front,
                    body.trim_start_matches('-')
                        .trim_start_matches('\n')
                        .to_string(),
                )
            }
            None => {
                return Err(format!(
                    "{}: the front matter has no closing `---`",
                    path.display()
                ));
            }
        },
        None => (FrontMatter::default(), text.to_string()),
    };
    let (title, body) = match front.title {
        Some(t) => (t, body.trim().to_string()),
        None => {
            let mut lines = body.trim().lines();
            let first = lines
                .next()
                .unwrap_or(id)
                .trim_start_matches('#')
                .trim()
                .to_string();
            (
                first,
                lines.collect::<Vec<_>>().join("\n").trim().to_string(),
            )
        }
    };
    let state = front.state.unwrap_or_else(|| "open".into());
    if !["open", "closed"].contains(&state.as_str()) {
        return Err(format!(
            "{}: state `{state}` must be open or closed",
            path.display()
        ));
    }
    Ok(LocalIssue {
        id: id.to_string(),
        title,
        body,
        labels: front.labels,
        state,
        path: path.to_path_buf(),
    })
}

/// Marks an issue closed (its front matter's `state`), as a merge does.
pub fn close(project_path: &Path, id: &str) -> Result<(), String> {
    let issue = get(project_path, id)?;
    if issue.state == "closed" {
        return Ok(());
    }
    let bytes = no_follow::read(project_path, &issue_file(id)).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&bytes);
    let updated = match text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---"))
    {
        Some((yaml, rest)) if yaml.lines().any(|l| l.starts_with("state:")) => {
            let yaml: Vec<String> = yaml
                .lines()
                .map(|l| {
                    if l.starts_with("state:") {
                        "state: closed".to_string()
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            format!("---\n{}\n---{rest}", yaml.join("\n"))
        }
        Some((yaml, rest)) => format!("---\n{yaml}\nstate: closed\n---{rest}"),
        None => format!(
            "---\ntitle: {:?}\nstate: closed\n---\n{}",
            issue.title, issue.body
        ),
    };
    no_follow::write(project_path, &issue_file(id), updated.as_bytes(), 0o644)
        .map_err(|e| format!("{}: {e}", issue.path.display()))
}

/// The task text a coding agent gets for an issue.
pub fn prompt(issue: &LocalIssue) -> String {
    let mut text = format!("Issue #{}: {}", issue.id, issue.title);
    if !issue.labels.is_empty() {
        text.push_str(&format!(" [{}]", issue.labels.join(", ")));
    }
    if !issue.body.is_empty() {
        text.push_str(&format!("\n\n{}", issue.body));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_are_read_with_or_without_front_matter_and_listed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let issues = issues_dir(dir.path());
        std::fs::create_dir_all(&issues).unwrap();
        std::fs::write(
            issues.join("10.md"),
            "---\ntitle: Fix the login redirect\nlabels: [bug, web]\n---\nUsers land on /.\n",
        )
        .unwrap();
        std::fs::write(issues.join("2.md"), "# Add a dark mode\n\nPlease.\n").unwrap();
        let all = list(dir.path()).unwrap();
        assert_eq!(
            all.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["2", "10"]
        );
        let fix = get(dir.path(), "10").unwrap();
        assert_eq!(
            (fix.title.as_str(), fix.body.as_str(), fix.state.as_str()),
            ("Fix the login redirect", "Users land on /.", "open")
        );
        assert_eq!(
            prompt(&fix),
            "Issue #10: Fix the login redirect [bug, web]\n\nUsers land on /."
        );
        assert_eq!(get(dir.path(), "2").unwrap().title, "Add a dark mode");

        // Closing keeps the title, labels and body.
        close(dir.path(), "10").unwrap();
        close(dir.path(), "2").unwrap();
        let closed = get(dir.path(), "10").unwrap();
        assert_eq!(
            (
                closed.state.as_str(),
                closed.labels.len(),
                closed.body.as_str()
            ),
            ("closed", 2, "Users land on /.")
        );
        let closed = get(dir.path(), "2").unwrap();
        assert_eq!(
            (
                closed.state.as_str(),
                closed.title.as_str(),
                closed.body.as_str()
            ),
            ("closed", "Add a dark mode", "Please.")
        );
    }

    /// A repository's issue file (or its directory) that is a link outside:
    /// never read into a task, never rewritten by `close`.
    #[test]
    fn issues_that_are_links_are_refused() {
        use std::os::unix::fs::symlink;
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("bashrc");
        std::fs::write(&victim, "export SECRET=1\n").unwrap();

        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(issues_dir(repo.path())).unwrap();
        symlink(&victim, issues_dir(repo.path()).join("1.md")).unwrap();
        for err in [
            get(repo.path(), "1").unwrap_err(),
            close(repo.path(), "1").unwrap_err(),
        ] {
            assert!(
                err.contains("symbolic link") && err.contains("1.md"),
                "{err}"
            );
        }
        assert!(
            get(repo.path(), "3")
                .unwrap_err()
                .contains("does not exist")
        );

        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join(".ao")).unwrap();
        std::fs::write(outside.path().join("2.md"), "# Hi\n").unwrap();
        symlink(outside.path(), issues_dir(repo.path())).unwrap();
        let err = close(repo.path(), "2").unwrap_err();
        assert!(err.contains("symbolic link"), "{err}");

        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "export SECRET=1\n"
        );
        assert_eq!(
            std::fs::read_to_string(outside.path().join("2.md")).unwrap(),
            "# Hi\n"
        );
    }

    #[test]
    fn bad_issues_are_named_with_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let issues = issues_dir(dir.path());
        std::fs::create_dir_all(&issues).unwrap();
        std::fs::write(issues.join("1.md"), "---\ntitel: typo\n---\nx").unwrap();
        let e = get(dir.path(), "1").unwrap_err();
        assert!(e.contains("1.md") && e.contains("titel"), "{e}");
        assert!(get(dir.path(), "9").unwrap_err().contains("no issue 9"));
        assert!(get(dir.path(), "../x").is_err());
    }
}
