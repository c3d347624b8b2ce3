//! Profiles: the sections of the settings file (`looker.ini`), which one a run uses, and the
//! `looker config ls|use` commands.
//!
//! The profile is chosen by, first to last: `--profile NAME`, the `LOOKERSDK_PROFILE`
//! environment variable, the default stored by `looker config use NAME` (in `config.json`
//! beside the token file of `looker login`), and otherwise the SDK's own choice: the section
//! `[Looker]`, else the first section.

use std::path::{Path, PathBuf};

use crate::args::Globals;
use crate::config;
use crate::error::CliError;
use crate::io::Io;

/// The environment variable naming the profile (the env form of `--profile`).
pub const PROFILE_ENV: &str = "LOOKERSDK_PROFILE";

/// Where the chosen profile's name came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--profile`.
    Flag,
    /// [`PROFILE_ENV`].
    Env,
    /// `looker config use`, stored in this file.
    Stored(PathBuf),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Flag => "--profile".to_owned(),
            Source::Env => PROFILE_ENV.to_owned(),
            Source::Stored(file) => format!(
                "the default set by `looker config use`, stored in {}",
                file.display()
            ),
        }
    }
}

/// The file `looker config use` writes: `config.json` in the directory of the token file.
pub fn stored_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    config::token_file(env).map(|tokens| tokens.with_file_name("config.json"))
}

/// The default profile stored by `looker config use`, if any.
fn stored(env: &dyn Fn(&str) -> Option<String>) -> Option<(String, PathBuf)> {
    let file = stored_file(env)?;
    let text = std::fs::read_to_string(&file).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let name = value.get("profile")?.as_str()?.to_owned();
    (!name.is_empty()).then_some((name, file))
}

/// The profile named by the flag, the environment or the stored default, first to last.
pub fn chosen(g: &Globals, env: &dyn Fn(&str) -> Option<String>) -> Option<(String, Source)> {
    if let Some(name) = &g.profile {
        return Some((name.clone(), Source::Flag));
    }
    if let Some(name) = env(PROFILE_ENV).filter(|n| !n.is_empty()) {
        return Some((name, Source::Env));
    }
    stored(env).map(|(name, file)| (name, Source::Stored(file)))
}

/// The section names of an ini document, in order.
pub fn sections(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('[') && l.ends_with(']') && l.len() >= 2)
        .map(|l| l[1..l.len() - 1].trim().to_owned())
        .collect()
}

/// The section the SDK uses when none is named: `[Looker]` (any case), else the first.
fn sdk_default(sections: &[String]) -> Option<&str> {
    sections
        .iter()
        .find(|s| s.eq_ignore_ascii_case("looker"))
        .or_else(|| sections.first())
        .map(String::as_str)
}

/// The profile a run uses from `ini` (the settings file in use), checked to exist there.
/// `None`: the SDK's default section.
pub fn resolve(
    g: &Globals,
    env: &dyn Fn(&str) -> Option<String>,
    ini: Option<&Path>,
) -> Result<Option<String>, CliError> {
    let Some((name, source)) = chosen(g, env) else {
        return Ok(None);
    };
    let Some(ini) = ini else {
        return match source {
            // A stored default is about a settings file; without one there is nothing to pick.
            Source::Stored(_) => Ok(None),
            _ => {
                let looked: Vec<String> = config::default_ini_paths(env)
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                Err(CliError::usage(format!(
                    "profile `{name}` (from {}): no settings file found (looked for {}); give one with --ini FILE",
                    source.describe(),
                    looked.join(", ")
                )))
            }
        };
    };
    // An unreadable file is reported by the SDK, with its path.
    let Ok(text) = std::fs::read_to_string(ini) else {
        return Ok(Some(name));
    };
    let names = sections(&text);
    if names.contains(&name) {
        return Ok(Some(name));
    }
    let from = match source {
        Source::Flag => String::new(),
        other => format!(" (from {})", other.describe()),
    };
    Err(CliError::usage(format!(
        "no profile `{name}` in {}{from}; profiles: {}",
        ini.display(),
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    )))
}

/// The settings (ini keys) shown by `config ls`, and whether a value is a secret.
const SHOWN: [(&str, bool); 4] = [
    ("base_url", false),
    ("client_id", false),
    ("client_secret", true),
    ("verify_ssl", false),
];

/// `looker config ls`: the settings file in use, its profiles (the default marked `*`) with
/// their main settings (secrets hidden), and the `LOOKERSDK_*` variables that override them.
pub async fn ls(g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let ini = config::ini_file(g, &env);
    let mut out = String::new();
    let Some(ini) = ini else {
        let looked: Vec<String> = config::default_ini_paths(&env)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        out.push_str(&format!(
            "no settings file (looked for {}); settings come from LOOKERSDK_* and flags only\n",
            looked.join(", ")
        ));
        push_env(&mut out, &env);
        return crate::write_stdout(io, out.as_bytes()).await;
    };
    let text = std::fs::read_to_string(&ini)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", ini.display())))?;
    let names = sections(&text);
    let chosen = resolve(g, &env, Some(&ini))?;
    let default = chosen.as_deref().or_else(|| sdk_default(&names));
    out.push_str(&format!("settings file: {}\n", ini.display()));
    for other in config::default_ini_paths(&env)
        .into_iter()
        .filter(|p| p.is_file() && !same_file(p, &ini))
    {
        out.push_str(&format!("  (also found, not used: {})\n", other.display()));
    }
    let why = match self::chosen(g, &env) {
        Some((_, source)) => source.describe(),
        None => "the SDK's default: [Looker], else the first section".to_owned(),
    };
    out.push_str(&format!(
        "default profile: {} (from {why})\n\n",
        default.unwrap_or("none")
    ));
    let mut rows = vec![vec![
        "".to_owned(),
        "PROFILE".to_owned(),
        "BASE_URL".to_owned(),
        "CLIENT_ID".to_owned(),
        "CLIENT_SECRET".to_owned(),
        "VERIFY_SSL".to_owned(),
    ]];
    for name in &names {
        let values = section_values(&text, name);
        let mut row = vec![
            if Some(name.as_str()) == default {
                "*"
            } else {
                ""
            }
            .to_owned(),
            name.clone(),
        ];
        for (key, secret) in SHOWN {
            let value = values
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str());
            row.push(match (value, secret) {
                (None, _) | (Some(""), _) => "-".to_owned(),
                (Some(_), true) => "(set)".to_owned(),
                (Some(v), false) => v.to_owned(),
            });
        }
        rows.push(row);
    }
    out.push_str(&aligned(&rows));
    push_env(&mut out, &env);
    crate::write_stdout(io, out.as_bytes()).await
}

/// `looker config use NAME`: stores NAME as the default profile (checked to exist in the
/// settings file in use), written atomically.
pub async fn use_profile(name: &str, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let Some(ini) = config::ini_file(g, &env) else {
        let looked: Vec<String> = config::default_ini_paths(&env)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        return Err(CliError::usage(format!(
            "no settings file found (looked for {}); profiles are its sections",
            looked.join(", ")
        )));
    };
    let text = std::fs::read_to_string(&ini)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", ini.display())))?;
    let names = sections(&text);
    if !names.iter().any(|n| n == name) {
        return Err(CliError::usage(format!(
            "no profile `{name}` in {}; profiles: {}",
            ini.display(),
            names.join(", ")
        )));
    }
    let file = stored_file(&env).ok_or_else(|| {
        CliError::usage("no config directory to store the default in (set XDG_CONFIG_HOME or HOME)")
    })?;
    write_atomically(&file, &serde_json::json!({ "profile": name }).to_string())?;
    io.stderr.line(&format!(
        "looker: default profile is now `{name}` (stored in {}; --profile and {PROFILE_ENV} still take precedence)",
        file.display()
    ));
    Ok(())
}

/// Writes `text` to `file` through a temporary file in the same directory and a rename.
fn write_atomically(file: &Path, text: &str) -> Result<(), CliError> {
    let fail = |e: std::io::Error| CliError::Io(format!("cannot write {}: {e}", file.display()));
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    std::io::Write::write_all(&mut temp, format!("{text}\n").as_bytes()).map_err(fail)?;
    temp.persist(file).map_err(|e| fail(e.error))?;
    Ok(())
}

/// The `LOOKERSDK_*` variables set (secrets hidden), which override every profile.
fn push_env(out: &mut String, env: &dyn Fn(&str) -> Option<String>) {
    let vars: Vec<String> = [
        "BASE_URL",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "VERIFY_SSL",
        "TIMEOUT",
        "ACCESS_TOKEN",
        "PROFILE",
    ]
    .iter()
    .filter_map(|key| {
        let var = format!("LOOKERSDK_{key}");
        let value = env(&var).filter(|v| !v.is_empty())?;
        let secret = key.contains("SECRET") || key.contains("TOKEN");
        Some(if secret {
            format!("{var}=(set)")
        } else {
            format!("{var}={value}")
        })
    })
    .collect();
    if !vars.is_empty() {
        out.push_str(&format!(
            "\nenvironment (overrides the profile's values): {}\n",
            vars.join(" ")
        ));
    }
}

/// The key/value pairs of section `name` (keys lower-cased, as the SDK reads them).
fn section_values(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut values = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') && line.ends_with(']') && line.len() >= 2 {
            inside = line[1..line.len() - 1].trim() == name;
            continue;
        }
        if !inside || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(idx) = line.find(['=', ':']) {
            let value = line[idx + 1..].trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            values.push((line[..idx].trim().to_ascii_lowercase(), value.to_owned()));
        }
    }
    values
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Rows as columns separated by two spaces.
fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 1));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_their_values_are_read_as_the_sdk_reads_them() {
        let text = "; c\n[Looker]\nbase_url = https://a\n[ dev ]\nClient_Secret=\"s\"\n";
        assert_eq!(sections(text), ["Looker", "dev"]);
        assert_eq!(
            section_values(text, "dev"),
            [("client_secret".to_owned(), "s".to_owned())]
        );
        assert_eq!(sdk_default(&sections("[b]\n[a]\n")), Some("b"));
    }
}
