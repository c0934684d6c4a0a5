//! Template compile, reference and render tests.

use serde_json::{Map, Value, json};

use super::Template;
use crate::expr::{EvalContext, EvalError, FieldPath};

struct Fixture {
    item: Value,
    steps: Map<String, Value>,
    bundle: Value,
}

impl Fixture {
    fn new(item: Value) -> Fixture {
        let steps = match json!({"customer": {"id": 5501, "tags": ["vip"]}}) {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        Fixture {
            item,
            steps,
            bundle: json!({"id": "calls", "name": "Calls to CRM"}),
        }
    }

    fn ctx(&self) -> EvalContext<'_> {
        EvalContext {
            item: &self.item,
            steps: &self.steps,
            bundle: &self.bundle,
            vars: crate::expr::no_vars(),
        }
    }
}

fn render(source: &str, item: Value) -> Result<Value, EvalError> {
    let fixture = Fixture::new(item);
    Template::compile(source).unwrap().render(&fixture.ctx())
}

#[test]
fn single_path_keeps_the_json_type() {
    assert_eq!(
        render("{{steps.customer.id}}", json!({})).unwrap(),
        json!(5501)
    );
    assert_eq!(
        render("{{ steps.customer.tags }}", json!({})).unwrap(),
        json!(["vip"])
    );
    assert_eq!(
        render("{{item.client}}", json!({"client": {"a": 1}})).unwrap(),
        json!({"a": 1})
    );
    assert_eq!(
        render("{{{item.n}}}", json!({"n": 2.5})).unwrap(),
        json!(2.5)
    );
    assert_eq!(
        render("{{item.gone}}", json!({"gone": null})).unwrap(),
        Value::Null
    );
}

#[test]
fn anything_else_renders_a_string() {
    let out = render(
        "Call from {{phone}} ({{ item.duration }}s)",
        json!({"phone": "+7916", "duration": 30}),
    );
    assert_eq!(out.unwrap(), json!("Call from +7916 (30s)"));
    // Text around a single path also makes it text.
    assert_eq!(
        render(" {{steps.customer.id}}", json!({})).unwrap(),
        json!(" 5501")
    );
    assert_eq!(
        render("{{bundle.name}}", json!({})).unwrap(),
        json!("Calls to CRM")
    );
    assert_eq!(render("plain", json!({})).unwrap(), json!("plain"));
}

#[test]
fn render_text_of_a_single_number() {
    let fixture = Fixture::new(json!({}));
    let t = Template::compile("{{steps.customer.id}}").unwrap();
    assert_eq!(t.render_text(&fixture.ctx()).unwrap(), "5501");
}

#[test]
fn undefined_variable_is_an_error_naming_it() {
    let err = render("Hello {{name}}", json!({"phone": "1"})).unwrap_err();
    match &err {
        EvalError::Template { template, message } => {
            assert_eq!(template, "Hello {{name}}");
            assert!(message.contains("`name` (item.name)"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    let err = render("{{steps.deal.id}}", json!({})).unwrap_err();
    assert!(err.to_string().contains("steps.deal.id"), "{err}");
    // A path through a scalar is undefined too, not an empty string.
    assert!(render("{{item.phone.number}}", json!({"phone": "1"})).is_err());
}

#[test]
fn item_values_render_literally() {
    let tricky = r#"say "hi" {{steps.customer.id}} \ {{{x}}} <b>"#;
    let out = render("Note: {{comment}}", json!({"comment": tricky})).unwrap();
    assert_eq!(out, Value::String(format!("Note: {tricky}")));
    // The result embeds in JSON without breaking it.
    let body = json!({"text": out});
    let reparsed: Value = serde_json::from_str(&body.to_string()).unwrap();
    assert_eq!(reparsed["text"], Value::String(format!("Note: {tricky}")));
    // And a single-path template hands back the exact value.
    assert_eq!(
        render("{{comment}}", json!({"comment": tricky})).unwrap(),
        json!(tricky)
    );
}

#[test]
fn no_html_escaping() {
    let out = render("{{a}} & {{{a}}}", json!({"a": "<b>&'\"</b>"})).unwrap();
    assert_eq!(out, json!("<b>&'\"</b> & <b>&'\"</b>"));
}

#[test]
fn if_unless_else() {
    let t = "{{#if item.email}}mail {{item.email}}{{else if item.phone}}tel {{item.phone}}{{else}}none{{/if}}";
    assert_eq!(
        render(t, json!({"email": "a@b.c"})).unwrap(),
        json!("mail a@b.c")
    );
    assert_eq!(
        render(t, json!({"email": "", "phone": "7"})).unwrap(),
        json!("tel 7")
    );
    assert_eq!(render(t, json!({})).unwrap(), json!("none"));
    let u = "{{#unless item.vip}}regular{{^}}vip{{/unless}}";
    assert_eq!(render(u, json!({"vip": true})).unwrap(), json!("vip"));
    assert_eq!(render(u, json!({"vip": 0})).unwrap(), json!("regular"));
    assert_eq!(render(u, json!({})).unwrap(), json!("regular"));
    // Comments vanish.
    assert_eq!(
        render("a{{! note }}b{{!-- x --}}", json!({})).unwrap(),
        json!("ab")
    );
}

#[test]
fn syntax_errors_and_disallowed_constructs_are_rejected() {
    for source in [
        "{{#if a}}unclosed",
        "{{a",
        "{{#if a}}x{{/unless}}",
        "{{lookup item 'a'}}",
        "{{upper item.name}}",
        "{{#each item.list}}{{this}}{{/each}}",
        "{{#with item}}{{name}}{{/with}}",
        "{{> header}}",
        "{{#> layout}}x{{/layout}}",
        "{{* inline}}",
        "{{{{raw}}}}x{{{{/raw}}}}",
        "{{(lookup item 'a')}}",
        "{{../a}}",
        "{{@root.item}}",
        "{{@index}}",
        "{{this}}",
        "{{#if item.a includeZero=true}}x{{/if}}",
        "{{#if item.a item.b}}x{{/if}}",
        "{{#if 'lit'}}x{{/if}}",
        "{{log 'x'}}",
        "{{#unless (eq a b)}}x{{/unless}}",
    ] {
        let err = Template::compile(source).err();
        assert!(err.is_some(), "`{source}` should not compile");
        assert!(!err.unwrap().message.is_empty());
    }
    let err = Template::compile("{{upper item.name}}").unwrap_err();
    assert!(
        err.message.contains("helper `upper` is not allowed"),
        "{}",
        err.message
    );
}

#[test]
fn references_lists_every_path_once() {
    let t = Template::compile(
        "{{item.name}} {{ phone }} {{#if steps.customer.id}}{{steps.customer.id}}{{else}}{{bundle.id}}{{/if}}{{#unless item.x}}{{{item.name}}}{{/unless}}",
    )
    .unwrap();
    let refs: Vec<String> = t.references().iter().map(FieldPath::to_string).collect();
    assert_eq!(
        refs,
        [
            "item.name",
            "item.phone",
            "steps.customer.id",
            "bundle.id",
            "item.x"
        ]
    );
    assert_eq!(
        t.references()[2].step_reference(),
        Some(("customer", Some("id")))
    );
    assert!(
        Template::compile("no paths")
            .unwrap()
            .references()
            .is_empty()
    );
}

#[test]
fn slash_and_index_paths() {
    assert_eq!(
        render(
            "{{item/phones.0.number}}",
            json!({"phones": [{"number": "7916"}]})
        )
        .unwrap(),
        json!("7916")
    );
    assert_eq!(
        render("{{item.[first name]}}", json!({"first name": "Ivan"})).unwrap(),
        json!("Ivan")
    );
}

#[test]
fn compile_errors_say_what_is_wrong() {
    let msg = |source: &str| Template::compile(source).unwrap_err().message;
    assert!(
        msg("{{> header}}").contains("partials"),
        "{}",
        msg("{{> header}}")
    );
    assert!(msg("{{#each item.list}}x{{/each}}").contains("`{{#each}}` is not allowed"));
    assert!(msg("{{../a}}").contains("only plain paths"));
    assert!(msg("{{#if a}}x").contains("line"), "{}", msg("{{#if a}}x"));
}
