//! `ferry bundle new NAME --from TEMPLATE`: copy a template into a new bundle file with a
//! fresh id and the given name, keeping the template's comments (they tell the
//! integrator what to edit).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::CliError;
use crate::bundle::parse_bundle;

/// Arguments of `ferry bundle new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new bundle's name.
    pub name: String,
    /// A template file, or its path under `bundles/` without `.yaml`
    /// (e.g. `calltouch-retailcrm/call-to-order`).
    #[arg(long)]
    pub from: String,
    /// Where to write (default: `<name-slug>.yaml` in the current directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Directory of templates.
    #[arg(long, default_value = "bundles")]
    pub templates: PathBuf,
}

/// `Order sync (Moscow)` → `order-sync-moscow`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "bundle".into() } else { out }
}

fn template_path(args: &NewArgs) -> PathBuf {
    let direct = PathBuf::from(&args.from);
    if direct.is_file() {
        return direct;
    }
    let under = args.templates.join(&args.from);
    if under.is_file() {
        under
    } else {
        under.with_extension("yaml")
    }
}

/// Replace the top-level `key:` line's value, keeping any trailing comment.
fn replace_top_level(text: &str, key: &str, value: &str) -> Option<String> {
    let prefix = format!("{key}:");
    let mut replaced = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if !replaced && line.starts_with(&prefix) {
                replaced = true;
                let rest = &line[prefix.len()..];
                // Keep the comment and the spaces that align it.
                let comment = rest
                    .find(" #")
                    .map(|i| {
                        let start = rest[..i].trim_end().len();
                        &rest[start..]
                    })
                    .unwrap_or("");
                format!("{prefix} {value}{comment}")
            } else {
                line.to_string()
            }
        })
        .collect();
    replaced.then(|| lines.join("\n") + "\n")
}

/// Build the new bundle's text from a template's text.
pub fn instantiate(template: &str, name: &str, id: &str) -> Result<String, String> {
    let with_id =
        replace_top_level(template, "id", id).ok_or("the template has no top-level `id:` line")?;
    let quoted = serde_json::to_string(name).map_err(|e| e.to_string())?;
    replace_top_level(&with_id, "name", &quoted)
        .ok_or_else(|| "the template has no top-level `name:` line".into())
}

/// Run it.
pub fn execute(args: NewArgs) -> Result<ExitCode, CliError> {
    let source = template_path(&args);
    let template = std::fs::read_to_string(&source)
        .map_err(|e| format!("cannot read template {}: {e}", source.display()))?;
    let slug = slug(&args.name);
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let id = format!("{slug}-{suffix}");
    let text = instantiate(&template, &args.name, &id)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{slug}.yaml")));
    if out.exists() {
        return Err(format!("{} already exists; choose another --out", out.display()).into());
    }
    if let Err(problems) = parse_bundle(&out, &text) {
        return Err(format!(
            "the template {} does not validate:\n{problems}",
            source.display()
        )
        .into());
    }
    write_new(&out, &text)?;
    println!(
        "created {} (id {id}) from {}",
        out.display(),
        source.display()
    );
    println!(
        "next: edit the connection settings and secrets references, then `ferry validate {}`",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_and_id_friendly() {
        assert_eq!(slug("Order sync (Moscow)"), "order-sync-moscow");
        assert_eq!(slug("  !!  "), "bundle");
    }

    #[test]
    fn instantiate_replaces_id_and_name_and_keeps_comments() {
        let template = "# header\nid: template-id   # keep me\nname: Template\nsteps: []\n";
        let text = instantiate(template, "Shop \"A\"", "shop-a-123abc").unwrap();
        assert!(text.contains("id: shop-a-123abc   # keep me"), "{text}");
        assert!(text.contains("name: \"Shop \\\"A\\\"\""), "{text}");
        assert!(text.starts_with("# header\n"));
        assert!(instantiate("name: x\n", "n", "i").is_err());
    }
}
