//! The browser login driven by a real headless Chromium: it loads the authorization URL,
//! follows the fake Looker's redirect to the SDK's loopback listener and shows its page.
//!
//! Needs `chromium` (or `chromium-browser`) on the PATH, or `LOOKER_TEST_CHROMIUM=/path/to/it`;
//! `.ci/run` installs Debian's package. Without a browser the test says so in one line and
//! passes, except in CI (or with `LOOKER_REQUIRE_ALL_TESTS=1`), where it fails
//! (`looker_sdk_testkit::external_program`).
mod fake_looker;

use std::time::Duration;

use fake_looker::{FakeLooker, CLIENT_GUID};
use looker_sdk::oauth::{Login, LoginOptions};
use looker_sdk::LookerSdk;
use looker_sdk_testkit::external_program::Program;
use serde_json::Value;

#[tokio::test]
async fn headless_chromium_completes_the_login() {
    let chromium = Program::new("chromium")
        .or("chromium-browser")
        .from_env("LOOKER_TEST_CHROMIUM")
        .install_hint("apt-get install chromium");
    let Some(browser) = chromium.require_for("headless_chromium_completes_the_login") else {
        return;
    };
    let fake = FakeLooker::default();
    let (looker_url, base_url) = fake.start().await;
    let builder = || {
        LookerSdk::builder()
            .ignore_env()
            .ignore_ini()
            .base_url(&base_url)
            .looker_url(&looker_url)
            .redirect_uri("http://127.0.0.1:0/oauth/callback")
            .client_id(CLIENT_GUID)
            .proxy("none")
    };
    let login = Login::start(
        &builder().settings().unwrap(),
        LoginOptions::default().timeout(Duration::from_secs(90)),
    )
    .await
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let mut chrome = tokio::process::Command::new(&browser);
    chrome
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-proxy-server",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(login.authorization_url())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let child = chrome
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    let run = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output());
    let (output, tokens) = tokio::join!(run, login.finish());
    let output = output
        .expect("chromium did not finish within 120 s")
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let tokens = tokens.unwrap_or_else(|e| {
        panic!(
            "login failed: {e}\nchromium stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        dom.contains("You are logged in to Looker"),
        "chromium showed: {dom}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let agents = fake.state().auth_user_agents.clone();
    assert!(
        agents
            .iter()
            .any(|a| a.contains("HeadlessChrome") || a.contains("Chrome/")),
        "the authorization page was loaded by Chromium: {agents:?}"
    );
    let sdk = builder().oauth_tokens(tokens).build().unwrap();
    let me: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(me["id"], "7");
}
