//! Finding records by phone when Salesforce stores phones as people typed them.
//!
//! Salesforce keeps a `Phone` exactly as entered (`+7 (999) 123-45-67`, `8 999 1234567`,
//! `(555) 123-4567`) and SOQL cannot strip formatting on the server, so `Phone = '...'`
//! only finds one spelling. The lookup therefore works in two steps:
//!
//! 1. **Server side, wide:** `Phone LIKE '%1%2%3%4%5%6%7'` — the last
//!    [`PATTERN_DIGITS`] digits of the number with `%` between and before them. This
//!    matches every spelling whose digits end that way, whatever separators (spaces,
//!    dashes, brackets, dots) sit between them. Seven digits keep the candidate list short
//!    without depending on the country or trunk prefix.
//! 2. **Client side, exact:** each candidate's digits are compared with the searched
//!    digits on the national part: the last [`COMPARE_DIGITS`] digits when both have at
//!    least that many (so `+7 999…`, `8 999…` and `999…` are one number), otherwise the
//!    whole digit strings must be equal. Candidates that only matched the wide pattern by
//!    chance are dropped.
//!
//! A number with fewer than [`MIN_DIGITS`] digits is not searched (it would match half
//! the org). `LIKE` with a leading `%` cannot use an index, so in a very large org the
//! query is a full scan of the object; Salesforce's SOSL phone search
//! (`FIND {...} IN PHONE FIELDS`) normalises numbers server-side but its reply format
//! differs across API versions, so it is not used here.

/// How many trailing digits go into the `LIKE` pattern.
pub const PATTERN_DIGITS: usize = 7;

/// How many trailing digits must agree for two numbers to be the same phone.
pub const COMPARE_DIGITS: usize = 10;

/// The shortest number searched at all.
pub const MIN_DIGITS: usize = 5;

/// The digits of `text`.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The `LIKE` pattern for a number (`%1%2%3%4%5%6%7`), or `None` when it has fewer than
/// [`MIN_DIGITS`] digits. The pattern holds digits and `%` only, so it needs no escaping.
pub fn like_pattern(number: &str) -> Option<String> {
    let digits = digits(number);
    if digits.len() < MIN_DIGITS {
        return None;
    }
    let tail = &digits[digits.len().saturating_sub(PATTERN_DIGITS)..];
    let mut pattern = String::with_capacity(tail.len() * 2);
    for d in tail.chars() {
        pattern.push('%');
        pattern.push(d);
    }
    Some(pattern)
}

/// Whether a stored phone is the searched number (see the module notes).
pub fn same_number(stored: &str, searched: &str) -> bool {
    let (a, b) = (digits(stored), digits(searched));
    if a.len() < MIN_DIGITS || b.len() < MIN_DIGITS {
        return false;
    }
    if a.len() >= COMPARE_DIGITS && b.len() >= COMPARE_DIGITS {
        a[a.len() - COMPARE_DIGITS..] == b[b.len() - COMPARE_DIGITS..]
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_take_the_last_seven_digits() {
        assert_eq!(
            like_pattern("+7 (999) 123-45-67").as_deref(),
            Some("%1%2%3%4%5%6%7")
        );
        assert_eq!(like_pattern("12-345").as_deref(), Some("%1%2%3%4%5"));
        assert_eq!(like_pattern("1234"), None);
        assert_eq!(like_pattern("no digits"), None);
    }

    #[test]
    fn spellings_of_one_number_match_and_others_do_not() {
        for stored in [
            "+7 (999) 123-45-67",
            "8 999 123 45 67",
            "79991234567",
            "999.123.4567",
        ] {
            assert!(same_number(stored, "+79991234567"), "{stored}");
        }
        assert!(!same_number("+7 (999) 923-45-67", "+79991234567"));
        // Same last seven digits, different area code: caught by the client-side check.
        assert!(!same_number("+7 (495) 123-45-67", "+79991234567"));
        assert!(same_number("123-45", "12345"));
        assert!(!same_number("9123-45", "12345"));
        assert!(!same_number("", "12345"));
    }
}
