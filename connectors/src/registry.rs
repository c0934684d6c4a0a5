//! The connector registry: one line per connector kind. Adding a system means adding its
//! directory, its line here, its emulator and its docs page, and nothing else.

use crate::connector::ConnectorKind;

/// Every connector kind ferry knows.
pub fn kinds() -> Vec<&'static dyn ConnectorKind> {
    vec![
        &crate::http::HttpKind,
        &crate::calltouch::CalltouchKind,
        &crate::retailcrm::RetailCrmKind,
        &crate::moysklad::MoySkladKind,
        &crate::callbackhunter::KIND,
        &crate::alfatrack::KIND,
        &crate::ringostat::KIND,
        &crate::bitrix24::Bitrix24Kind,
        &crate::amocrm::AmoCrmKind,
        &crate::salesforce::SalesforceKind,
        &crate::unitalk::UnitalkKind,
    ]
}

/// The connector kind named `kind`.
pub fn find(kind: &str) -> Option<&'static dyn ConnectorKind> {
    kinds().into_iter().find(|k| k.spec().kind == kind)
}

/// The names of all kinds, for "did you mean" suggestions.
pub fn kind_names() -> Vec<&'static str> {
    kinds().into_iter().map(|k| k.spec().kind).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_unique_and_lookups_work() {
        let names = kind_names();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names.len(), sorted.len());
        for name in names {
            assert_eq!(find(name).unwrap().spec().kind, name);
        }
    }
}
