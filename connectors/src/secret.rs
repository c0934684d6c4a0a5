//! Secrets: a string type that never prints itself, and a [`Redactor`] that scrubs known
//! secret values from any text before it is written anywhere (logs, errors, run history,
//! the database). Secrets leak in encoded forms too (a key in a query string is
//! percent-encoded, a token in a JSON body is escaped), so every form is scrubbed.
//!
//! Most secrets are known when a connection is built, but some are not: an OAuth2
//! connection receives new tokens while it runs. Those are added to [`LiveSecrets`], a
//! set shared by reference, and every [`Redactor`] that was given the set (the
//! connection's own and the engine's per-bundle one, through [`Redactor::merge`]) scrubs
//! them from then on.

use std::fmt;
use std::sync::{Arc, RwLock};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is percent-encoded.
const URL_UNRESERVED: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not scrubbed from text: replacing every "1" or "ab" in
/// a log would destroy it without protecting anything real.
const MIN_REDACTABLE_LEN: usize = 4;

/// A secret value. `Debug` and `Display` print `[REDACTED]`; use [`SecretString::expose`]
/// only where the value goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wrap a secret.
    pub fn new(value: impl Into<String>) -> Self {
        SecretString(value.into())
    }

    /// The raw value, for building a request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Secrets learned after a connection was built (refreshed OAuth2 tokens). Clones share
/// one set: adding a secret to any clone makes every [`Redactor`] holding the set scrub it.
#[derive(Clone, Default)]
pub struct LiveSecrets {
    forms: Arc<RwLock<Vec<String>>>,
}

impl LiveSecrets {
    /// Scrub `secret` (in every encoding) from now on, wherever this set is held.
    pub fn add(&self, secret: &str) {
        let mut forms = self.forms.write().unwrap_or_else(|p| p.into_inner());
        for form in forms_of(secret) {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Whether both handles are the same set.
    pub fn same_set(&self, other: &LiveSecrets) -> bool {
        Arc::ptr_eq(&self.forms, &other.forms)
    }

    fn redact_into(&self, out: &mut String) {
        let forms = self.forms.read().unwrap_or_else(|p| p.into_inner());
        for form in forms.iter() {
            if out.contains(form.as_str()) {
                *out = out.replace(form.as_str(), REDACTED);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.forms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }
}

impl fmt::Debug for LiveSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.forms.read().map(|f| f.len()).unwrap_or_default();
        write!(f, "LiveSecrets({count} forms)")
    }
}

/// Scrubs a set of secret values, in every encoding they may appear in, from text.
#[derive(Clone, Default, Debug)]
pub struct Redactor {
    /// Every form of every secret, longest first so a longer form is replaced before a
    /// shorter one that it contains.
    forms: Vec<String>,
    /// Sets that grow while the connection runs (refreshed tokens), applied after `forms`.
    live: Vec<LiveSecrets>,
}

impl Redactor {
    /// A redactor for these secret values.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut redactor = Redactor::default();
        redactor.extend(secrets);
        redactor
    }

    /// Add more secret values.
    pub fn extend(&mut self, secrets: impl IntoIterator<Item = String>) {
        for secret in secrets {
            for candidate in forms_of(&secret) {
                if !self.forms.contains(&candidate) {
                    self.forms.push(candidate);
                }
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// This redactor, also scrubbing whatever `live` learns later.
    pub fn with_live(mut self, live: &LiveSecrets) -> Self {
        self.add_live(live);
        self
    }

    fn add_live(&mut self, live: &LiveSecrets) {
        if !self.live.iter().any(|l| l.same_set(live)) {
            self.live.push(live.clone());
        }
    }

    /// Merge another redactor's secrets into this one.
    pub fn merge(&mut self, other: &Redactor) {
        for form in &other.forms {
            if !self.forms.contains(form) {
                self.forms.push(form.clone());
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        for live in &other.live {
            self.add_live(live);
        }
    }

    /// Whether this redactor knows no secrets.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty() && self.live.iter().all(LiveSecrets::is_empty)
    }

    /// `text` with every known secret replaced by `[REDACTED]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        for live in &self.live {
            live.redact_into(&mut out);
        }
        out
    }
}

/// Every form `secret` can leak in: raw, percent-encoded (strictly, RFC 3986 and form
/// style) and JSON-escaped, plus the parts of a secret URL. Empty for secrets too short to
/// scrub.
fn forms_of(secret: &str) -> Vec<String> {
    let mut pending = vec![secret.to_string()];
    // A secret URL (a Bitrix24 incoming-webhook address) leaks through its parts
    // too: a server echoing the request path, or a proxy logging the query.
    pending.extend(url_parts(secret));
    let mut forms: Vec<String> = Vec::new();
    for secret in pending {
        if secret.len() < MIN_REDACTABLE_LEN {
            continue;
        }
        let percent = utf8_percent_encode(&secret, NON_ALPHANUMERIC).to_string();
        let form = percent.replace("%20", "+");
        // URL encoders leave the unreserved `-._~` as they are (RFC 3986), and form
        // encoding also `*`: an API echoing the request shows these forms.
        let unreserved = utf8_percent_encode(&secret, URL_UNRESERVED).to_string();
        let form_urlencoded: String =
            url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let json = serde_json::to_string(&secret).unwrap_or_default();
        let json_inner = json.trim_matches('"').to_string();
        for candidate in [
            secret,
            percent,
            form,
            unreserved,
            form_urlencoded,
            json_inner,
        ] {
            if !candidate.is_empty() && !forms.contains(&candidate) {
                forms.push(candidate);
            }
        }
    }
    forms
}

/// The secret-bearing parts of a URL secret: its path (where webhook codes live), its
/// password, and its query values. Empty for anything that is not an absolute URL.
fn url_parts(secret: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(secret) else {
        return Vec::new();
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Vec::new();
    }
    let mut parts = Vec::new();
    let path = url.path().trim_end_matches('/');
    // A bare host has no secret path; `/api` alone is too common to scrub.
    if path.len() >= 8 {
        parts.push(path.to_string());
    }
    if let Some(password) = url.password() {
        parts.push(password.to_string());
    }
    parts.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_itself() {
        let s = SecretString::new("tok-123456");
        assert_eq!(format!("{s} {s:?}"), "[REDACTED] [REDACTED]");
        assert_eq!(s.expose(), "tok-123456");
    }

    #[test]
    fn redacts_raw_url_encoded_and_json_escaped_forms() {
        let secret = "k3y/with \"quote\"&more".to_string();
        let r = Redactor::new([secret.clone()]);
        let percent = utf8_percent_encode(&secret, NON_ALPHANUMERIC).to_string();
        let json = serde_json::to_string(&secret).unwrap();
        let text = format!("raw={secret} url=?apiKey={percent} body={{\"token\":{json}}}");
        let clean = r.redact(&text);
        assert!(!clean.contains("k3y"), "{clean}");
        assert_eq!(clean.matches(REDACTED).count(), 3, "{clean}");
    }

    #[test]
    fn a_secret_url_is_scrubbed_from_echoed_paths_too() {
        let r = Redactor::new(["https://shop.bitrix24.ru/rest/1/a1b2c3d4e5f6/".to_string()]);
        let echoed = "404 for /rest/1/a1b2c3d4e5f6/crm.deal.add.json";
        assert_eq!(r.redact(echoed), "404 for [REDACTED]/crm.deal.add.json");
        let r = Redactor::new(["https://api.example.com/v1?token=tok-998877".to_string()]);
        assert_eq!(
            r.redact("GET /v1/x?token=tok-998877"),
            "GET /v1/x?token=[REDACTED]"
        );
    }

    #[test]
    fn standard_url_encodings_are_redacted_too() {
        let r = Redactor::new(["tok-9f.8e/7d+6c~x*y".to_string()]);
        let rfc3986 = "tok-9f.8e%2F7d%2B6c~x%2Ay";
        let form = "tok-9f.8e%2F7d%2B6c%7Ex*y";
        assert_eq!(
            r.redact(&format!("a={rfc3986}&b={form}")),
            "a=[REDACTED]&b=[REDACTED]"
        );
    }

    #[test]
    fn live_secrets_are_scrubbed_by_every_redactor_holding_them() {
        let live = LiveSecrets::default();
        let connection = Redactor::new(["static-key-1".to_string()]).with_live(&live);
        let mut bundle = Redactor::default();
        bundle.merge(&connection);
        assert_eq!(bundle.redact("tok-late-42"), "tok-late-42");
        live.add("tok-late-42");
        assert_eq!(connection.redact("a tok-late-42 b"), "a [REDACTED] b");
        assert_eq!(
            bundle.redact("x=tok-late-42&k=static-key-1"),
            "x=[REDACTED]&k=[REDACTED]"
        );
        assert!(!bundle.is_empty());
    }

    #[test]
    fn short_values_are_not_treated_as_secrets() {
        let r = Redactor::new(["ab".to_string()]);
        assert!(r.is_empty());
        assert_eq!(r.redact("abc"), "abc");
    }
}
