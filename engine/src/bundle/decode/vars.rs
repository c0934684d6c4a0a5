//! Decoding `vars:`: named values derived from each item before the filter runs. Each is
//! a mapping like a step input; it may read the item, the bundle, and vars declared
//! before it, never steps (none has run yet).

use indexmap::IndexMap;

use super::mapping::decode_mapping;
use super::references::{Scope, check_reads, check_var_reads};
use crate::bundle::model::Mapping;
use crate::bundle::reader::{Decoder, Entry};

/// Decode the `vars` map. Returns the vars (when all decoded) and every declared name
/// (even of vars that failed), so reads elsewhere are checked against the names.
pub(super) fn decode_vars(
    dec: &mut Decoder,
    entry: &Entry<'_>,
) -> (Option<IndexMap<String, Mapping>>, Vec<String>) {
    let Some(mut map) = dec.map(entry.value, &entry.path) else {
        return (None, Vec::new());
    };
    let mut vars = IndexMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut ok = true;
    for var in map.take_rest() {
        if !valid_name(&var.name) {
            dec.error(
                var.key_at(),
                &var.path,
                format!(
                    "var name `{}` must start with a-z and hold only a-z, 0-9 and `_`",
                    var.name
                ),
            );
            ok = false;
        }
        let mut reads = Vec::new();
        let decoded = decode_mapping(dec, var.value, &var.path, &mut reads);
        check_reads(dec, &reads, Scope::BeforeSteps("a var"));
        check_var_reads(dec, &reads, &names);
        names.push(var.name.clone());
        match decoded {
            Some(m) => {
                vars.insert(var.name, m);
            }
            None => ok = false,
        }
    }
    (ok.then_some(vars), names)
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
