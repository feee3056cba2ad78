//! What a file is, before and after compilation: the WebAssembly layer from
//! its header, then the `ao:plugin` version and roles from its imports and
//! exports.

use crate::SUPPORTED_WIT_LINES;
use crate::error::LoadError;
use serde::Serialize;
use std::collections::BTreeSet;
use wasmtime::Engine;
use wasmtime::component::Component;

/// The kind of binary, from the 8-byte header.
#[derive(Debug, PartialEq, Eq)]
pub enum BinaryKind {
    Component,
    CoreModule,
    NotWasm,
}

/// Reads the header: magic `\0asm`, then version 1 (core) or the component layer.
pub fn binary_kind(bytes: &[u8]) -> BinaryKind {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return BinaryKind::NotWasm;
    }
    match bytes[4..8] {
        [0x01, 0x00, 0x00, 0x00] => BinaryKind::CoreModule,
        [_, _, 0x01, 0x00] => BinaryKind::Component,
        _ => BinaryKind::NotWasm,
    }
}

/// Refuses anything that is not a component, with advice.
pub fn require_component(bytes: &[u8], origin: &str) -> Result<(), LoadError> {
    match binary_kind(bytes) {
        BinaryKind::Component => Ok(()),
        BinaryKind::CoreModule => Err(LoadError::CoreModule {
            origin: origin.to_string(),
        }),
        BinaryKind::NotWasm => Err(LoadError::NotWasm {
            origin: origin.to_string(),
        }),
    }
}

/// The role interfaces a component can export.
pub const ROLE_INTERFACES: &[&str] = &["tracker", "scm", "notifier", "agent"];

/// The `ao:plugin` surface of a compiled component.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Surface {
    /// The `ao:plugin` version it was built against (e.g. `0.1.0`).
    pub wit_version: String,
    /// Role interfaces it exports, in [`ROLE_INTERFACES`] order.
    pub roles: Vec<String>,
    /// `ao:plugin` host interfaces it imports (what it can possibly use).
    pub host_imports: Vec<String>,
}

/// Splits `ao:plugin/http@0.1.0` into (`http`, `0.1.0`).
fn ao_interface(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("ao:plugin/")?;
    let (iface, version) = rest.split_once('@')?;
    Some((iface, version))
}

/// Whether `version` belongs to a supported `major.minor` line.
pub fn is_supported(version: &str) -> bool {
    let mut parts = version.split('.');
    let line = match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}"),
        _ => return false,
    };
    SUPPORTED_WIT_LINES.contains(&line.as_str())
}

/// Reads the version and roles of a compiled component, refusing unknown
/// worlds and unsupported versions.
pub fn surface(engine: &Engine, component: &Component, origin: &str) -> Result<Surface, LoadError> {
    let ty = component.component_type();
    let export_names: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let import_names: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();

    let mut versions = BTreeSet::new();
    let mut roles = BTreeSet::new();
    let mut exports_plugin = false;
    for name in &export_names {
        if let Some((iface, version)) = ao_interface(name) {
            versions.insert(version.to_string());
            if iface == "plugin" {
                exports_plugin = true;
            } else if ROLE_INTERFACES.contains(&iface) {
                roles.insert(iface.to_string());
            }
        }
    }
    let mut host_imports = Vec::new();
    for name in &import_names {
        if let Some((iface, version)) = ao_interface(name) {
            versions.insert(version.to_string());
            if !iface.ends_with("types") {
                host_imports.push(iface.to_string());
            }
        }
    }

    if let Some(bad) = versions.iter().find(|v| !is_supported(v)) {
        return Err(LoadError::UnsupportedVersion {
            origin: origin.to_string(),
            found: bad.clone(),
            supported: SUPPORTED_WIT_LINES
                .iter()
                .map(|l| format!("{l}.x"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if !exports_plugin || roles.is_empty() {
        let exports = if export_names.is_empty() {
            "nothing".to_string()
        } else {
            export_names.join(", ")
        };
        return Err(LoadError::NotAPlugin {
            origin: origin.to_string(),
            exports,
        });
    }
    // Several 0.1.z versions may appear; the newest is what it was built with.
    let wit_version = versions
        .into_iter()
        .max_by(|a, b| version_key(a).cmp(&version_key(b)))
        .unwrap_or_default();
    let roles = ROLE_INTERFACES
        .iter()
        .filter(|r| roles.contains(**r))
        .map(|r| r.to_string())
        .collect();
    host_imports.sort();
    Ok(Surface {
        wit_version,
        roles,
        host_imports,
    })
}

fn version_key(v: &str) -> Vec<u64> {
    v.split(['.', '-'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_kinds() {
        assert_eq!(binary_kind(b"\0asm\x01\0\0\0rest"), BinaryKind::CoreModule);
        assert_eq!(binary_kind(b"\0asm\x0d\0\x01\0rest"), BinaryKind::Component);
        assert_eq!(binary_kind(b"#!/bin/sh\necho"), BinaryKind::NotWasm);
        assert_eq!(binary_kind(b"\0as"), BinaryKind::NotWasm);
    }

    #[test]
    fn supported_lines() {
        assert!(is_supported("0.1.0"));
        assert!(is_supported("0.1.7"));
        assert!(!is_supported("0.2.0"));
        assert!(!is_supported("1.0.0"));
        assert!(!is_supported("garbage"));
    }
}
