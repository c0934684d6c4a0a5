//! The SOQL subset on its own: parsing (the connector's queries, escapes, date literals,
//! nesting, Salesforce's refusals) and evaluation (filters, ordering, projection, errors).

mod parsing {
    use crate::salesforce::emulator::soql::parse::parse;
    use crate::salesforce::emulator::soql::{Condition, Literal, Op};

    #[test]
    fn the_connectors_queries_parse() {
        let q = parse("SELECT Id, Phone FROM Lead WHERE Phone LIKE '%1%2%3' OR MobilePhone LIKE '%1%2%3' ORDER BY CreatedDate DESC LIMIT 200").unwrap();
        assert_eq!(q.fields, vec!["Id", "Phone"]);
        assert_eq!(q.object, "Lead");
        assert!(matches!(q.condition, Some(Condition::Or(ref parts)) if parts.len() == 2));
        assert_eq!(q.order[0].field, "CreatedDate");
        assert!(q.order[0].descending && q.order[0].nulls_last);
        assert_eq!(q.limit, Some(200));
        let q =
            parse("select Id from Opportunity where Id in ('006A', '006B') and IsClosed = false")
                .unwrap();
        assert!(matches!(
            q.condition,
            Some(Condition::And(ref parts)) if matches!(&parts[0], Condition::In { values, negated: false, .. } if values.len() == 2)
                && parts[1] == Condition::Compare { field: "IsClosed".into(), op: Op::Eq, value: Literal::Bool(false) }
        ));
    }

    #[test]
    fn escapes_dates_and_nesting_parse() {
        let q = parse(r"SELECT Id FROM Contact WHERE (Email = 'o\'brien@x.com' OR Name = 'a\\b') AND CreatedDate > 2024-05-01T00:00:00Z AND CloseDate <= 2024-06-01").unwrap();
        let Some(Condition::And(parts)) = q.condition else {
            panic!()
        };
        let Condition::Or(inner) = &parts[0] else {
            panic!()
        };
        assert_eq!(
            inner[0],
            Condition::Compare {
                field: "Email".into(),
                op: Op::Eq,
                value: Literal::Text("o'brien@x.com".into())
            }
        );
        assert_eq!(
            inner[1],
            Condition::Compare {
                field: "Name".into(),
                op: Op::Eq,
                value: Literal::Text(r"a\b".into())
            }
        );
        assert!(matches!(
            parts[1],
            Condition::Compare {
                value: Literal::DateTime(_),
                op: Op::Gt,
                ..
            }
        ));
        assert!(matches!(
            parts[2],
            Condition::Compare {
                value: Literal::Date(_),
                op: Op::Le,
                ..
            }
        ));
    }

    #[test]
    fn malformed_queries_are_refused_like_salesforce_does() {
        assert_eq!(
            parse("SELECT Id FROM Lead WHERE A = 'x' AND B = 'y' OR C = 'z'").unwrap_err(),
            "unexpected token: 'OR'"
        );
        assert!(parse("SELECT FROM Lead").is_err());
        assert!(parse("SELECT Id FROM Lead WHERE Name = 'unterminated").is_err());
        assert!(parse("SELECT Id FROM Lead LIMIT 5 extra").is_err());
        assert!(parse(r"SELECT Id FROM Lead WHERE Name = 'bad \q escape'").is_err());
        assert!(parse("SELECT Id FROM Lead; DELETE").is_err());
    }
}

mod evaluation {
    use serde_json::{Map, Value, json};

    use crate::salesforce::emulator::api_error::ApiError;
    use crate::salesforce::emulator::schema::ObjectSchema;
    use crate::salesforce::emulator::soql::eval::{like, run};
    use crate::salesforce::emulator::soql::parse::parse;

    fn rows() -> Vec<Map<String, Value>> {
        [
            json!({"Id": "00Q5g0000000001EAA", "LastName": "Ivanov", "Phone": "+7 (999) 123-45-67", "Email": "A@x.com", "IsConverted": false, "CreatedDate": "2024-05-14T10:00:00.000+0000"}),
            json!({"Id": "00Q5g0000000002EAA", "LastName": "O'Brien", "Phone": null, "Email": "b@x.com", "IsConverted": true, "CreatedDate": "2024-05-15T10:00:00.000+0000"}),
            json!({"Id": "00Q5g0000000003EAA", "LastName": "100%", "Phone": "8 999 123 45 67", "Email": null, "IsConverted": false, "CreatedDate": "2024-05-16T10:00:00.000+0000"}),
        ]
        .into_iter()
        .map(|v| v.as_object().cloned().unwrap())
        .collect()
    }

    fn ids(text: &str) -> Result<Vec<String>, ApiError> {
        let schema = ObjectSchema::of("Lead", &[]).unwrap();
        let query = parse(text).unwrap();
        Ok(run(&query, &schema, &rows(), "/services/data/v60.0")?
            .iter()
            .map(|r| r["Id"].as_str().unwrap()[..15].to_string())
            .collect())
    }

    #[test]
    fn filters_order_and_project() {
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE Phone LIKE '%1%2%3%4%5%6%7' ORDER BY CreatedDate DESC")
                .unwrap(),
            vec!["00Q5g0000000003", "00Q5g0000000001"]
        );
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE Email = 'a@X.COM'").unwrap(),
            vec!["00Q5g0000000001"]
        );
        assert_eq!(
            ids(r"SELECT Id FROM Lead WHERE LastName = 'O\'Brien'").unwrap(),
            vec!["00Q5g0000000002"]
        );
        assert_eq!(
            ids(r"SELECT Id FROM Lead WHERE LastName LIKE '100\%'").unwrap(),
            vec!["00Q5g0000000003"]
        );
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE Id IN ('00Q5g0000000002', '00Q5g0000000003EAA') AND IsConverted = false").unwrap(),
            vec!["00Q5g0000000003"]
        );
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE Email = null").unwrap(),
            vec!["00Q5g0000000003"]
        );
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE CreatedDate > 2024-05-14T12:00:00Z ORDER BY CreatedDate ASC LIMIT 1 OFFSET 1").unwrap(),
            vec!["00Q5g0000000003"]
        );
        assert_eq!(
            ids("SELECT Id FROM Lead ORDER BY Phone ASC").unwrap()[0],
            "00Q5g0000000002",
            "nulls first ascending"
        );
        let schema = ObjectSchema::of("Lead", &[]).unwrap();
        let out = run(
            &parse("SELECT Email, Id FROM Lead WHERE LastName = 'Ivanov'").unwrap(),
            &schema,
            &rows(),
            "/services/data/v60.0",
        )
        .unwrap();
        assert_eq!(
            out[0],
            json!({"attributes": {"type": "Lead", "url": "/services/data/v60.0/sobjects/Lead/00Q5g0000000001EAA"}, "Email": "A@x.com", "Id": "00Q5g0000000001EAA"})
        );
    }

    #[test]
    fn unknown_fields_and_mistyped_literals_are_salesforce_errors() {
        let e = ids("SELECT Id, Foo FROM Lead").unwrap_err();
        assert_eq!(e.code, "INVALID_FIELD");
        assert!(
            e.message
                .starts_with("No such column 'Foo' on entity 'Lead'")
        );
        let e = ids("SELECT Id FROM Lead WHERE IsConverted = 'false'").unwrap_err();
        assert_eq!(e.code, "INVALID_QUERY_FILTER_OPERATOR");
        assert!(
            e.message
                .contains("must be of type boolean and should not be enclosed in quotes")
        );
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE Id = 'abc'")
                .unwrap_err()
                .message,
            "invalid ID field: abc"
        );
        assert_eq!(
            ids("SELECT Id FROM Lead WHERE IsConverted LIKE 'x'")
                .unwrap_err()
                .code,
            "INVALID_QUERY_FILTER_OPERATOR"
        );
        assert_eq!(
            ids("SELECT Id, id FROM Lead").unwrap_err().code,
            "DUPLICATE_FIELD"
        );
    }

    #[test]
    fn like_handles_wildcards() {
        assert!(like("+7 (999) 123-45-67", "%1%2%3%4%5%6%7"));
        assert!(!like("+7 (999) 123-45-68", "%1%2%3%4%5%6%7"));
        assert!(like("abc", "a_c") && !like("abbc", "a_c") && like("", "%"));
    }
}
