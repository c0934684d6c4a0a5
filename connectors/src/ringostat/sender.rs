//! Realistic Ringostat deliveries for tests and demos: the "after call" webhook of an
//! incoming or outgoing call and the "form sent from the site" webhook, with Ringostat's
//! own variable names, as JSON or form-encoded ("http" data type).
//!
//! Every function returns `(content type, body)`. Call ids are the caller's, so posting the
//! same body twice is a re-delivery of one call.

use serde_json::{Map, Value, json};

use crate::inbound::{FORM, JSON, form_body};

/// One call as Ringostat reports it after the call ends.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    /// Ringostat's call id (`uniqueid`), e.g. `1715671865.4821`.
    pub uniqueid: &'a str,
    /// `in`, `out` or `callback` (`call_type`).
    pub call_type: &'a str,
    /// `ANSWERED`, `NO ANSWER`, `BUSY`, `FAILED`, `PROPER` or `REPEATED`.
    pub disposition: &'a str,
    /// Talk time in seconds (`billsec`).
    pub billsec: u64,
    /// The calling number (`caller`).
    pub caller: &'a str,
    /// The called number (`dst`).
    pub dst: &'a str,
    /// The employee's SIP login (`employee_sip`).
    pub employee_sip: &'a str,
    /// The UTM source of the visit (`utm_source`); empty for none.
    pub utm_source: &'a str,
}

impl Default for Call<'_> {
    fn default() -> Self {
        Call {
            uniqueid: "1715671865.4821",
            call_type: "in",
            disposition: "ANSWERED",
            billsec: 42,
            caller: "380501234567",
            dst: "380443334455",
            employee_sip: "sales_olga",
            utm_source: "google",
        }
    }
}

impl Call<'_> {
    fn params(&self) -> Vec<(&'static str, String)> {
        let answered = matches!(self.disposition, "ANSWERED" | "PROPER" | "REPEATED");
        let mut params = vec![
            ("uniqueid", self.uniqueid.to_string()),
            ("calldate", "2024-05-14 10:31:05".to_string()),
            ("call_type", self.call_type.to_string()),
            ("disposition", self.disposition.to_string()),
            ("caller", self.caller.to_string()),
            ("dst", self.dst.to_string()),
            ("billsec", self.billsec.to_string()),
            ("duration", (self.billsec + 9).to_string()),
            ("waittime", "9".to_string()),
            ("employee_fio", "Olga Shevchenko".to_string()),
            ("employee_sip", self.employee_sip.to_string()),
            ("pool_name", "Context ads".to_string()),
            ("client_id", "1234567890.1715671000".to_string()),
        ];
        if answered {
            let link = format!("https://api.ringostat.net/recordings/{}.mp3", self.uniqueid);
            params.push(("recording", link));
        }
        if !self.utm_source.is_empty() {
            params.push(("utm_source", self.utm_source.to_string()));
            params.push(("utm_medium", "cpc".to_string()));
            params.push(("utm_campaign", "brand".to_string()));
        }
        params
    }
}

/// The after-call webhook for `call`, as JSON (values are text, as Ringostat sends them).
pub fn call(call: &Call<'_>) -> (&'static str, Vec<u8>) {
    let body: Map<String, Value> = call
        .params()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    (JSON, Value::Object(body).to_string().into_bytes())
}

/// The same as [`call`], form-encoded.
pub fn call_form(call: &Call<'_>) -> (&'static str, Vec<u8>) {
    (FORM, form_body(call.params()))
}

fn form_params<'a>(fields: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    let mut params: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.to_string())).collect();
    params.extend([
        ("form_name", "Callback form".to_string()),
        ("landing", "https://shop.example.ua/sofas".to_string()),
        ("utm_source", "facebook".to_string()),
        ("utm_medium", "social".to_string()),
        ("client_id", "555.1715671000".to_string()),
    ]);
    params
}

/// The form webhook for a submission with the site's `fields` (name → value, e.g.
/// `[("tel", "+380 50 123 45 67"), ("email", "a@b.ua")]`) beside Ringostat's system
/// variables; as JSON.
pub fn form(fields: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    let body: Map<String, Value> = form_params(fields)
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    (JSON, Value::Object(body).to_string().into_bytes())
}

/// The same as [`form`], form-encoded.
pub fn form_encoded(fields: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    (FORM, form_body(form_params(fields)))
}
