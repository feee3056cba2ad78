//! TypeScript declarations for the JavaScript SDK, generated from the WIT
//! contract (`sdk/js/types/wit.d.ts`). They follow componentize-qjs's
//! mapping: records are objects with camelCase fields, enums are their
//! kebab-case names as strings, variants are `{ tag, val }`, `option<T>` is
//! `T | null | undefined` (none arrives as `null`), `result<T, E>` returns `T` and throws `E`, `list<u8>` is a
//! `Uint8Array`, numbers are `number`.

use std::fmt::Write;
use wit_parser::{Resolve, Type, TypeDefKind, TypeOwner};

fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn camel(kebab: &str) -> String {
    let p = pascal(kebab);
    let mut c = p.chars();
    c.next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Host-service interfaces have generic type names (`request`, `output`):
/// their types get the interface's name as a prefix (`HttpRequest`).
fn type_prefix(interface: &str) -> String {
    if interface == "types" || interface.ends_with("-types") {
        String::new()
    } else {
        pascal(interface)
    }
}

struct Gen<'a> {
    resolve: &'a Resolve,
}

impl Gen<'_> {
    fn type_name(&self, id: wit_parser::TypeId) -> Option<String> {
        let def = &self.resolve.types[id];
        let name = def.name.as_ref()?;
        let prefix = match def.owner {
            TypeOwner::Interface(i) => type_prefix(self.resolve.interfaces[i].name.as_deref()?),
            _ => String::new(),
        };
        Some(prefix + &pascal(name))
    }

    fn ty(&self, ty: &Type) -> String {
        match ty {
            Type::Bool => "boolean".into(),
            Type::String | Type::Char => "string".into(),
            Type::Id(id) => {
                // A `use`d type is an alias of the same name: name the original.
                let mut id = *id;
                while let TypeDefKind::Type(Type::Id(other)) = self.resolve.types[id].kind
                    && self.resolve.types[other].name == self.resolve.types[id].name
                {
                    id = other;
                }
                if let Some(name) = self.type_name(id) {
                    return name;
                }
                self.anonymous(&self.resolve.types[id].kind)
            }
            _ => "number".into(),
        }
    }

    fn anonymous(&self, kind: &TypeDefKind) -> String {
        match kind {
            // componentize-qjs passes `none` into JS as `null`; either is accepted back.
            TypeDefKind::Option(t) => format!("{} | null | undefined", self.ty(t)),
            TypeDefKind::List(Type::U8) => "Uint8Array".into(),
            TypeDefKind::List(t) => format!("Array<{}>", self.ty(t)),
            TypeDefKind::Tuple(t) => format!(
                "[{}]",
                t.types
                    .iter()
                    .map(|t| self.ty(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TypeDefKind::Result(r) => r.ok.as_ref().map(|t| self.ty(t)).unwrap_or("void".into()),
            TypeDefKind::Type(t) => self.ty(t),
            _ => "unknown".into(),
        }
    }

    /// A function's return type: the ok type of a result (errors are thrown).
    fn ret(&self, ty: Option<&Type>) -> String {
        match ty {
            None => "void".into(),
            Some(t) => self.ty(t),
        }
    }

    fn definition(&self, out: &mut String, id: wit_parser::TypeId) {
        let def = &self.resolve.types[id];
        let Some(name) = self.type_name(id) else {
            return;
        };
        if let Some(docs) = &def.docs.contents {
            doc(out, docs, "");
        }
        match &def.kind {
            TypeDefKind::Record(r) => {
                writeln!(out, "export interface {name} {{").unwrap();
                for f in &r.fields {
                    if let Some(d) = &f.docs.contents {
                        doc(out, d, "  ");
                    }
                    let optional = matches!(f.ty, Type::Id(t) if self.resolve.types[t].name.is_none() && matches!(self.resolve.types[t].kind, TypeDefKind::Option(_)));
                    if optional {
                        let TypeDefKind::Option(inner) = &self.resolve.types[match f.ty {
                            Type::Id(t) => t,
                            _ => unreachable!(),
                        }]
                        .kind
                        else {
                            unreachable!()
                        };
                        writeln!(out, "  {}?: {} | null;", camel(&f.name), self.ty(inner)).unwrap();
                    } else {
                        writeln!(out, "  {}: {};", camel(&f.name), self.ty(&f.ty)).unwrap();
                    }
                }
                writeln!(out, "}}").unwrap();
            }
            TypeDefKind::Enum(e) => {
                let cases: Vec<String> =
                    e.cases.iter().map(|c| format!("\"{}\"", c.name)).collect();
                writeln!(out, "export type {name} = {};", cases.join(" | ")).unwrap();
            }
            TypeDefKind::Variant(v) => {
                writeln!(out, "export type {name} =").unwrap();
                for c in &v.cases {
                    match &c.ty {
                        Some(t) => {
                            writeln!(out, "  | {{ tag: \"{}\"; val: {} }}", c.name, self.ty(t))
                        }
                        None => writeln!(out, "  | {{ tag: \"{}\" }}", c.name),
                    }
                    .unwrap();
                }
                writeln!(out, "  ;").unwrap();
            }
            other => {
                writeln!(out, "export type {name} = {};", self.anonymous(other)).unwrap();
            }
        }
    }
}

fn doc(out: &mut String, docs: &str, indent: &str) {
    writeln!(out, "{indent}/**").unwrap();
    for line in docs.lines() {
        writeln!(out, "{indent} * {}", line.trim_end()).unwrap();
    }
    writeln!(out, "{indent} */").unwrap();
}

/// `sdk/js/types/wit.d.ts`: every type of the contract, one interface of
/// functions per WIT interface (`HttpImports` for a host service,
/// `TrackerExports` for a role), and ambient modules for the host imports.
pub fn declarations() -> anyhow::Result<String> {
    let (resolve, _) = crate::wit::resolve("tracker")?;
    let g = Gen { resolve: &resolve };
    let mut out = String::from(
        "// Generated from wit/v0.1.0 by `scripts/gen-bindings` (ao-gen-bindings). DO NOT EDIT.\n\
         // The `ao:plugin@0.1.0` contract as componentize-qjs presents it to JavaScript.\n\n",
    );
    let package = resolve
        .packages
        .iter()
        .find(|(_, p)| p.name.namespace == "ao" && p.name.name == "plugin")
        .map(|(id, _)| id)
        .ok_or_else(|| anyhow::anyhow!("the contract has no ao:plugin package"))?;
    for (iname, iid) in &resolve.packages[package].interfaces {
        let iface = &resolve.interfaces[*iid];
        writeln!(out, "// ---- interface {iname}\n").unwrap();
        for (_, tid) in &iface.types {
            // `use`d types are aliases of another interface's: skip them.
            if let TypeDefKind::Type(Type::Id(other)) = resolve.types[*tid].kind
                && resolve.types[other].name == resolve.types[*tid].name
            {
                continue;
            }
            g.definition(&mut out, *tid);
        }
        if iface.functions.is_empty() {
            out.push('\n');
            continue;
        }
        let is_role = ["plugin", "tracker", "scm", "notifier", "agent"].contains(&iname.as_str());
        let suffix = if is_role { "Exports" } else { "Imports" };
        if let Some(docs) = &iface.docs.contents {
            doc(&mut out, docs, "");
        }
        writeln!(out, "export interface {}{suffix} {{", pascal(iname)).unwrap();
        for (fname, f) in &iface.functions {
            let throws = matches!(f.result, Some(Type::Id(t)) if matches!(resolve.types[t].kind, TypeDefKind::Result(_)));
            let mut docs = f.docs.contents.clone().unwrap_or_default();
            if throws {
                if !docs.is_empty() {
                    docs.push('\n');
                }
                docs.push_str("Throws its WIT error (`{ tag, val }`, see `PluginError`).");
            }
            if !docs.is_empty() {
                doc(&mut out, &docs, "  ");
            }
            let params: Vec<String> = f
                .params
                .iter()
                .map(|p| format!("{}: {}", camel(&p.name), g.ty(&p.ty)))
                .collect();
            writeln!(
                out,
                "  {}({}): {};",
                camel(fname),
                params.join(", "),
                g.ret(f.result.as_ref())
            )
            .unwrap();
        }
        writeln!(out, "}}\n").unwrap();
    }
    Ok(out)
}

/// `sdk/js/types/host.d.ts`: the host services as the modules a plugin imports.
pub fn host_modules() -> anyhow::Result<String> {
    let mut out = String::from(
        "// Generated from wit/v0.1.0 by `scripts/gen-bindings` (ao-gen-bindings). DO NOT EDIT.\n\
         // The host services, as the modules a component imports.\n\n",
    );
    for name in ["log", "config", "secrets", "http", "kv", "process", "clock"] {
        writeln!(
            out,
            "declare module \"ao:plugin/{name}@{v}\" {{\n  const {c}: import(\"./wit.js\").{p}Imports;\n  export default {c};\n}}\n",
            v = crate::wit::WIT_VERSION,
            c = camel(name),
            p = pascal(name),
        )
        .unwrap();
    }
    Ok(out)
}
