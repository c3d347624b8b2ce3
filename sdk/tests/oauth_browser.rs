//! The browser login driven by a real headless Chromium: it loads the authorization URL,
//! follows the fake Looker's redirect to the SDK's loopback listener and shows its page.
//!
//! Needs `chromium` on the PATH (or `LOOKER_TEST_CHROMIUM=/path/to/chromium`); `.ci/run`
//! installs Debian's package. Without a browser the test fails, unless
//! `LOOKER_SDK_SKIP_BROWSER_TEST=1` is set outside CI (CI never skips it).
mod fake_looker;

use std::path::PathBuf;
use std::time::Duration;

use fake_looker::{FakeLooker, CLIENT_GUID};
use looker_sdk::oauth::{Login, LoginOptions};
use looker_sdk::LookerSdk;
use serde_json::Value;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LOOKER_TEST_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())
}

#[tokio::test]
async fn headless_chromium_completes_the_login() {
    let Some(browser) = chromium() else {
        let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
        if !in_ci && std::env::var("LOOKER_SDK_SKIP_BROWSER_TEST").as_deref() == Ok("1") {
            eprintln!("SKIPPED: no chromium (LOOKER_SDK_SKIP_BROWSER_TEST=1)");
            return;
        }
        panic!(
            "chromium is not installed: `apt-get install -y chromium` (or set LOOKER_TEST_CHROMIUM); \
             outside CI, LOOKER_SDK_SKIP_BROWSER_TEST=1 skips this test"
        );
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
