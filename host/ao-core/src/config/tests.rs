use super::*;

const GOOD: &str = "\
port: 3100
defaults:
  notifiers: [desktop]
notifiers:
  desktop: {}
  team:
    plugin: slack
    webhookUrl: https://hooks.slack.com/services/T/B/X
notificationRouting:
  urgent: [desktop, team]
  info: [team]
plugins:
  slack:
    grant:
      http: [hooks.slack.com]
    limits:
      memoryMiB: 32
";

#[test]
fn a_good_config_resolves() {
    let config = Config::parse(GOOD, Some(Path::new("ao.yaml"))).unwrap();
    assert_eq!(config.port, 3100);
    assert_eq!(config.notifiers["desktop"].plugin, "desktop");
    assert_eq!(config.notifiers["team"].plugin, "slack");
    assert_eq!(
        config.notifiers["team"].settings["webhookUrl"],
        "https://hooks.slack.com/services/T/B/X"
    );
    let urgent: Vec<&str> = config
        .notifiers_for("urgent")
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(urgent, ["desktop", "team"]);
    // No routing for `warning`: the defaults.
    let warning: Vec<&str> = config
        .notifiers_for("warning")
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(warning, ["desktop"]);
    assert_eq!(config.plugins["slack"].limits.memory_mib, Some(32));
}

#[test]
fn an_unknown_key_names_the_line_and_field() {
    let err = Config::parse(
        "port: 3000\nnotifers:\n  x: {}\n",
        Some(Path::new("ao.yaml")),
    )
    .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("unknown field `notifers`"), "{err}");
    assert!(err.to_string().starts_with("ao.yaml:2: "), "{err}");
}

#[test]
fn a_wrong_type_names_the_nested_field() {
    let err = Config::parse(
        "plugins:\n  slack:\n    limits:\n      memoryMiB: lots\n",
        None,
    )
    .unwrap_err();
    assert_eq!(err.field, "plugins.slack.limits.memoryMiB");
    assert_eq!(err.line, Some(4));
}

#[test]
fn routing_to_an_undefined_notifier_points_at_the_routing_line() {
    let text = "notifiers:\n  desktop: {}\nnotificationRouting:\n  urgent: [desktop, pager]\n";
    let err = Config::parse(text, Some(Path::new("ao.yaml"))).unwrap_err();
    assert_eq!(err.line, Some(4), "{err}");
    assert_eq!(err.field, "notificationRouting.urgent");
    assert!(err.message.contains("`pager`"));
    assert!(err.hint.unwrap().contains("defined: desktop"));
}

#[test]
fn a_bad_priority_lists_the_valid_ones() {
    let err = Config::parse("notificationRouting:\n  critical: []\n", None).unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.hint.unwrap().contains("urgent, action, warning, info"));
}

#[test]
fn limits_out_of_range_are_refused() {
    let err = Config::parse("plugins:\n  x:\n    limits:\n      timeoutMs: 5\n", None).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.line),
        ("plugins.x.limits.timeoutMs", Some(4))
    );
}

#[test]
fn an_empty_file_is_the_defaults() {
    let config = Config::parse("", None).unwrap();
    assert!(config.notifiers.is_empty());
    assert_eq!(config.port, 3000);
}

#[test]
fn prefixes_are_derived_like_the_reference() {
    assert_eq!(derive_prefix("web"), "web");
    assert_eq!(derive_prefix("PyTorch"), "pt");
    assert_eq!(derive_prefix("agent-orchestrator"), "ao");
    assert_eq!(derive_prefix("snake_case_name"), "scn");
    assert_eq!(derive_prefix("frontend"), "fro");
}

#[test]
fn projects_resolve_with_defaults_and_paths_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("agent-orchestrator")).unwrap();
    std::fs::write(
        dir.path().join("agent-orchestrator/RULES.md"),
        "Run the tests.",
    )
    .unwrap();
    let text = "defaults:\n  agent: codex\nmaxConcurrentSessions: 4\nprojects:\n  ao:\n    path: agent-orchestrator\n    agentRules: Be brief.\n    agentRulesFile: RULES.md\n    include: [.env]\n    agentConfig: { model: opus }\n";
    let file = dir.path().join("agent-orchestrator.yaml");
    let config = Config::parse(text, Some(&file)).unwrap();
    let p = &config.projects["ao"];
    assert_eq!(
        p.path,
        dir.path()
            .join("agent-orchestrator")
            .canonicalize()
            .unwrap()
    );
    assert_eq!(
        (
            p.session_prefix.as_str(),
            p.agent.as_str(),
            p.runtime.as_str()
        ),
        ("ao", "codex", "tmux")
    );
    assert_eq!(p.default_branch, "main");
    assert_eq!(p.rules().as_deref(), Some("Be brief.\n\nRun the tests."));
    assert_eq!(p.agent_config["model"], "opus");
    assert_eq!(config.max_concurrent_sessions, Some(4));
}

#[test]
fn project_errors_point_at_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ao.yaml");
    let err = Config::parse("projects:\n  web:\n    path: nowhere\n", Some(&file)).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.line),
        ("projects.web.path", Some(3))
    );
    let err = Config::parse(
        "projects:\n  web:\n    path: .\n    runtime: docker\n",
        Some(&file),
    )
    .unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.line),
        ("projects.web.runtime", Some(4))
    );
    assert!(err.hint.unwrap().contains("tmux, process"));
    let err = Config::parse("projects:\n  a:\n    path: .\n    sessionPrefix: x\n  b:\n    path: .\n    sessionPrefix: x\n", Some(&file)).unwrap_err();
    assert!(err.message.contains("also used by project `a`"), "{err}");
    let err = Config::parse(
        "projects:\n  web:\n    path: .\n    symlinks: [../secret]\n",
        Some(&file),
    )
    .unwrap_err();
    assert_eq!(err.field, "projects.web.symlinks");
    // Values git would read as options never reach its command line.
    let err = Config::parse(
        "projects:\n  web:\n    path: .\n    remote: \"--upload-pack=touch /tmp/x\"\n",
        Some(&file),
    )
    .unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.line),
        ("projects.web.remote", Some(4))
    );
    let err = Config::parse(
        "projects:\n  web:\n    path: .\n    defaultBranch: -x\n",
        Some(&file),
    )
    .unwrap_err();
    assert_eq!(err.field, "projects.web.defaultBranch");
    let err = Config::parse("projects:\n  web:\n    pth: .\n", Some(&file)).unwrap_err();
    assert!(err.message.contains("unknown field `pth`"), "{err}");
}

fn project_config(extra_top: &str, extra_project: &str) -> Result<Config, ConfigError> {
    let dir = std::env::temp_dir();
    Config::parse(
        &format!(
            "{extra_top}projects:\n  web:\n    path: {}\n{extra_project}",
            dir.display()
        ),
        Some(Path::new("ao.yaml")),
    )
}

#[test]
fn trackers_and_scms_default_to_local_and_take_settings() {
    let c = project_config("", "").unwrap();
    assert!(c.projects["web"].tracker.is_local() && c.projects["web"].scm.is_local());
    let c = project_config(
        "",
        "    tracker: github\n    scm: { plugin: local, ci: \"make test\" }\n",
    )
    .unwrap();
    assert_eq!(c.projects["web"].tracker.plugin, "github");
    assert_eq!(c.projects["web"].scm.setting("ci"), Some("make test"));
}

#[test]
fn reactions_layer_defaults_top_level_and_project() {
    use integrations::Action;
    let c = project_config(
        "reactions:\n  ci-failed: { retries: 1 }\n  approved-and-green: { action: auto-merge }\n",
        "    reactions:\n      ci-failed: { action: notify, priority: urgent }\n",
    )
    .unwrap();
    let r = &c.projects["web"].reactions;
    assert_eq!(r["ci-failed"].action, Action::Notify);
    assert_eq!(r["ci-failed"].retries, 1, "the top level's setting is kept");
    assert_eq!(r["ci-failed"].priority, "urgent");
    assert_eq!(r["approved-and-green"].action, Action::AutoMerge);
    assert_eq!(
        r["changes-requested"].action,
        Action::SendToAgent,
        "a default"
    );
}

#[test]
fn bad_reactions_name_the_line_and_the_choices() {
    let e = project_config("reactions:\n  ci-broke: { action: notify }\n", "").unwrap_err();
    assert!(e.to_string().contains("ao.yaml:2"), "{e}");
    assert!(
        e.hint.as_deref().unwrap_or("").contains("ci-failed"),
        "{e:?}"
    );
    let e = project_config("reactions:\n  ci-failed: { action: panic }\n", "").unwrap_err();
    assert!(
        e.hint.as_deref().unwrap_or("").contains("send-to-agent"),
        "{e:?}"
    );
    let e = project_config("reactions:\n  ci-failed: { action: auto-merge }\n", "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("only for `approved-and-green`"), "{e}");
}

#[test]
fn escalation_and_thresholds_take_counts_and_durations() {
    use integrations::EscalateAfter;
    use std::time::Duration;
    let c = project_config(
        "reactions:\n  ci-failed: { escalateAfter: 2 }\n  changes-requested: { escalateAfter: 45m }\n  agent-stuck: { threshold: 7m }\n",
        "",
    )
    .unwrap();
    let r = &c.projects["web"].reactions;
    assert_eq!(
        r["ci-failed"].escalate_after,
        Some(EscalateAfter::Attempts(2))
    );
    assert_eq!(
        r["changes-requested"].escalate_after,
        Some(EscalateAfter::Elapsed(Duration::from_secs(45 * 60)))
    );
    assert_eq!(
        r["agent-stuck"].threshold,
        Some(Duration::from_secs(7 * 60))
    );
    assert_eq!(
        r["merge-conflicts"].escalate_after,
        Some(EscalateAfter::Elapsed(Duration::from_secs(15 * 60))),
        "a default"
    );
    // Two attempts allowed; the third goes to people. 45 minutes after the
    // first attempt, so does any.
    let ci = &r["ci-failed"];
    assert!(!ci.overdue(2, 0, 1_000) && ci.overdue(3, 0, 1_000));
    let review = &r["changes-requested"];
    assert!(!review.overdue(1, 0, 44 * 60_000) && review.overdue(1, 0, 45 * 60_000));

    let e = project_config("reactions:\n  ci-failed: { escalateAfter: soon }\n", "")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ao.yaml:2") && e.contains("`soon` is not a duration"),
        "{e}"
    );
    let e = project_config("reactions:\n  ci-failed: { threshold: 5m }\n", "")
        .unwrap_err()
        .to_string();
    assert!(e.contains("only applies to `agent-stuck`"), "{e}");
}

#[test]
fn permissions_default_to_bypass_and_are_set_per_project() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ao.yaml");
    let text = "defaults:\n  permissions: accept-edits\nprojects:\n  a:\n    path: .\n    sessionPrefix: a\n  b:\n    path: .\n    sessionPrefix: b\n    permissions: default\n";
    let config = Config::parse(text, Some(&file)).unwrap();
    assert_eq!(config.projects["a"].permissions, Permissions::AcceptEdits);
    assert_eq!(config.projects["b"].permissions, Permissions::Default);
    let config = Config::parse("projects:\n  a:\n    path: .\n", Some(&file)).unwrap();
    assert_eq!(config.projects["a"].permissions, Permissions::Bypass);
    let err = Config::parse(
        "projects:\n  web:\n    path: .\n    permissions: yolo\n",
        Some(&file),
    )
    .unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.line),
        ("projects.web.permissions", Some(4))
    );
    assert!(err.hint.unwrap().contains("bypass, accept-edits, default"));
}

/// The rules file's text goes into every prompt: it is read from inside the
/// project only, never through a link (`RULES.md → ~/.ssh/id_ed25519`).
#[test]
fn the_rules_file_is_read_from_inside_the_project_only() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("id_ed25519"), "PRIVATE KEY").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("id_ed25519"),
        dir.path().join("RULES.md"),
    )
    .unwrap();
    let file = dir.path().join("agent-orchestrator.yaml");
    for (rules, why) in [
        ("RULES.md", "symbolic link"),
        ("../id_ed25519", "relative path inside"),
        ("/etc/hostname", "relative path inside"),
    ] {
        std::fs::write(
            &file,
            format!("projects:\n  web:\n    path: .\n    agentRulesFile: {rules}\n"),
        )
        .unwrap();
        let err = Config::load(&file).unwrap_err().to_string();
        assert!(
            err.contains("agentRulesFile") && err.contains(why) && !err.contains("PRIVATE"),
            "{rules}: {err}"
        );
    }
}
