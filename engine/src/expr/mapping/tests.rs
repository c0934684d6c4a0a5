//! Mapping evaluation tests.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::{evaluate_inputs, evaluate_mapping};
use crate::bundle::{Mapping, Normalizer};
use crate::expr::{EvalContext, EvalError, FieldPath, Template};

fn path(p: &str) -> Mapping {
    Mapping::Path(FieldPath::parse(p).unwrap())
}

fn eval(mapping: &Mapping, item: Value) -> Result<Value, EvalError> {
    let mut steps = Map::new();
    steps.insert("customer".into(), json!({"id": 77, "name": "Ivan"}));
    let bundle = json!({"id": "b", "name": "B"});
    let ctx = EvalContext {
        item: &item,
        steps: &steps,
        bundle: &bundle,
        vars: crate::expr::no_vars(),
    };
    evaluate_mapping(mapping, &ctx)
}

fn normalized(inner: Mapping, normalizers: &[Normalizer]) -> Mapping {
    Mapping::Normalized {
        inner: Box::new(inner),
        normalizers: normalizers.to_vec(),
    }
}

#[test]
fn const_path_template() {
    assert_eq!(
        eval(&Mapping::Const(json!({"a": 1})), json!({})).unwrap(),
        json!({"a": 1})
    );
    assert_eq!(
        eval(&path("steps.customer.id"), json!({})).unwrap(),
        json!(77)
    );
    assert_eq!(
        eval(&path("item.missing.deep"), json!({})).unwrap(),
        Value::Null
    );
    let t = Mapping::Template(Template::compile("{{steps.customer.name}} #{{id}}").unwrap());
    assert_eq!(eval(&t, json!({"id": 3})).unwrap(), json!("Ivan #3"));
    assert!(matches!(
        eval(&t, json!({})),
        Err(EvalError::Template { .. })
    ));
}

#[test]
fn first_of_skips_empty() {
    let m = Mapping::FirstOf(vec![path("email"), path("contact.email"), path("phone")]);
    assert_eq!(
        eval(
            &m,
            json!({"email": " ", "contact": {"email": ""}, "phone": "7"})
        )
        .unwrap(),
        json!("7")
    );
    assert_eq!(
        eval(&m, json!({"email": "a@b.c", "phone": "7"})).unwrap(),
        json!("a@b.c")
    );
    assert_eq!(eval(&m, json!({"email": []})).unwrap(), Value::Null);
}

#[test]
fn join_skips_empty_parts() {
    let m = Mapping::Join {
        parts: vec![
            path("last"),
            path("first"),
            path("middle"),
            path("tags"),
            Mapping::Const(json!(5)),
        ],
        sep: " ".into(),
    };
    let item = json!({"last": "Petrov", "first": "", "tags": ["a", "", null, "b"]});
    assert_eq!(eval(&m, item).unwrap(), json!("Petrov a b 5"));
    let nothing = Mapping::Join {
        parts: vec![path("x")],
        sep: ", ".into(),
    };
    assert_eq!(eval(&nothing, json!({})).unwrap(), json!(""));
}

#[test]
fn digits_and_other_normalizers() {
    let phone = normalized(path("phone"), &[Normalizer::Digits]);
    assert_eq!(
        eval(&phone, json!({"phone": "+7 (916) 123-45-67"})).unwrap(),
        json!("79161234567")
    );
    assert_eq!(
        eval(&phone, json!({"phone": 79161234567u64})).unwrap(),
        json!("79161234567")
    );
    assert_eq!(eval(&phone, json!({})).unwrap(), Value::Null);
    assert_eq!(
        eval(&phone, json!({"phone": ["8 916 1", "+7-2"]})).unwrap(),
        json!(["89161", "72"])
    );
    let email = normalized(path("email"), &[Normalizer::Trim, Normalizer::Lower]);
    assert_eq!(
        eval(&email, json!({"email": "  Ivan@Mail.RU "})).unwrap(),
        json!("ivan@mail.ru")
    );
    let upper = normalized(path("code"), &[Normalizer::Upper]);
    assert_eq!(eval(&upper, json!({"code": "ab"})).unwrap(), json!("AB"));
    let err = eval(&phone, json!({"phone": {"n": 1}})).unwrap_err();
    assert!(err.to_string().contains("digits"), "{err}");
}

#[test]
fn lookup_table() {
    let table: IndexMap<String, Value> = [
        ("1".to_string(), json!("new")),
        ("2".to_string(), json!("done")),
    ]
    .into_iter()
    .collect();
    let with_default = Mapping::Lookup {
        input: Box::new(path("status")),
        table: table.clone(),
        default: Some(json!("other")),
    };
    assert_eq!(
        eval(&with_default, json!({"status": 2})).unwrap(),
        json!("done")
    );
    assert_eq!(
        eval(&with_default, json!({"status": "1"})).unwrap(),
        json!("new")
    );
    assert_eq!(
        eval(&with_default, json!({"status": 9})).unwrap(),
        json!("other")
    );
    assert_eq!(eval(&with_default, json!({})).unwrap(), json!("other"));
    let without = Mapping::Lookup {
        input: Box::new(path("status")),
        table,
        default: None,
    };
    assert_eq!(eval(&without, json!({"status": 9})).unwrap(), Value::Null);
}

#[test]
fn object_list_default() {
    let object = Mapping::Object(
        [
            ("name".to_string(), path("name")),
            ("missing".to_string(), path("nope")),
            (
                "phones".to_string(),
                Mapping::List(vec![path("phone"), path("phone2")]),
            ),
        ]
        .into_iter()
        .collect(),
    );
    assert_eq!(
        eval(&object, json!({"name": "Ivan", "phone": "7"})).unwrap(),
        json!({"name": "Ivan", "phones": ["7"]})
    );
    let default = Mapping::Default {
        inner: Box::new(path("source")),
        default: json!("site"),
    };
    assert_eq!(
        eval(&default, json!({"source": ""})).unwrap(),
        json!("site")
    );
    assert_eq!(eval(&default, json!({})).unwrap(), json!("site"));
    assert_eq!(
        eval(&default, json!({"source": "ads"})).unwrap(),
        json!("ads")
    );
}

#[test]
fn inputs_leave_out_nulls_and_keep_values_literal() {
    let with: IndexMap<String, Mapping> = [
        (
            "phone".to_string(),
            normalized(path("phone"), &[Normalizer::Digits]),
        ),
        ("email".to_string(), path("email")),
        (
            "comment".to_string(),
            Mapping::Template(Template::compile("Note: {{comment}}").unwrap()),
        ),
        (
            "customer".to_string(),
            Mapping::Template(Template::compile("{{steps.customer.id}}").unwrap()),
        ),
    ]
    .into_iter()
    .collect();
    let item = json!({"phone": "8 (916) 000", "comment": "\"quoted\" {{steps.customer.id}}"});
    let mut steps = Map::new();
    steps.insert("customer".into(), json!({"id": 77}));
    let bundle = json!({});
    let ctx = EvalContext {
        item: &item,
        steps: &steps,
        bundle: &bundle,
        vars: crate::expr::no_vars(),
    };
    let inputs = evaluate_inputs(&with, &ctx).unwrap();
    assert_eq!(
        Value::Object(inputs),
        json!({
            "phone": "8916000",
            "comment": "Note: \"quoted\" {{steps.customer.id}}",
            "customer": 77
        })
    );
    let bad: IndexMap<String, Mapping> = [(
        "phone".to_string(),
        normalized(path("obj"), &[Normalizer::Trim]),
    )]
    .into_iter()
    .collect();
    let item = json!({"obj": {"a": 1}});
    let ctx = EvalContext {
        item: &item,
        steps: &steps,
        bundle: &bundle,
        vars: crate::expr::no_vars(),
    };
    let err = evaluate_inputs(&bad, &ctx).unwrap_err();
    assert!(err.to_string().starts_with("`phone`:"), "{err}");
}
