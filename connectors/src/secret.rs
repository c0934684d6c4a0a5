//! Secrets: a string type that never prints itself, and a [`Redactor`] that scrubs known
//! secret values from any text before it is written anywhere (logs, errors, run history,
//! the database). Secrets leak in encoded forms too (a key in a query string is
//! percent-encoded, a token in a JSON body is escaped), so every form is scrubbed.

use std::fmt;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

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

/// Scrubs a set of secret values, in every encoding they may appear in, from text.
#[derive(Clone, Default, Debug)]
pub struct Redactor {
    /// Every form of every secret, longest first so a longer form is replaced before a
    /// shorter one that it contains.
    forms: Vec<String>,
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
            if secret.len() < MIN_REDACTABLE_LEN {
                continue;
            }
            let percent = utf8_percent_encode(&secret, NON_ALPHANUMERIC).to_string();
            let form = percent.replace("%20", "+");
            let json = serde_json::to_string(&secret).unwrap_or_default();
            let json_inner = json.trim_matches('"').to_string();
            for candidate in [secret, percent, form, json_inner] {
                if !candidate.is_empty() && !self.forms.contains(&candidate) {
                    self.forms.push(candidate);
                }
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Merge another redactor's secrets into this one.
    pub fn merge(&mut self, other: &Redactor) {
        for form in &other.forms {
            if !self.forms.contains(form) {
                self.forms.push(form.clone());
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Whether this redactor knows no secrets.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every known secret replaced by `[REDACTED]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }
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
    fn short_values_are_not_treated_as_secrets() {
        let r = Redactor::new(["ab".to_string()]);
        assert!(r.is_empty());
        assert_eq!(r.redact("abc"), "abc");
    }
}
