//! Problems found while reading bundles, each with the file, line, column and field path it
//! is about, and a "did you mean" when a close known name exists.

use std::fmt;
use std::path::PathBuf;

/// One problem in one bundle file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file it is in.
    pub file: PathBuf,
    /// 1-based line; 0 when the problem is about the whole file (it could not be read).
    pub line: usize,
    /// 1-based column; 0 when the problem is about the whole file.
    pub column: usize,
    /// Where in the bundle, e.g. `steps[2].with.phone`; empty for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// The known name closest to a misspelt one.
    pub suggestion: Option<String>,
}

impl fmt::Display for Diagnostic {
    /// `bundles/x.yaml:14:7 steps[2].with.phne: unknown input field `phne` (did you mean `phone`?)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)?;
        } else {
            write!(f, " {}: {}", self.path, self.message)?;
        }
        if let Some(suggestion) = &self.suggestion {
            write!(f, " (did you mean `{suggestion}`?)")?;
        }
        Ok(())
    }
}

/// Every problem found, in file order and then line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterate over the problems.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    /// One problem per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// How similar a misspelling must be (Jaro-Winkler, 0..1) before it is worth suggesting.
/// Below this, suggestions are noise ("did you mean `id`?" for `kind`).
const SUGGESTION_THRESHOLD: f64 = 0.8;

/// The candidate closest to `wrong`, if any is close enough to be a plausible typo: similar
/// by Jaro-Winkler, or one edit away (Jaro-Winkler alone is harsh on short names: `pr` for
/// `per`).
pub(crate) fn closest<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let wrong_lower = wrong.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let candidate_lower = candidate.to_lowercase();
        let score = strsim::jaro_winkler(&wrong_lower, &candidate_lower);
        let one_edit = strsim::damerau_levenshtein(&wrong_lower, &candidate_lower) <= 1;
        let plausible = score >= SUGGESTION_THRESHOLD || one_edit;
        if plausible && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(line: usize, path: &str, suggestion: Option<&str>) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from("bundles/x.yaml"),
            line,
            column: 7,
            path: path.into(),
            message: "unknown input field `phne`".into(),
            suggestion: suggestion.map(str::to_string),
        }
    }

    #[test]
    fn display_names_file_position_path_and_suggestion() {
        let d = diag(14, "steps[2].with.phne", Some("phone"));
        assert_eq!(
            d.to_string(),
            "bundles/x.yaml:14:7 steps[2].with.phne: unknown input field `phne` (did you mean `phone`?)"
        );
        let whole_file = Diagnostic {
            line: 0,
            column: 0,
            path: String::new(),
            ..diag(0, "", None)
        };
        assert_eq!(
            whole_file.to_string(),
            "bundles/x.yaml: unknown input field `phne`"
        );
        let all = Diagnostics(vec![diag(1, "a", None), diag(2, "b", None)]);
        assert_eq!(all.to_string().lines().count(), 2);
    }

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(
            closest("stpes", ["id", "name", "steps", "trigger"]),
            Some("steps".into())
        );
        assert_eq!(closest("phne", ["email", "phone"]), Some("phone".into()));
        assert_eq!(closest("zzz", ["id", "name", "steps"]), None);
        assert_eq!(closest("pr", ["requests", "per"]), Some("per".into()));
        assert_eq!(closest("kind", ["id", "name"]), None);
    }
}
