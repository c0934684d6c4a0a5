//! Building the SOQL the connector sends. Values are never pasted into a query as they
//! are: text goes through [`quote`], which applies SOQL's quoted-string escapes (`\'`,
//! `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, `\"`), so a name like `O'Brien` or a value with a
//! backslash can neither break the query nor change its meaning; ids are checked to be
//! Salesforce ids before they are quoted.

/// `'text'` with SOQL's escapes applied.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            other => out.push(other),
        }
    }
    out.push('\'');
    out
}

/// Whether `text` looks like a Salesforce record id: 15 or 18 letters and digits.
pub fn is_record_id(text: &str) -> bool {
    matches!(text.len(), 15 | 18) && text.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Whether `name` is a field or object API name (`Phone`, `Call_Id__c`, `ns__Field__c`):
/// a letter, then letters, digits and underscores. Names are pasted into queries and
/// URLs, so nothing else may pass.
pub fn is_api_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 80
}

/// `SELECT <fields> FROM <object> WHERE <condition> ORDER BY <order> LIMIT <limit>`.
#[derive(Debug, Clone)]
pub struct Select<'a> {
    /// Fields to select.
    pub fields: &'a [&'a str],
    /// The sObject.
    pub object: &'a str,
    /// The WHERE condition, already built from quoted values.
    pub condition: String,
    /// `ORDER BY` clause contents.
    pub order_by: &'a str,
    /// Row limit.
    pub limit: usize,
}

impl Select<'_> {
    /// The query text.
    pub fn render(&self) -> String {
        let mut text = format!(
            "SELECT {} FROM {} WHERE {}",
            self.fields.join(", "),
            self.object,
            self.condition
        );
        if !self.order_by.is_empty() {
            text.push_str(" ORDER BY ");
            text.push_str(self.order_by);
        }
        text.push_str(&format!(" LIMIT {}", self.limit));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_escape_every_reserved_character() {
        assert_eq!(quote("Bob's BBQ"), r"'Bob\'s BBQ'");
        assert_eq!(quote(r"a\b"), r"'a\\b'");
        assert_eq!(quote("x' OR Name != '"), r"'x\' OR Name != \''");
        assert_eq!(quote("line\nnext\t\"q\""), r#"'line\nnext\t\"q\"'"#);
        assert_eq!(quote("Олег"), "'Олег'");
    }

    #[test]
    fn ids_and_api_names_are_checked() {
        assert!(is_record_id("00Q5g00000AbCdE"));
        assert!(is_record_id("00Q5g00000AbCdEAAQ"));
        assert!(!is_record_id("00Q5g00000AbCdE'"));
        assert!(!is_record_id("123"));
        assert!(is_api_name("Call_Id__c") && is_api_name("Phone"));
        assert!(!is_api_name("Phone) OR (Id") && !is_api_name("__c") && !is_api_name(""));
    }

    #[test]
    fn selects_render_in_order() {
        let select = Select {
            fields: &["Id", "Email"],
            object: "Contact",
            condition: format!("Email = {}", quote("a@b.c")),
            order_by: "CreatedDate DESC",
            limit: 10,
        };
        assert_eq!(
            select.render(),
            "SELECT Id, Email FROM Contact WHERE Email = 'a@b.c' ORDER BY CreatedDate DESC LIMIT 10"
        );
    }
}
