//! Builders for [`Manifest`] and [`Capabilities`].

use crate::ao::plugin::types::{Capabilities, Manifest, Role};

impl Manifest {
    /// A manifest with no roles and no capabilities; add them with the builder methods.
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        Manifest {
            name: name.to_string(),
            version: version.to_string(),
            description: description.to_string(),
            roles: Vec::new(),
            capabilities: Capabilities::default(),
        }
    }

    /// The roles this component implements.
    pub fn roles(mut self, roles: impl IntoIterator<Item = Role>) -> Self {
        self.roles = roles.into_iter().collect();
        self
    }

    /// What the plugin asks the host for.
    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }
}

#[allow(clippy::derivable_impls)]
impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            http_hosts: Vec::new(),
            secrets: Vec::new(),
            programs: Vec::new(),
            read_dirs: Vec::new(),
            kv: false,
        }
    }
}

fn strings<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl Capabilities {
    /// Hosts to reach over HTTP (`api.github.com`, `*.slack.com`, `*`).
    pub fn http_hosts<S: Into<String>>(mut self, hosts: impl IntoIterator<Item = S>) -> Self {
        self.http_hosts = strings(hosts);
        self
    }

    /// Secret names to use.
    pub fn secrets<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.secrets = strings(names);
        self
    }

    /// Programs to run.
    pub fn programs<S: Into<String>>(mut self, programs: impl IntoIterator<Item = S>) -> Self {
        self.programs = strings(programs);
        self
    }

    /// Directories to read.
    pub fn read_dirs<S: Into<String>>(mut self, dirs: impl IntoIterator<Item = S>) -> Self {
        self.read_dirs = strings(dirs);
        self
    }

    /// A private key-value store.
    pub fn kv(mut self) -> Self {
        self.kv = true;
        self
    }
}
