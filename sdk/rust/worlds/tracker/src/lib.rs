//! Generated export bindings of the `tracker-plugin` world; see `ao-plugin-sdk`.

#![allow(missing_docs, clippy::all)]

wit_bindgen::generate!({
    world: "tracker-plugin",
    path: "../../../../wit/v0.1.0",
    with: {
        "ao:plugin/types@0.1.0": ao_plugin_imports::ao::plugin::types,
        "ao:plugin/log@0.1.0": ao_plugin_imports::ao::plugin::log,
        "ao:plugin/config@0.1.0": ao_plugin_imports::ao::plugin::config,
        "ao:plugin/secrets@0.1.0": ao_plugin_imports::ao::plugin::secrets,
        "ao:plugin/http@0.1.0": ao_plugin_imports::ao::plugin::http,
        "ao:plugin/kv@0.1.0": ao_plugin_imports::ao::plugin::kv,
        "ao:plugin/process@0.1.0": ao_plugin_imports::ao::plugin::process,
        "ao:plugin/clock@0.1.0": ao_plugin_imports::ao::plugin::clock,
        "ao:plugin/notifier-types@0.1.0": ao_plugin_imports::ao::plugin::notifier_types,
        "ao:plugin/tracker-types@0.1.0": ao_plugin_imports::ao::plugin::tracker_types,
        "ao:plugin/scm-types@0.1.0": ao_plugin_imports::ao::plugin::scm_types,
        "ao:plugin/agent-types@0.1.0": ao_plugin_imports::ao::plugin::agent_types,
    },
    pub_export_macro: true,
    export_macro_name: "export_world",
});
