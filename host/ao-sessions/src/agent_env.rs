//! The environment an agent program is started with: declared, not ao's
//! whole environment. It gets a base set (PATH, HOME, TERM, LANG, proxies,
//! the SSH agent for pushes…), the variables its plugin and ao set (hooks'
//! `AO_*`), and from ao's environment only the agent's own keys: the
//! names or `PREFIX_*` families its plugin requests as secrets and the
//! user grants (the first-party defaults are in ao-builtin-plugins'
//! build.rs: `ANTHROPIC_*` and `CLAUDE_*` for Claude Code…). A secret granted
//! to no agent, say a `GITHUB_TOKEN` meant for the GitHub plugin, is not
//! there.
//!
//! Both runtimes start the program from an environment ao does not fully
//! control (a tmux server started earlier, the supervisor's), so the
//! command itself is wrapped: `sh -c 'exec env -i NAME="$NAME"… "$@"'`
//! keeps exactly the declared names, whatever else the runtime passes.

use std::collections::BTreeSet;

/// Taken from ao's environment for every agent, when set (and every `LC_*`).
pub const BASE: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "TZ",
    "TMPDIR",
    "COLORTERM",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_RUNTIME_DIR",
    // Committing and pushing as the user, networks that need a proxy or
    // their own CAs.
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_SSH_COMMAND",
    "SSH_AUTH_SOCK",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
];

/// Kept as the runtime sets them (the terminal type of the pane or PTY).
const FROM_RUNTIME: &[&str] = &["TERM"];

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn covered(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) if !prefix.is_empty() => name.starts_with(prefix),
        _ => pattern == name,
    }
}

/// The declared environment: `set` (the plugin's and ao's own values, in
/// order, later wins), then from `ambient` (ao's environment) the base
/// names and those `granted` covers.
pub fn declared(
    set: Vec<(String, String)>,
    granted: &[String],
    ambient: impl IntoIterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in ambient {
        let passes = BASE.contains(&name.as_str())
            || name.starts_with("LC_")
            || granted.iter().any(|g| covered(g, &name));
        if passes && is_name(&name) {
            out.push((name, value));
        }
    }
    for (name, value) in set.into_iter().filter(|(n, _)| is_name(n)) {
        out.retain(|(n, _)| *n != name);
        out.push((name, value));
    }
    out
}

/// `argv` run with exactly the names of `env` (plus the runtime's TERM).
pub fn exact(argv: Vec<String>, env: &[(String, String)]) -> Vec<String> {
    let names: BTreeSet<&str> = env
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| is_name(n) && !FROM_RUNTIME.contains(n))
        .collect();
    // Declared names are set by the runtime; the runtime's own only if set.
    let keep: Vec<String> = names
        .iter()
        .map(|n| format!("{n}=\"${n}\""))
        .chain(
            FROM_RUNTIME
                .iter()
                .map(|n| format!("${{{n}:+\"{n}=${n}\"}}")),
        )
        .collect();
    let script = format!("exec env -i {} \"$@\"", keep.join(" "));
    let mut wrapped = vec![
        "sh".to_string(),
        "-c".to_string(),
        script,
        "ao-agent".to_string(),
    ];
    wrapped.extend(argv);
    wrapped
}

/// The command and environment a runtime gets for an agent whose plugin
/// has `granted` (its effective secrets).
pub fn launch(
    argv: Vec<String>,
    set: Vec<(String, String)>,
    granted: &[String],
) -> (Vec<String>, Vec<(String, String)>) {
    let ambient = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let env = declared(set, granted, ambient);
    (exact(argv, &env), env)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_declared_names_pass() {
        let ambient = vars(&[
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/u"),
            ("ANTHROPIC_API_KEY", "sk-ant"),
            ("GITHUB_TOKEN", "ghp-not-for-agents"),
            ("AWS_SECRET_ACCESS_KEY", "aws"),
        ]);
        let env = declared(
            vars(&[("AO_SESSION_ID", "web-1"), ("PATH", "/opt/agent:/usr/bin")]),
            &["ANTHROPIC_*".into()],
            ambient,
        );
        let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["HOME", "ANTHROPIC_API_KEY", "AO_SESSION_ID", "PATH"]
        );
        assert_eq!(env[3].1, "/opt/agent:/usr/bin");
    }

    #[test]
    fn the_wrapper_clears_everything_else() {
        let env = vars(&[("KEEP_ME", "a b \"c\" $d"), ("PATH", "/usr/bin:/bin")]);
        let argv = exact(vec!["sh".into(), "-c".into(), "env | sort".into()], &env);
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .env("LEAKED_SECRET", "x")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("TERM")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("KEEP_ME=a b \"c\" $d"), "{text}");
        assert!(!text.contains("LEAKED_SECRET"), "{text}");
        assert!(!text.contains("TERM="), "an unset TERM stays unset: {text}");
    }
}
