//! `login_interactive` opening "the browser" through the `webbrowser` crate: `$BROWSER` is a
//! script that fetches the URL with curl and follows the redirect to the listener.
//! One test only: it sets a process environment variable.
mod fake_looker;

use std::time::Duration;

use fake_looker::{FakeLooker, CLIENT_GUID};
use looker_sdk::oauth::{self, LoginOptions};
use looker_sdk::LookerSdk;

#[cfg(unix)]
#[tokio::test]
async fn login_interactive_opens_the_browser_and_returns_tokens() {
    use std::os::unix::fs::PermissionsExt;
    let curl = looker_sdk_testkit::external_program::Program::new("curl")
        .install_hint("apt-get install curl");
    let Some(curl) = curl.require_for("login_interactive_opens_the_browser_and_returns_tokens")
    else {
        return;
    };
    let fake = FakeLooker::default();
    let (looker_url, base_url) = fake.start().await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fake-browser");
    let seen = dir.path().join("opened-url");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{}'\nexec '{}' -sS -L --noproxy '*' -o /dev/null \"$1\"\n",
            seen.display(),
            curl.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::env::set_var("BROWSER", &script);

    let settings = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&base_url)
        .looker_url(&looker_url)
        .redirect_uri("http://127.0.0.1:0/cb")
        .client_id(CLIENT_GUID)
        .proxy("none")
        .settings()
        .unwrap();
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = said.clone();
    let tokens = oauth::login_interactive(
        &settings,
        LoginOptions::default()
            .timeout(Duration::from_secs(30))
            .messages(move |m| sink.lock().unwrap().push(m.to_owned())),
    )
    .await
    .unwrap();
    assert_eq!(tokens.access_token().expose(), "at-2");
    let opened = std::fs::read_to_string(&seen).unwrap();
    let said = said.lock().unwrap().join("\n");
    assert!(
        said.contains(&opened),
        "the URL is always printed too: {said}"
    );
    assert!(!said.contains("at-2") && !said.contains("SECRET"), "{said}");
    assert!(
        opened.starts_with(&format!("{looker_url}/auth?")),
        "{opened}"
    );
    assert_eq!(fake.state().auth_requests.len(), 1);
}
