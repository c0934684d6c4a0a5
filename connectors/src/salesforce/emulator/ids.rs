//! Salesforce record ids as the emulator makes them: a three-character key prefix per
//! object (`00Q` Lead, `003` Contact, ...), a serial, and the real 3-character suffix that
//! turns a case-sensitive 15-character id into the case-insensitive 18-character form
//! the REST API answers with.

/// The alphabet of the 18-character suffix.
const SUFFIX_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The key prefix of an object's ids.
pub fn key_prefix(object: &str) -> &'static str {
    match object {
        "Account" => "001",
        "Contact" => "003",
        "User" => "005",
        "Opportunity" => "006",
        "Lead" => "00Q",
        "Task" => "00T",
        "OpportunityContactRole" => "00K",
        "OpportunityStage" => "01J",
        _ => "a00",
    }
}

/// The 18-character form of a 15-character id: for each 5-character chunk, a letter
/// encoding which of its characters are upper case.
pub fn with_suffix(id15: &str) -> String {
    let mut suffix = String::with_capacity(3);
    for chunk in id15.as_bytes().chunks(5) {
        let mut bits = 0usize;
        for (i, byte) in chunk.iter().enumerate() {
            if byte.is_ascii_uppercase() {
                bits |= 1 << i;
            }
        }
        suffix.push(SUFFIX_ALPHABET[bits] as char);
    }
    format!("{id15}{suffix}")
}

/// The `serial`-th id of `object` in the org whose "pod" characters are `pod` (two
/// characters, e.g. `5g`).
pub fn record_id(object: &str, pod: &str, serial: u64) -> String {
    let id15 = format!("{}{pod}{serial:010}", key_prefix(object));
    with_suffix(&id15[..15])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_follow_the_case_encoding() {
        // All lower case / digits: every chunk encodes 0 → "AAA".
        assert_eq!(with_suffix("001000000000001"), "001000000000001AAA");
        // An upper-case letter in the first position of the first chunk sets bit 0 → "B".
        assert_eq!(with_suffix("A01000000000001"), "A01000000000001BAA");
        assert_eq!(record_id("Lead", "5g", 7), "00Q5g0000000007EAA");
        assert_eq!(record_id("Lead", "5g", 7).len(), 18);
    }
}
