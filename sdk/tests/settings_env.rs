//! Settings precedence with the real process environment and a real ini file.
//! One test only: it mutates process environment variables.

use std::time::Duration;

use looker_sdk::{Error, LookerSdk, SettingSource};

#[test]
fn defaults_ini_env_and_code_layer_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("looker.ini");
    std::fs::write(
        &ini,
        "[Looker]\nbase_url=https://ini.example.com:19999\nclient_id=ini-id\nclient_secret=ini-secret\nverify_ssl=false\ntimeout=30\n",
    )
    .unwrap();
    for v in [
        "BASE_URL",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "VERIFY_SSL",
        "TIMEOUT",
        "LOOKER_URL",
        "REDIRECT_URI",
    ] {
        std::env::remove_var(format!("LOOKERSDK_{v}"));
    }

    // ini only (defaults fill the rest).
    let sdk = LookerSdk::from_ini(&ini).unwrap();
    let s = sdk.settings();
    assert_eq!(s.base_url(), "https://ini.example.com:19999");
    assert_eq!(sdk.api_root(), "https://ini.example.com:19999/api/4.0");
    assert!(!s.verify_ssl());
    assert_eq!(s.timeout(), Some(Duration::from_secs(30)));
    assert!(s.has_credentials());
    assert_eq!(s.app_id(), "looker-sdk-rust");

    // env overrides ini.
    std::env::set_var("LOOKERSDK_BASE_URL", "https://env.example.com");
    std::env::set_var("LOOKERSDK_TIMEOUT", "60");
    std::env::set_var("LOOKERSDK_VERIFY_SSL", "true");
    let sdk = LookerSdk::from_ini(&ini).unwrap();
    assert_eq!(sdk.settings().base_url(), "https://env.example.com");
    assert_eq!(sdk.settings().timeout(), Some(Duration::from_secs(60)));
    assert!(sdk.settings().verify_ssl());

    // One matching pair of quotes around an env value is dropped, as in looker.ini.
    std::env::set_var("LOOKERSDK_BASE_URL", "'https://quoted.example.com'");
    std::env::set_var("LOOKERSDK_TIMEOUT", "\"61\"");
    let sdk = LookerSdk::from_ini(&ini).unwrap();
    assert_eq!(sdk.settings().base_url(), "https://quoted.example.com");
    assert_eq!(sdk.settings().timeout(), Some(Duration::from_secs(61)));
    std::env::set_var("LOOKERSDK_BASE_URL", "https://env.example.com");
    std::env::set_var("LOOKERSDK_TIMEOUT", "60");

    // code overrides env.
    let sdk = LookerSdk::builder()
        .ini_file(&ini)
        .timeout(Duration::from_secs(7))
        .build()
        .unwrap();
    assert_eq!(sdk.settings().timeout(), Some(Duration::from_secs(7)));
    assert_eq!(sdk.settings().base_url(), "https://env.example.com");

    // Invalid env values are errors naming the setting and the variable.
    std::env::set_var("LOOKERSDK_TIMEOUT", "ten");
    let err = LookerSdk::from_ini(&ini).unwrap_err();
    match &err {
        Error::Config {
            setting, origin, ..
        } => {
            assert_eq!(setting, "timeout");
            assert_eq!(origin, &SettingSource::Env("LOOKERSDK_TIMEOUT".into()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("LOOKERSDK_TIMEOUT"), "{err}");
    std::env::set_var("LOOKERSDK_TIMEOUT", "60");

    std::env::set_var("LOOKERSDK_VERIFY_SSL", "perhaps");
    let err = LookerSdk::from_ini(&ini).unwrap_err();
    assert!(err.to_string().contains("verify_ssl"), "{err}");
    std::env::remove_var("LOOKERSDK_VERIFY_SSL");

    std::env::set_var("LOOKERSDK_BASE_URL", "ftp://nope");
    let err = LookerSdk::from_ini(&ini).unwrap_err();
    assert!(err.to_string().contains("base_url"), "{err}");
    assert!(err.to_string().contains("LOOKERSDK_BASE_URL"), "{err}");

    // Secrets from env never show up, even in errors about them.
    std::env::set_var("LOOKERSDK_BASE_URL", "https://env.example.com");
    std::env::set_var("LOOKERSDK_CLIENT_SECRET", "env-secret-123");
    let sdk = LookerSdk::from_ini(&ini).unwrap();
    let dbg = format!("{sdk:?}");
    assert!(
        !dbg.contains("env-secret-123") && !dbg.contains("ini-secret"),
        "{dbg}"
    );

    // A missing ini file given explicitly is an error; ignore_env ignores the environment.
    let err = LookerSdk::from_ini(dir.path().join("missing.ini")).unwrap_err();
    assert!(err.to_string().contains("missing.ini"), "{err}");
    let sdk = LookerSdk::builder()
        .ini_file(&ini)
        .ignore_env()
        .build()
        .unwrap();
    assert_eq!(sdk.settings().base_url(), "https://ini.example.com:19999");

    // Browser-login settings: env over ini, invalid values name the variable.
    std::env::remove_var("LOOKERSDK_CLIENT_SECRET");
    std::fs::write(
        &ini,
        "[Looker]\nbase_url=https://ini.example.com:19999\nlooker_url=https://ini-web.example.com\nredirect_uri=http://127.0.0.1:7777\nclient_id=com.example.app\n",
    )
    .unwrap();
    let s = LookerSdk::builder().ini_file(&ini).settings().unwrap();
    assert_eq!(s.looker_url(), Some("https://ini-web.example.com"));
    assert_eq!(s.redirect_uri(), Some("http://127.0.0.1:7777"));
    assert!(
        !s.has_credentials(),
        "client_id without client_secret is an OAuth app"
    );
    std::env::set_var("LOOKERSDK_LOOKER_URL", "https://env-web.example.com");
    std::env::set_var("LOOKERSDK_REDIRECT_URI", "http://localhost:8080/callback");
    let s = LookerSdk::builder().ini_file(&ini).settings().unwrap();
    assert_eq!(s.looker_url(), Some("https://env-web.example.com"));
    assert_eq!(s.redirect_uri(), Some("http://localhost:8080/callback"));
    std::env::set_var("LOOKERSDK_REDIRECT_URI", "https://example.com/callback");
    let err = LookerSdk::builder().ini_file(&ini).settings().unwrap_err();
    match &err {
        Error::Config {
            setting, origin, ..
        } => {
            assert_eq!(setting, "redirect_uri");
            assert_eq!(origin, &SettingSource::Env("LOOKERSDK_REDIRECT_URI".into()));
        }
        other => panic!("{other:?}"),
    }

    for v in [
        "BASE_URL",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "VERIFY_SSL",
        "TIMEOUT",
        "LOOKER_URL",
        "REDIRECT_URI",
    ] {
        std::env::remove_var(format!("LOOKERSDK_{v}"));
    }
}
