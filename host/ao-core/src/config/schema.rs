//! The JSON Schema of `agent-orchestrator.yaml`, derived from the raw
//! layer's serde types so it cannot drift from what ao parses.

use super::raw::RawConfig;
use serde_json::Value as Json;

/// Where the config's JSON Schema ([`json_schema`]) is published: the
/// `$id` of the schema, and what a config's `$schema:` may point to.
pub const SCHEMA_ID: &str = "https://github.com/ao-dev/ao/raw/main/agent-orchestrator.schema.json";

/// The JSON Schema (draft 2020-12) of `agent-orchestrator.yaml`, derived
/// from the raw layer: serde's key names, unknown keys refused
/// (`additionalProperties: false`), a description on every key, and the
/// fixed choices (runtimes, workspace kinds, priorities) as enums. A key is
/// never `null` here (ao reads a null as absent, which is what leaving the
/// key out says). Editors use it for completion and checks; ao itself
/// validates with [`Config::parse`](super::Config::parse), which also
/// checks what a schema cannot (paths exist, names are defined…).
pub fn json_schema() -> Json {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(schemars::transform::RecursiveTransform(without_null))
        .into_generator();
    let mut schema = generator.into_root_schema_for::<RawConfig>().to_value();
    if let Json::Object(map) = &mut schema {
        map.insert("$id".into(), SCHEMA_ID.into());
        map.insert("title".into(), "agent-orchestrator.yaml".into());
    }
    schema
}

/// Takes `null` out of what schemars allows for an `Option`: a `"null"`
/// type, a `null` in an enum, or an `anyOf` branch (leaving its one other
/// branch in place, beside the description).
fn without_null(schema: &mut schemars::Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if let Some(Json::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            obj.insert("type".into(), only);
        }
    }
    if let Some(Json::Array(values)) = obj.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    let is_null = |s: &Json| s.get("type").and_then(Json::as_str) == Some("null");
    if let Some(Json::Array(branches)) = obj.get_mut("anyOf")
        && branches.iter().any(is_null)
    {
        branches.retain(|b| !is_null(b));
        if let [Json::Object(only)] = branches.as_slice() {
            let only = only.clone();
            obj.remove("anyOf");
            for (key, value) in only {
                obj.entry(key).or_insert(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, PRIORITIES, RUNTIMES, WORKSPACES};
    use serde_json::json;

    /// A config using every section, as a user might write it.
    const EXAMPLE: &str = "\
$schema: https://github.com/ao-dev/ao/raw/main/agent-orchestrator.schema.json
port: 3100
terminalPort: 3101
maxConcurrentSessions: 4
readyThresholdMs: 2000
defaults:
  runtime: tmux
  agent: claude-code
  workspace: worktree
  notifiers: [desktop]
  permissions: default
  orchestrator: { agent: claude-code }
  worker: { agent: codex }
projects:
  web:
    name: Web app
    repo: acme/web
    path: ~/code/web
    defaultBranch: main
    sessionPrefix: web
    remote: origin
    runtime: process
    agent: custom
    permissions: accept-edits
    workspace: clone
    tracker: { plugin: github }
    scm: { plugin: github }
    symlinks: [node_modules]
    include: [.env, '*.pem']
    postCreate: [npm ci]
    agentConfig:
      command: [my-agent, --auto]
      model: opus
    agentRules: |
      Run the tests before you push.
    agentRulesFile: RULES.md
    reactions:
      ci-failed: { retries: 2 }
    enabled: true
  api:
    path: ../api
notifiers:
  desktop: {}
  team:
    plugin: slack
    webhookUrl: https://hooks.slack.com/services/T/B/X
    channel: '#agents'
notificationRouting:
  urgent: [desktop, team]
  info: [team]
reactions:
  ci-failed: { action: send-to-agent, priority: urgent }
plugins:
  slack:
    enabled: true
    grant:
      http: [hooks.slack.com]
      secrets: [SLACK_TOKEN]
      programs: [gh]
      readDirs: [~/.config/ao]
      kv: true
    limits:
      memoryMiB: 32
      timeoutMs: 5000
      httpTimeoutMs: 10000
      maxResponseMiB: 8
lifecycle: { pollSeconds: 30 }
dashboard: { enabled: false }
power: { preventIdleSleep: true }
";

    fn props<'a>(schema: &'a Json, pointer: &str) -> &'a serde_json::Map<String, Json> {
        schema
            .pointer(pointer)
            .and_then(Json::as_object)
            .unwrap_or_else(|| panic!("no object at {pointer}"))
    }

    fn strings(value: &Json) -> Vec<&str> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect()
    }

    fn example() -> Json {
        serde_yaml::from_str(EXAMPLE).unwrap()
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::draft202012::new(&json_schema()).expect("the schema is valid 2020-12")
    }

    fn errors(instance: &Json) -> Vec<String> {
        validator()
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    #[test]
    fn it_is_a_titled_draft_2020_12_schema() {
        let schema = json_schema();
        assert_eq!(schema["title"], "agent-orchestrator.yaml");
        assert_eq!(schema["$id"], SCHEMA_ID);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["type"], "object");
    }

    #[test]
    fn every_key_is_named_as_serde_spells_it_and_described() {
        let schema = json_schema();
        let top: Vec<&str> = props(&schema, "/properties")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "$schema",
            "port",
            "terminalPort",
            "maxConcurrentSessions",
            "readyThresholdMs",
            "defaults",
            "projects",
            "notifiers",
            "notificationRouting",
            "reactions",
            "plugins",
            "lifecycle",
            "dashboard",
            "power",
        ];
        expected.sort();
        assert_eq!(top, expected);
        let project: Vec<&str> = props(&schema, "/$defs/Project/properties")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "name",
            "repo",
            "path",
            "defaultBranch",
            "sessionPrefix",
            "remote",
            "runtime",
            "agent",
            "permissions",
            "workspace",
            "tracker",
            "scm",
            "symlinks",
            "include",
            "postCreate",
            "agentConfig",
            "agentRules",
            "agentRulesFile",
            "reactions",
            "enabled",
        ];
        expected.sort();
        assert_eq!(project, expected);
        let limits = props(&schema, "/$defs/Limits/properties");
        assert!(limits.contains_key("memoryMiB") && limits.contains_key("maxResponseMiB"));
        assert!(props(&schema, "/$defs/Grant/properties").contains_key("readDirs"));

        // Every key of every section says what it is, on one line.
        let mut sections = vec![("/properties".to_string(), props(&schema, "/properties"))];
        for name in props(&schema, "/$defs").keys() {
            let pointer = format!("/$defs/{name}/properties");
            if schema.pointer(&pointer).is_some() {
                sections.push((pointer.clone(), props(&schema, &pointer)));
            }
        }
        assert_eq!(sections.len(), 8, "the root and seven sections");
        for (pointer, properties) in sections {
            for (key, sub) in properties {
                let description = sub["description"].as_str().unwrap_or_default();
                assert!(
                    description.len() > 20 && !description.contains('\n'),
                    "{pointer}/{key}: {description:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_keys_are_forbidden_except_in_open_sections() {
        let schema = json_schema();
        assert_eq!(schema["additionalProperties"], false);
        for name in [
            "Defaults",
            "Project",
            "Plugin",
            "Grant",
            "Limits",
            "SecretUse",
        ] {
            assert_eq!(
                schema["$defs"][name]["additionalProperties"], false,
                "{name}"
            );
        }
        // A notifier's other keys are its plugin's settings.
        assert_eq!(schema["$defs"]["Notifier"]["additionalProperties"], true);
        assert_eq!(schema["$defs"]["Project"]["required"], json!(["path"]));
    }

    #[test]
    fn fixed_choices_are_enums_in_step_with_the_validation() {
        let schema = json_schema();
        for section in ["/$defs/Project/properties", "/$defs/Defaults/properties"] {
            let p = props(&schema, section);
            assert_eq!(strings(&p["runtime"]["enum"]), ["tmux", "process"]);
            assert_eq!(strings(&p["runtime"]["enum"]), RUNTIMES);
            assert_eq!(strings(&p["workspace"]["enum"]), WORKSPACES);
            assert_eq!(p["agent"]["examples"][0], "claude-code");
        }
        assert_eq!(
            strings(&schema["properties"]["notificationRouting"]["propertyNames"]["enum"]),
            PRIORITIES
        );
        let limits = props(&schema, "/$defs/Limits/properties");
        assert_eq!(limits["memoryMiB"]["minimum"], 1);
        assert_eq!(limits["memoryMiB"]["maximum"], 4096);
        assert_eq!(limits["timeoutMs"]["maximum"], 600_000);
    }

    /// The example with its projects' paths made real, so the parser's
    /// checks beyond the schema (paths exist, rules file readable) pass.
    fn parseable(config: &Json, dir: &std::path::Path) -> String {
        let mut config = config.clone();
        for id in ["web", "api"] {
            std::fs::create_dir_all(dir.join(id)).unwrap();
            std::fs::write(dir.join(id).join("RULES.md"), "Be brief.").unwrap();
            if let Some(project) = config["projects"].get_mut(id) {
                project["path"] = json!(dir.join(id));
            }
        }
        serde_yaml::to_string(&config).unwrap()
    }

    #[test]
    fn a_realistic_config_is_valid_for_both_the_schema_and_the_parser() {
        let errors = errors(&example());
        assert!(errors.is_empty(), "{errors:#?}");
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(&parseable(&example(), dir.path()), None).unwrap();
        assert_eq!(config.projects["web"].workspace, "clone");
        assert!(validator().is_valid(&json!({})), "an empty config");
    }

    #[test]
    fn typos_and_wrong_choices_fail_where_the_parser_fails_too() {
        let cases: [(&str, &str, &str); 7] = [
            (
                "/projects/web/defaultBrnach",
                "/projects/web",
                "defaultBrnach",
            ),
            ("/notifers", "", "notifers"),
            (
                "/plugins/slack/limits/memoryMb",
                "/plugins/slack/limits",
                "memoryMb",
            ),
            (
                "/plugins/slack/grant/readdirs",
                "/plugins/slack/grant",
                "readdirs",
            ),
            ("/defaults/runtime", "/defaults/runtime", "docker"),
            ("/projects/web/workspace", "/projects/web/workspace", "copy"),
            (
                "/notificationRouting/critical",
                "/notificationRouting",
                "critical",
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (pointer, at, word) in cases {
            let mut config = example();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let parent = config.pointer_mut(parent).unwrap().as_object_mut().unwrap();
            match key {
                // A wrong value for an existing key.
                "runtime" | "workspace" => {
                    parent.insert(key.into(), json!(word));
                }
                _ => {
                    parent.insert(key.into(), json!(["desktop"]));
                }
            }
            let errors = errors(&config);
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&format!("{at}: ")) && e.contains(word)),
                "{pointer}: {errors:#?}"
            );
            // ao refuses it as well.
            let err = Config::parse(&parseable(&config, dir.path()), None).unwrap_err();
            assert!(err.to_string().contains(word), "{pointer}: {err}");
        }
        let mut config = example();
        config["plugins"]["slack"]["limits"]["memoryMiB"] = json!(0);
        assert!(!validator().is_valid(&config));
        let mut config = example();
        config["projects"]["bad id"] = json!({ "path": "." });
        assert!(!validator().is_valid(&config));
        let mut config = example();
        config["projects"]["api"] = json!({ "defaultBranch": "main" });
        assert!(!validator().is_valid(&config), "a project without a path");
    }
}
