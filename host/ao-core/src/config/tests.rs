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
