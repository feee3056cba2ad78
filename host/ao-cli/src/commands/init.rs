//! `ao init`: a commented starter config for the repository in the current
//! directory, with its remote and default branch detected.

use crate::error::{CommandError, Result};
use anstream::println;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `owner/name` from a GitHub-style remote URL (https or scp-like ssh).
fn repo_slug(url: &str) -> Option<String> {
    let path = url.trim_end_matches('/').trim_end_matches(".git");
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/')?.1,
        None => path.split_once(':')?.1,
    };
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    (parts.len() >= 2).then(|| parts.join("/"))
}

/// The host of a remote URL (https, ssh:// or scp-like `git@host:path`).
fn remote_host(url: &str) -> Option<String> {
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.split('/').next()?,
        None => url.split_once(':')?.0,
    };
    let host = rest.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty() && host.contains('.')).then(|| host.to_ascii_lowercase())
}

/// The SCM line for the remote's forge (its PRs, CI and reviews through its
/// API: without it ao would poll the remote with `git ls-remote` every
/// cycle), and its tracker line commented out: issues are the user's choice.
fn provider_lines(url: Option<&str>) -> String {
    let Some(host) = url.and_then(remote_host) else {
        return String::new();
    };
    let (plugin, settings, token, docs) = match host.as_str() {
        "github.com" => ("github", String::new(), "GITHUB_TOKEN", "github"),
        "gitlab.com" => ("gitlab", String::new(), "GITLAB_TOKEN", "gitlab"),
        h if h.contains("gitlab") => (
            "gitlab",
            format!(", apiUrl: \"https://{h}/api/v4\""),
            "GITLAB_TOKEN",
            "gitlab",
        ),
        _ => return String::new(),
    };
    format!(
        "    # PRs, CI and reviews on the forge; export {token} (see docs/providers/{docs}.md).\n\
         \x20   scm: {{ plugin: {plugin}{settings} }}\n\
         \x20   # Take issues from there too:\n\
         \x20   # tracker: {{ plugin: {plugin}{settings} }}\n"
    )
}

pub fn run(force: bool) -> Result<()> {
    let cwd = std::env::current_dir()?;
    let root = git(&cwd, &["rev-parse", "--show-toplevel"]).ok_or_else(|| {
        CommandError::user("not inside a git repository")
            .hint("run `ao init` in the repository agents will work on")
    })?;
    let root = Path::new(&root);
    let target = root.join("agent-orchestrator.yaml");
    if target.exists() && !force {
        return Err(
            CommandError::user(format!("{} already exists", target.display()))
                .hint("pass --force to overwrite it"),
        );
    }
    let remote = git(root, &["remote"]).and_then(|r| {
        r.lines()
            .find(|l| *l == "origin")
            .or(r.lines().next())
            .map(str::to_string)
    });
    let default_branch = remote
        .as_ref()
        .and_then(|r| {
            git(
                root,
                &["symbolic-ref", "--short", &format!("refs/remotes/{r}/HEAD")],
            )
        })
        .and_then(|b| b.split_once('/').map(|(_, b)| b.to_string()))
        .or_else(|| git(root, &["symbolic-ref", "--short", "HEAD"]))
        .unwrap_or_else(|| "main".into());
    let remote_url = remote
        .as_ref()
        .and_then(|r| git(root, &["remote", "get-url", r]));
    let repo = remote_url.as_deref().and_then(repo_slug);
    let providers = provider_lines(remote_url.as_deref());
    let dir_name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into());
    let id: String = dir_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let prefix = ao_core::config::derive_prefix(&dir_name);

    let repo_line = match &repo {
        Some(slug) => format!("    repo: {slug}\n"),
        None => "    # repo: owner/name          # no remote found\n".into(),
    };
    let remote_line = match remote.as_deref() {
        Some("origin") | None => String::new(),
        Some(other) => format!("    remote: {other}\n"),
    };
    let text = format!(
        "# ao configuration: https://github.com/ao-dev/ao#configuration-agent-orchestratoryaml
# Check it with `ao plugin ls`; start an agent with `ao spawn --prompt \"…\"`.

projects:
  {id}:
    path: .                     # this checkout; each session gets its own worktree elsewhere
{repo_line}{remote_line}{providers}    defaultBranch: {default_branch}
    sessionPrefix: {prefix}            # sessions are {prefix}-1, {prefix}-2, …
    agent: claude-code          # or codex, aider, opencode, cursor, custom
    # include: [.env]           # untracked files copied into each worktree
    # symlinks: [node_modules]  # shared into each worktree instead of copied
    # postCreate: [\"npm ci\"]    # run in each new worktree
    # agentRules: |
    #   Run the tests before you push.

# maxConcurrentSessions: 5

# notifiers:
#   desktop: {{}}
#   team:
#     plugin: slack
#     webhookUrl: https://hooks.slack.com/services/…
# notificationRouting:
#   urgent: [desktop, team]
"
    );
    // Written to a new temporary file, then renamed: a half-written config
    // is never left behind, and a link committed in the repository (at the
    // config's name or the temporary one) is never written through.
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("agent-orchestrator.yaml");
    ao_core::no_follow::write(root, name, text.as_bytes(), 0o644).map_err(std::io::Error::other)?;
    // What we wrote must load.
    ao_core::Config::load(&target)?;
    println!(
        "wrote {} (project `{id}`, default branch `{default_branch}`{})",
        target.display(),
        repo.map(|r| format!(", repo {r}")).unwrap_or_default()
    );
    // The file is yours: trust it, unless the repository brought plugins
    // of its own (.ao/plugins/), which you review first.
    let paths = ao_core::Paths::from_env();
    if ao_core::trust::covered_files(&target).len() == 1 {
        ao_core::trust::TrustStore::open(&paths.data).trust(&target, ao_core::state::now_ms())?;
    } else {
        println!(
            "this repository has plugins in .ao/plugins/: review them, then run `ao trust` to use them and this config's grants"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{provider_lines, remote_host, repo_slug};

    #[test]
    fn the_forge_of_the_remote_is_suggested() {
        assert_eq!(
            remote_host("git@github.com:acme/web.git").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            remote_host("ssh://git@gitlab.example.com:2222/g/r").as_deref(),
            Some("gitlab.example.com")
        );
        assert_eq!(remote_host("/srv/git/origin.git"), None);
        assert!(
            provider_lines(Some("https://github.com/acme/web"))
                .contains("\n    scm: { plugin: github }")
        );
        let own = provider_lines(Some("git@gitlab.example.com:g/sub/r.git"));
        assert!(
            own.contains("apiUrl: \"https://gitlab.example.com/api/v4\""),
            "{own}"
        );
        assert_eq!(provider_lines(Some("/srv/git/origin.git")), "");
    }

    #[test]
    fn slugs_from_remote_urls() {
        assert_eq!(
            repo_slug("https://github.com/acme/web.git").as_deref(),
            Some("acme/web")
        );
        assert_eq!(
            repo_slug("git@github.com:acme/web.git").as_deref(),
            Some("acme/web")
        );
        assert_eq!(
            repo_slug("ssh://git@gitlab.com/group/sub/repo").as_deref(),
            Some("group/sub/repo")
        );
        assert_eq!(repo_slug("/srv/git/origin.git"), None);
    }
}
