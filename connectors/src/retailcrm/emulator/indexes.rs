//! Lookup indexes of the retailCRM emulator, kept beside its lists of customers and orders
//! so that a lookup by id, by `externalId` or by phone costs the same with a hundred
//! records as with a hundred thousand. The lists stay the source of truth (creation order,
//! what the API returns); an index only says *where* in a list to look, and every answer
//! is the one a scan of the list in creation order would give.

use std::collections::HashMap;

use serde_json::Value;

/// Digits of a phone-like text, in order.
pub(crate) fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The digits of a `filter[name]` value that searches phones: made of digits, spaces and
/// `+-()` only, with at least three digits. `None` for a name search.
pub(crate) fn phone_needle(needle: &str) -> Option<String> {
    let needle_digits = digits(needle);
    let phone_like = needle_digits.len() >= 3
        && needle
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c));
    phone_like.then_some(needle_digits)
}

/// Insert `position` into an ascending list once.
fn insert_sorted(list: &mut Vec<usize>, position: usize) {
    if let Err(at) = list.binary_search(&position) {
        list.insert(at, position);
    }
}

/// Remove `position` from an ascending list; drop the key when its list empties.
fn remove_sorted(map: &mut HashMap<String, Vec<usize>>, key: &str, position: usize) {
    if let Some(list) = map.get_mut(key) {
        if let Ok(at) = list.binary_search(&position) {
            list.remove(at);
        }
        if list.is_empty() {
            map.remove(key);
        }
    }
}

/// Customers or orders by `id` and by `externalId`.
///
/// Ids are unique and never change. An `externalId` can be edited, and an edit may give two
/// records the same one, so each holds the ascending positions of every record that has it:
/// the first one on the requested site is what a scan would find.
#[derive(Debug, Default)]
pub(crate) struct EntityIndex {
    by_id: HashMap<i64, usize>,
    by_external_id: HashMap<String, Vec<usize>>,
}

impl EntityIndex {
    /// Index the record at `position` (just stored or just edited).
    pub(crate) fn add(&mut self, position: usize, entity: &Value) {
        if let Some(id) = entity["id"].as_i64() {
            self.by_id.entry(id).or_insert(position);
        }
        if let Some(external_id) = entity["externalId"].as_str() {
            insert_sorted(
                self.by_external_id
                    .entry(external_id.to_string())
                    .or_default(),
                position,
            );
        }
    }

    /// Forget the `externalId` of the record at `position` before it is edited (its id
    /// cannot change and stays).
    pub(crate) fn remove_external_id(&mut self, position: usize, entity: &Value) {
        if let Some(external_id) = entity["externalId"].as_str() {
            remove_sorted(&mut self.by_external_id, external_id, position);
        }
    }

    /// The first record of `entities` whose `id` (`by == "id"`, compared as text, so `07`
    /// is not `7`) or `externalId` is `key`, on `site` when given.
    pub(crate) fn find(
        &self,
        entities: &[Value],
        key: &str,
        by: &str,
        site: Option<&str>,
    ) -> Option<usize> {
        let on_site = |position: &usize| site.is_none_or(|s| entities[*position]["site"] == s);
        match by {
            "id" => {
                let id = key.parse::<i64>().ok().filter(|id| id.to_string() == key)?;
                self.by_id.get(&id).copied().filter(on_site)
            }
            _ => self.by_external_id.get(key)?.iter().copied().find(on_site),
        }
    }
}

/// How many digits a phone index key has: the length of a full national number, so a
/// search by a whole phone (with or without the country code) finds its candidates at once.
const PHONE_WINDOW: usize = 10;

/// Customers by the phone digits they contain.
///
/// A phone search matches a customer when one of its phones' digits *contains* the
/// needle's digits. Each phone is indexed under every run of [`PHONE_WINDOW`] consecutive
/// digits it has, so any phone containing a needle of at least that many digits is listed
/// under the needle's first [`PHONE_WINDOW`] digits. The list is a superset the caller still
/// checks exactly; shorter needles have no candidates here and need a scan.
#[derive(Debug, Default)]
pub(crate) struct PhoneIndex {
    by_window: HashMap<String, Vec<usize>>,
}

impl PhoneIndex {
    fn windows(customer: &Value) -> Vec<String> {
        let mut windows = Vec::new();
        for phone in customer["phones"].as_array().into_iter().flatten() {
            let digits = digits(phone["number"].as_str().unwrap_or_default());
            if digits.len() < PHONE_WINDOW {
                continue;
            }
            for start in 0..=digits.len() - PHONE_WINDOW {
                windows.push(digits[start..start + PHONE_WINDOW].to_string());
            }
        }
        windows
    }

    /// Index the phones of the customer at `position`.
    pub(crate) fn add(&mut self, position: usize, customer: &Value) {
        for window in Self::windows(customer) {
            insert_sorted(self.by_window.entry(window).or_default(), position);
        }
    }

    /// Forget the phones of the customer at `position` (before an edit).
    pub(crate) fn remove(&mut self, position: usize, customer: &Value) {
        for window in Self::windows(customer) {
            remove_sorted(&mut self.by_window, &window, position);
        }
    }

    /// Ascending positions of the customers that may have a phone containing
    /// `needle_digits`; `None` when the needle is too short for the index.
    pub(crate) fn candidates(&self, needle_digits: &str) -> Option<&[usize]> {
        if needle_digits.len() < PHONE_WINDOW {
            return None;
        }
        Some(
            self.by_window
                .get(&needle_digits[..PHONE_WINDOW])
                .map_or(&[], Vec::as_slice),
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_match_as_text_and_external_ids_take_the_first_on_the_site() {
        let entities = vec![
            json!({"id": 1, "externalId": "a", "site": "one"}),
            json!({"id": 2, "externalId": "a", "site": "two"}),
        ];
        let mut index = EntityIndex::default();
        for (position, entity) in entities.iter().enumerate() {
            index.add(position, entity);
        }
        assert_eq!(index.find(&entities, "2", "id", None), Some(1));
        assert_eq!(index.find(&entities, "02", "id", None), None);
        assert_eq!(index.find(&entities, "2", "id", Some("one")), None);
        assert_eq!(index.find(&entities, "a", "externalId", None), Some(0));
        assert_eq!(
            index.find(&entities, "a", "externalId", Some("two")),
            Some(1)
        );
        index.remove_external_id(0, &entities[0]);
        assert_eq!(index.find(&entities, "a", "externalId", None), Some(1));
    }

    #[test]
    fn phones_are_found_by_any_ten_digits_they_contain() {
        let customers = [
            json!({"phones": [{"number": "+7 (916) 123-45-67"}]}),
            json!({"phones": [{"number": "8 916 765 43 21"}, {"number": "123"}]}),
        ];
        let mut index = PhoneIndex::default();
        for (position, customer) in customers.iter().enumerate() {
            index.add(position, customer);
        }
        assert_eq!(index.candidates("9161234567"), Some(&[0][..]));
        assert_eq!(index.candidates("79161234567"), Some(&[0][..]));
        assert_eq!(index.candidates("9167654321"), Some(&[1][..]));
        assert_eq!(index.candidates("5550000000"), Some(&[][..]));
        assert_eq!(index.candidates("916123"), None, "too short for the index");
        index.remove(1, &customers[1]);
        assert_eq!(index.candidates("9167654321"), Some(&[][..]));
        assert_eq!(
            phone_needle("+7 (916) 123-45-67").as_deref(),
            Some("79161234567")
        );
        assert_eq!(phone_needle("Anna"), None);
    }
}
