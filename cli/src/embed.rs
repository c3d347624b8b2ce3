//! `looker embed …`: signed embed URLs made and checked locally (`sign`, `verify`, with the
//! SDK's `looker_sdk::embed`), and the embed URL operations (`sso-url`, `as-me`).
//!
//! The embed secret never comes from the command line (where `ps` and shell history would
//! show it): `--secret-env VAR` (default `LOOKER_EMBED_SECRET`) or `--secret-file FILE`.

use std::path::Path;

use clap::{Arg, ArgAction, ArgMatches, Command};
use looker_sdk::embed::{self, Algorithm, EmbedSecret, SignedUrl};
use looker_sdk::models::{EmbedParams, EmbedSsoParams};
use serde_json::{Map, Value};

use crate::args::Globals;
use crate::config;
use crate::error::CliError;
use crate::{write_stdout, Io};

/// The variable the secret is read from when neither `--secret-env` nor `--secret-file` is given.
pub const DEFAULT_SECRET_ENV: &str = "LOOKER_EMBED_SECRET";

/// The keys `--params` takes: `EmbedSsoParams`' fields, plus `access_filters`.
const PARAM_KEYS: [&str; 15] = [
    "target_url",
    "external_user_id",
    "permissions",
    "models",
    "group_ids",
    "external_group_id",
    "user_attributes",
    "access_filters",
    "session_length",
    "first_name",
    "last_name",
    "user_timezone",
    "force_logout_login",
    "embed_domain",
    "secret_id",
];

fn secret_args() -> [Arg; 3] {
    [
        Arg::new("secret-env")
            .long("secret-env")
            .value_name("VAR")
            .conflicts_with("secret-file")
            .help("Read the embed secret from this environment variable (default LOOKER_EMBED_SECRET)"),
        Arg::new("secret-file")
            .long("secret-file")
            .value_name("FILE")
            .help("Read the embed secret from this file (one trailing newline is ignored)"),
        Arg::new("algo")
            .long("algo")
            .value_name("ALGO")
            .value_parser(["sha1", "sha256"])
            .default_value("sha1")
            .help("HMAC of the secret: sha1 (documented) or sha256 (not confirmed against a live Looker)"),
    ]
}

fn params_arg() -> Arg {
    Arg::new("params")
        .long("params")
        .value_name("FILE.json")
        .required(true)
        .help(
            "The user and target as JSON with EmbedSsoParams' field names (target_url, \
             external_user_id, permissions, models, group_ids, external_group_id, \
             user_attributes, session_length, first_name, last_name, user_timezone, \
             force_logout_login, embed_domain) plus access_filters",
        )
}

/// The `embed` subcommand tree.
pub fn command() -> Command {
    Command::new("embed")
        .about("Signed embed URLs: sign and verify locally, or have Looker make one")
        .subcommand_required(true)
        .subcommand(
            Command::new("sign")
                .about("Sign an SSO embed URL locally with the embed secret (no network)")
                .long_about(
                    "Sign an SSO embed URL locally with the embed secret (no network) and print \
                     it. target_url in --params is the page's full URL (host and /embed/… path \
                     are taken from it; /embed is inserted when the path lacks it) or an /embed/… \
                     path with --host. Values are signed exactly as the JSON gives them.",
                )
                .arg(params_arg())
                .arg(
                    Arg::new("host")
                        .long("host")
                        .value_name("HOST[:PORT]")
                        .help("The Looker web host the URL is for (default: target_url's host)"),
                )
                .arg(
                    Arg::new("nonce")
                        .long("nonce")
                        .value_name("N")
                        .help("Fixed nonce (default: 16 random alphanumerics; Looker accepts a nonce once)"),
                )
                .arg(
                    Arg::new("time")
                        .long("time")
                        .value_name("UNIX")
                        .value_parser(clap::value_parser!(u64))
                        .help("Fixed signing time in Unix seconds (default: now; Looker allows 5 minutes)"),
                )
                .args(secret_args()),
        )
        .subcommand(
            Command::new("verify")
                .about("Check a signed embed URL's signature with the secret; print its parameters as JSON")
                .long_about(
                    "Check a signed embed URL's signature with the embed secret and print the URL's \
                     decoded parts as JSON. Exit 1 when the signature does not match, 2 when the \
                     URL is not a signed embed URL. The time window is not checked.",
                )
                .arg(Arg::new("url").value_name("URL").required(true))
                .args(secret_args()),
        )
        .subcommand(
            Command::new("sso-url")
                .about("Have Looker sign an SSO embed URL (create_sso_embed_url)")
                .arg(params_arg()),
        )
        .subcommand(
            Command::new("as-me")
                .about("An embed URL that runs as you (create_embed_url_as_me); TARGET is https://host/embed/…")
                .arg(Arg::new("target").value_name("TARGET").required(true))
                .arg(
                    Arg::new("session-length")
                        .long("session-length")
                        .value_name("SECONDS")
                        .value_parser(clap::value_parser!(i64).range(1..=2_592_000))
                        .action(ArgAction::Set)
                        .help("Session length in seconds"),
                ),
        )
}

/// Runs `looker embed <sub>`.
pub async fn run(sub: &ArgMatches, globals: &Globals, io: &mut Io) -> Result<(), CliError> {
    match sub.subcommand() {
        Some(("sign", m)) => sign(m, io).await,
        Some(("verify", m)) => verify(m, io).await,
        Some(("sso-url", m)) => sso_url(m, globals, io).await,
        Some(("as-me", m)) => as_me(m, globals, io).await,
        _ => Err(CliError::usage(
            "looker embed: give sign, verify, sso-url or as-me",
        )),
    }
}

async fn sign(m: &ArgMatches, io: &mut Io) -> Result<(), CliError> {
    let params = read_params(m)?;
    let (host, target) = host_and_target(&params, m.get_one::<String>("host").map(String::as_str))?;
    let secret = read_secret(m)?;
    let mut b = SignedUrl::builder(host, target);
    for (key, value) in &params {
        b = match key.as_str() {
            "external_user_id" => b.external_user_id(value.clone()),
            "permissions" => b.permissions(value.clone()),
            "models" => b.models(value.clone()),
            "group_ids" => b.group_ids(value.clone()),
            "external_group_id" => b.external_group_id(value.clone()),
            "user_attributes" => b.user_attributes(value.clone()),
            "access_filters" => b.access_filters(value.clone()),
            "first_name" => b.first_name(value.clone()),
            "last_name" => b.last_name(value.clone()),
            "user_timezone" => b.user_timezone(value.clone()),
            "session_length" => b.session_length(value.as_u64().ok_or_else(|| {
                CliError::usage(format!(
                    "--params: session_length must be a whole number of seconds, not {value}"
                ))
            })?),
            "force_logout_login" => b.force_logout_login(value.as_bool().ok_or_else(|| {
                CliError::usage(format!(
                    "--params: force_logout_login must be true or false, not {value}"
                ))
            })?),
            "embed_domain" | "secret_id" => {
                io.stderr.line(&format!(
                    "looker: --params: {key} is for `looker embed sso-url` and is not part of a \
                     locally signed URL (put embed_domain in target_url's query to sign it)"
                ));
                b
            }
            // target_url is read above; read_params rejects unknown keys.
            _ => b,
        };
    }
    if let Some(nonce) = m.get_one::<String>("nonce") {
        b = b.nonce(nonce.clone());
    }
    if let Some(time) = m.get_one::<u64>("time") {
        b = b.time(*time);
    }
    let signed = b.sign(&secret)?;
    write_stdout(io, format!("{}\n", signed.url()).as_bytes()).await
}

async fn verify(m: &ArgMatches, io: &mut Io) -> Result<(), CliError> {
    let url = m
        .get_one::<String>("url")
        .ok_or_else(|| CliError::usage("looker embed verify: give the URL"))?;
    let secret = read_secret(m)?;
    let verified = embed::verify(url, &secret)?;
    let params: Map<String, Value> = verified
        .params()
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let out = serde_json::json!({
        "signature": "valid",
        "host": verified.host(),
        "target": verified.target(),
        "time": verified.time(),
        "params": params,
    });
    let mut text = serde_json::to_string_pretty(&out)
        .map_err(|e| CliError::Output(format!("cannot write the answer: {e}")))?;
    text.push('\n');
    write_stdout(io, text.as_bytes()).await
}

async fn sso_url(m: &ArgMatches, globals: &Globals, io: &mut Io) -> Result<(), CliError> {
    let mut params = read_params(m)?;
    if params.remove("access_filters").is_some() {
        io.stderr.line(
            "looker: --params: access_filters is not a field of create_sso_embed_url and is not sent",
        );
    }
    let body: EmbedSsoParams = serde_json::from_value(Value::Object(params))
        .map_err(|e| CliError::usage(format!("--params: not valid EmbedSsoParams: {e}")))?;
    let sdk = config::connect(globals).await?;
    let url = embed::create_sso_url(&sdk, &body).await?;
    write_stdout(io, format!("{url}\n").as_bytes()).await
}

async fn as_me(m: &ArgMatches, globals: &Globals, io: &mut Io) -> Result<(), CliError> {
    let target = m
        .get_one::<String>("target")
        .ok_or_else(|| CliError::usage("looker embed as-me: give the TARGET URL"))?;
    let Some((_, path)) = target
        .strip_prefix("https://")
        .or_else(|| target.strip_prefix("http://"))
        .and_then(|rest| rest.split_once('/'))
    else {
        return Err(CliError::usage(format!(
            "TARGET {target:?} is not a complete URL (https://host/embed/…)"
        )));
    };
    if !path.starts_with("embed/") {
        return Err(CliError::usage(format!(
            "TARGET {target:?}: its path must start with /embed/ (create_embed_url_as_me)"
        )));
    }
    let body = EmbedParams {
        target_url: Some(target.clone()),
        session_length: m.get_one::<i64>("session-length").copied(),
        ..EmbedParams::default()
    };
    let sdk = config::connect(globals).await?;
    let url = embed::create_url_as_me(&sdk, &body).await?;
    write_stdout(io, format!("{url}\n").as_bytes()).await
}

/// The `--params` file: a JSON object with known keys only (a typo is an error, not a field
/// silently left out of the signature).
fn read_params(m: &ArgMatches) -> Result<Map<String, Value>, CliError> {
    let path = m
        .get_one::<String>("params")
        .ok_or_else(|| CliError::usage("--params FILE.json is required"))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("--params: cannot read {path}: {e}")))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::usage(format!("--params: {path} is not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(CliError::usage(format!(
            "--params: {path} must hold a JSON object"
        )));
    };
    if let Some(unknown) = map.keys().find(|k| !PARAM_KEYS.contains(&k.as_str())) {
        return Err(CliError::usage(format!(
            "--params: unknown field {unknown:?} (known: {})",
            PARAM_KEYS.join(", ")
        )));
    }
    Ok(map)
}

/// The host and the `/embed/…` target of `sign`, from `target_url` (a full URL or an
/// `/embed/…` path) and `--host`.
fn host_and_target(
    params: &Map<String, Value>,
    host_flag: Option<&str>,
) -> Result<(String, String), CliError> {
    let target_url = match params.get("target_url") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(CliError::usage(format!(
                "--params: target_url must be a string, not {other}"
            )))
        }
        None => return Err(CliError::usage("--params: target_url is missing")),
    };
    let (url_host, path): (Option<&str>, String) = match target_url
        .strip_prefix("https://")
        .or_else(|| target_url.strip_prefix("http://"))
    {
        // `https://host/path?query`, `https://host?query` (path `/`) or `https://host`.
        Some(rest) => match rest.find(['/', '?']) {
            Some(i) if rest[i..].starts_with('/') => (Some(&rest[..i]), rest[i..].to_string()),
            Some(i) => (Some(&rest[..i]), format!("/{}", &rest[i..])),
            None => (Some(rest), "/".to_string()),
        },
        None if target_url.starts_with('/') => (None, target_url.to_string()),
        None => {
            return Err(CliError::usage(format!(
                "--params: target_url {target_url:?} is neither a URL (https://host/…) nor an /embed/… path"
            )))
        }
    };
    let host = match (host_flag, url_host) {
        (Some(h), _) => h.to_string(),
        (None, Some(h)) => h.to_string(),
        (None, None) => {
            return Err(CliError::usage(
                "target_url is a path: give the Looker host with --host",
            ))
        }
    };
    let target = if path.starts_with("/embed/") {
        path
    } else if url_host.is_some() {
        format!("/embed{path}")
    } else {
        return Err(CliError::usage(format!(
            "--params: target_url {target_url:?} must start with /embed/"
        )));
    };
    Ok((host, target))
}

/// The secret from `--secret-file`, `--secret-env`, or `LOOKER_EMBED_SECRET`.
fn read_secret(m: &ArgMatches) -> Result<EmbedSecret, CliError> {
    let value = if let Some(path) = m.get_one::<String>("secret-file") {
        let text = std::fs::read_to_string(Path::new(path))
            .map_err(|e| CliError::usage(format!("--secret-file: cannot read {path}: {e}")))?;
        let text = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text)
            .to_string();
        if text.is_empty() {
            return Err(CliError::usage(format!("--secret-file: {path} is empty")));
        }
        text
    } else {
        let var = m
            .get_one::<String>("secret-env")
            .map(String::as_str)
            .unwrap_or(DEFAULT_SECRET_ENV);
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => v,
            _ => {
                return Err(CliError::usage(format!(
                    "no embed secret: set {var} (or use --secret-env VAR or --secret-file FILE; \
                     the secret is never taken from an argument)"
                )))
            }
        }
    };
    let algorithm = match m.get_one::<String>("algo").map(String::as_str) {
        Some("sha256") => Algorithm::HmacSha256,
        _ => Algorithm::HmacSha1,
    };
    Ok(EmbedSecret::new(value).with_algorithm(algorithm))
}
