//! The scenario reference (`docs/scenario-reference.md`), generated from the JSON Schema of
//! scenario files: every step, every `expect` check and every type they use, with its
//! fields, their types and their doc comments, and one example each from [`STEP_EXAMPLES`]
//! and [`CHECK_EXAMPLES`]. `bgpstorm schema --reference` prints it; a test keeps the
//! committed file equal to it, so the reference follows the model.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::ExitCode;

use serde_json::{Map, Value};

/// Where the reference is committed, relative to the repository root.
pub const PATH: &str = "docs/scenario-reference.md";

/// The command that regenerates it.
pub const REGENERATE: &str = "bgpstorm schema --reference > docs/scenario-reference.md";

/// Fields of a step that are not its action.
pub const STEP_MODIFIERS: &[&str] = &["name"];

/// Fields of `expect` that qualify its checks instead of being one.
pub const EXPECT_MODIFIERS: &[&str] = &["at", "since", "within"];

/// One example per step action, as a step of the `steps:` list (see [`example_scenario`]).
pub const STEP_EXAMPLES: &[(&str, &str)] = &[
    (
        "announce",
        "- announce: {from: up, prefixes: {count: 100, start: 100.64.0.0/24}, as_path: [174], communities: [\"65001:100\"]}",
    ),
    (
        "churn",
        "- churn: {from: up, prefixes: {count: 1000, start: 100.80.0.0/24}, rate: 100, duration: 10s, seed: 7}",
    ),
    ("end_of_rib", "- end_of_rib: up"),
    ("expect", "- expect: {at: down, routes: 100, within: 30s}"),
    ("flap", "- flap: {from: up, prefixes: [203.0.113.0/24], cycles: 5, interval: 1s}"),
    ("impair", "- impair: {speaker: up, delay: 50ms, loss: 1.0}"),
    ("link", "- link: {speaker: up, up: false}"),
    ("refresh", "- refresh: {from: down, family: ipv4}"),
    (
        "replay",
        "- replay: {from: up, file: ../data/mrt/ris-rrc00-2019/updates.20190101.0000.gz, peer_index: 0}",
    ),
    ("reset", "- reset: up"),
    ("restart", "- restart: {speaker: up, graceful: true, within: 30s}"),
    (
        "send_raw",
        "- send_raw: {from: up, update: \"0000 0014 40010107 40020602010000fde9 4003040a000202 18644001\"}",
    ),
    ("snapshot", "- snapshot: before-withdraw"),
    (
        "storm",
        "- storm: {from: up, prefixes: {count: 100000, start: 100.64.0.0/24}, as_path: [174]}",
    ),
    ("wait", "- wait: {established: [up, down], within: 10s}"),
    ("withdraw", "- withdraw: {from: up, prefixes: all}"),
];

/// One example per `expect` check, as a step of the `steps:` list (see [`example_scenario`]).
pub const CHECK_EXAMPLES: &[(&str, &str)] = &[
    ("announced", "- expect: {at: down, since: before, announced: 100, within: 10s}"),
    ("clean", "- expect: {clean: true}"),
    ("community_alert", "- expect: {community_alert: false}"),
    ("convergence", "- expect: {at: down, routes: 100, convergence: {p99: 2s, max: 3s}}"),
    ("dut_matches", "- expect: {at: down, dut_matches: true, within: 30s}"),
    ("dut_prefixes", "- expect: {dut_prefixes: [100.64.0.0/24, 2001:db8:1::/48], within: 20s}"),
    ("dut_rib", "- expect: {dut_rib: after-announce}"),
    ("end_of_rib", "- expect: {at: down, end_of_rib: [ipv4], within: 20s}"),
    ("established", "- expect: {established: [up, down]}"),
    ("flap", "- expect: {flap: {prefixes: [203.0.113.0/24], raised: true}, within: 10s}"),
    ("hidden", "- expect: {hidden: 100.64.0.0/24, within: 10s}"),
    ("monitor_agrees", "- expect: {at: down, monitor_agrees: true, within: 30s}"),
    ("paths_per_prefix", "- expect: {at: down, routes: 100, paths_per_prefix: 1}"),
    ("prefixes", "- expect: {at: down, prefixes: {count: 100, start: 100.64.0.0/24}, within: 10s}"),
    (
        "rib",
        "- expect: {at: down, rib: [\"100.64.0.0/24 [65000 65001 174] igp via 10.0.2.1 65001:100\"], within: 20s}",
    ),
    ("rib_diff", "- expect: {at: down, rib_diff: {from: before, snapshot: failover-diff}}"),
    ("routes", "- expect: {at: down, routes: 0, within: 30s}"),
    ("snapshot", "- expect: {at: down, snapshot: received}"),
    ("stayed_up", "- expect: {stayed_up: [up, down]}"),
    ("uninterrupted", "- expect: {at: down, since: before, uninterrupted: true}"),
    ("withdrawn", "- expect: {at: down, since: before, withdrawn: 0}"),
];

/// A whole scenario around one example step: the speakers `up` and `down` (with the
/// capabilities every example may need) and a `snapshot: before` step first.
pub fn example_scenario(step: &str) -> String {
    format!(
        "version: 1\nname: reference-example\ndut: {{kind: bird, asn: 65000}}\nspeakers:\n  \
         up: {{asn: 65001, capabilities: {{graceful_restart: 120}}}}\n  down: {{asn: 65100}}\n\
         monitor:\n  flap: {{window: 30s, changes: 3}}\nsteps:\n  - snapshot: before\n  {step}\n"
    )
}

/// Prints the reference on stdout.
pub fn main() -> ExitCode {
    print!("{}", generate(&crate::scenario::json_schema()));
    ExitCode::SUCCESS
}

/// The reference in Markdown, from the scenario JSON Schema.
pub fn generate(schema: &Value) -> String {
    let defs = schema.get("$defs").and_then(Value::as_object).cloned().unwrap_or_default();
    let g = Gen { defs: &defs };
    let mut out = String::new();
    out.push_str("# Scenario reference\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from the scenario model; do not edit. Regenerate with\n     `{REGENERATE}`. -->\n"
    );
    out.push_str(
        "A scenario file is YAML: the keys below, then `steps:`, a list run in order. Each \
         step is one action (plus an optional `name`), and an `expect:` step holds one or more \
         checks. Unknown keys are errors; `bgpstorm validate FILE` checks a file, `bgpstorm \
         new NAME` writes a starter one, and `bgpstorm schema` prints the JSON Schema for \
         editors.\n\n",
    );
    out.push_str("## Scenario file\n\n");
    g.fields(&mut out, schema, &[]);
    let step = g.def("Step");
    let expect = g.def("Expect");
    out.push_str("\n## Steps\n\n");
    g.fields(&mut out, step, &[]);
    out.push('\n');
    for (name, prop) in properties(step) {
        if STEP_MODIFIERS.contains(&name.as_str()) {
            continue;
        }
        g.entry(&mut out, &name, prop, example(STEP_EXAMPLES, &name));
    }
    out.push_str("## Checks (`expect:`)\n\n");
    out.push_str(
        "An `expect:` step may hold several checks; all must pass. These fields qualify \
         them:\n\n",
    );
    g.fields(&mut out, expect, EXPECT_MODIFIERS);
    out.push('\n');
    for (name, prop) in properties(expect) {
        if EXPECT_MODIFIERS.contains(&name.as_str()) {
            continue;
        }
        g.entry(&mut out, &name, prop, example(CHECK_EXAMPLES, &name));
    }
    out.push_str("## Types\n\n");
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    refs_of(schema, &mut todo);
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        refs_of(g.def(&name), &mut todo);
    }
    seen.remove("Step");
    seen.remove("Expect");
    for name in seen {
        let def = g.def(&name);
        let _ = writeln!(out, "### type {name}\n\n{}\n", description(def));
        if def.get("properties").is_some() {
            g.fields(&mut out, def, &[]);
        } else {
            g.forms(&mut out, def);
        }
        out.push('\n');
    }
    out
}

/// The example of `name` in a table (empty when there is none; a test forbids that).
fn example<'a>(table: &[(&str, &'a str)], name: &str) -> &'a str {
    table.iter().find(|(n, _)| *n == name).map(|(_, e)| *e).unwrap_or("")
}

/// The properties of an object schema, sorted by name.
pub fn properties(schema: &Value) -> BTreeMap<String, &Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn description(v: &Value) -> String {
    let d = v.get("description").and_then(Value::as_str).unwrap_or("");
    d.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every `$ref` target under `v`.
fn refs_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                out.push(r.trim_start_matches("#/$defs/").to_string());
            }
            for (k, x) in m {
                if k != "$defs" {
                    refs_of(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs_of(x, out)),
        _ => {}
    }
}

/// Renders schema fragments against the schema's definitions.
struct Gen<'a> {
    defs: &'a Map<String, Value>,
}

const NULL: Value = Value::Null;

impl Gen<'_> {
    fn def(&self, name: &str) -> &Value {
        self.defs.get(name).unwrap_or(&NULL)
    }

    /// One step or check: heading, description, its value's type and fields, example.
    fn entry(&self, out: &mut String, name: &str, prop: &Value, example: &str) {
        let _ = writeln!(out, "### {name}\n\n{}\n", description(prop));
        let _ = writeln!(out, "Value: {}.\n", self.type_of(prop));
        let inline = self.object_def(prop).filter(|d| !std::ptr::eq(*d, self.def("Expect")));
        if let Some(def) = inline {
            let d = description(def);
            if !d.is_empty() {
                let _ = writeln!(out, "{d}\n");
            }
            self.fields(out, def, &[]);
            out.push('\n');
        }
        let _ = writeln!(out, "```yaml\n{example}\n```\n");
    }

    /// The object definition a property's value refers to, when it is one.
    fn object_def(&self, prop: &Value) -> Option<&Value> {
        let inner = non_null(prop);
        let name = inner.get("$ref")?.as_str()?.trim_start_matches("#/$defs/");
        let def = self.def(name);
        def.get("properties").is_some().then_some(def)
    }

    /// The table of an object's fields (only `only`, when not empty).
    fn fields(&self, out: &mut String, schema: &Value, only: &[&str]) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push_str("| field | type | required / default | description |\n|---|---|---|---|\n");
        for (name, prop) in properties(schema) {
            if !only.is_empty() && !only.contains(&name.as_str()) {
                continue;
            }
            let need = if required.contains(&name.as_str()) {
                "required".to_string()
            } else {
                match prop.get("default") {
                    None | Some(Value::Null) => "optional".to_string(),
                    Some(d) => format!("default `{d}`"),
                }
            };
            let _ = writeln!(
                out,
                "| `{name}` | {} | {need} | {} |",
                cell(&self.type_of(prop)),
                cell(&description(prop))
            );
        }
    }

    /// The forms of a definition that is not an object (an enum or alternatives).
    fn forms(&self, out: &mut String, def: &Value) {
        let alts = def.get("oneOf").or_else(|| def.get("anyOf")).and_then(Value::as_array);
        for alt in alts.into_iter().flatten() {
            let _ = writeln!(out, "- {}: {}", self.type_of(alt), description(alt));
        }
    }

    /// A short, readable type: `integer`, `list of string`, [`Prefixes`](#type-prefixes), ….
    fn type_of(&self, v: &Value) -> String {
        if let Some(c) = v.get("const") {
            return format!("`{}`", c.as_str().map(str::to_string).unwrap_or(c.to_string()));
        }
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            return format!("[{name}]({})", anchor(name));
        }
        if let Some(alts) = v.get("anyOf").or_else(|| v.get("oneOf")).and_then(Value::as_array) {
            let parts: Vec<String> = alts
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .map(|a| self.type_of(a))
                .collect();
            return parts.join(" or ");
        }
        let types: Vec<&str> = match v.get("type") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => {
                a.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect()
            }
            _ => vec![],
        };
        let one = |t: &str| -> String {
            match t {
                "array" => match v.get("items") {
                    Some(i) => format!("list of {}", self.type_of(i)),
                    None => "list".into(),
                },
                "object" => match v.get("additionalProperties") {
                    Some(a @ Value::Object(_)) => format!("map of name to {}", self.type_of(a)),
                    _ => "map".into(),
                },
                "string" => match v.get("format").and_then(Value::as_str) {
                    Some(f) => format!("string ({f})"),
                    None => "string".into(),
                },
                "integer" | "number" => match v.get("format").and_then(Value::as_str) {
                    Some(f) => format!("{t} ({f})"),
                    None => t.into(),
                },
                other => other.into(),
            }
        };
        if types.is_empty() {
            "any".into()
        } else {
            types.into_iter().map(one).collect::<Vec<_>>().join(" or ")
        }
    }
}

/// The non-null alternative of `anyOf: [X, null]`, or the value itself.
fn non_null(v: &Value) -> &Value {
    v.get("anyOf")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|x| x.get("type").and_then(Value::as_str) != Some("null")))
        .unwrap_or(v)
}

/// Where a type is described: its own section for steps and checks, else under Types.
fn anchor(def: &str) -> String {
    match def {
        "Step" => "#steps".into(),
        "Expect" => "#checks-expect".into(),
        _ => format!("#type-{}", def.to_lowercase()),
    }
}

/// Text safe in a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;
