use std::path::Path;

use super::*;

fn schema() -> Value {
    crate::scenario::json_schema()
}

fn names_of(def: &str, modifiers: &[&str]) -> Vec<String> {
    let schema = schema();
    let d = schema.get("$defs").and_then(|d| d.get(def)).cloned().unwrap_or(Value::Null);
    properties(&d).into_keys().filter(|n| !modifiers.contains(&n.as_str())).collect()
}

#[test]
fn reference_covers_every_step_and_check_with_an_example() {
    let steps = names_of("Step", STEP_MODIFIERS);
    let checks = names_of("Expect", EXPECT_MODIFIERS);
    assert!(steps.len() > 10 && checks.len() > 10, "{steps:?} {checks:?}");
    for (what, names, table) in
        [("step", &steps, STEP_EXAMPLES), ("check", &checks, CHECK_EXAMPLES)]
    {
        for n in names {
            assert!(table.iter().any(|(k, _)| k == n), "{what} `{n}` has no example");
        }
        for (k, _) in table {
            assert!(names.contains(&k.to_string()), "example of unknown {what} `{k}`");
        }
    }
}

#[test]
fn reference_examples_validate_and_use_their_own_key() {
    for (key, step) in STEP_EXAMPLES.iter().chain(CHECK_EXAMPLES) {
        assert!(
            step.contains(&format!("{key}:")),
            "the example of `{key}` does not use it: {step}"
        );
        let text = example_scenario(step);
        if let Err(e) = crate::scenario::parse(Path::new("example.yaml"), &text) {
            panic!("the example of `{key}` is invalid: {e}\n{text}");
        }
    }
}

#[test]
fn reference_lists_every_field_of_every_type_it_uses() {
    let md = generate(&schema());
    let s = schema();
    for (name, def) in s.get("$defs").and_then(Value::as_object).into_iter().flatten() {
        if name == "Step" || name == "Expect" {
            continue;
        }
        assert!(md.contains(&format!("### type {name}\n")), "type {name} missing");
        for field in properties(def).keys() {
            assert!(md.contains(&format!("| `{field}` |")), "{name}.{field} missing");
        }
    }
}

#[test]
fn reference_committed_file_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(PATH);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = generate(&schema());
    if committed != generated {
        let diff = crate::snapshot::diff(&committed, &generated);
        panic!(
            "{PATH} is out of date with the scenario model; regenerate it with `{REGENERATE}`\n{diff}"
        );
    }
}
