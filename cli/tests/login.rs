//! `looker login --no-browser` / `looker api me` / `looker logout` through the built binary,
//! against the SDK's fake Looker for browser logins; an HTTP client plays the browser.
#[path = "../../sdk/tests/fake_looker/mod.rs"]
mod fake_looker;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use fake_looker::{FakeLooker, CLIENT_GUID};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

struct Env {
    vars: Vec<(String, String)>,
    home: tempfile::TempDir,
}

impl Env {
    fn new(looker_url: &str, base_url: &str) -> Env {
        let home = tempfile::tempdir().unwrap();
        let vars = vec![
            ("HOME".into(), home.path().display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.path().join("config").display().to_string(),
            ),
            ("LOOKERSDK_BASE_URL".into(), base_url.into()),
            ("LOOKERSDK_LOOKER_URL".into(), looker_url.into()),
            (
                "LOOKERSDK_REDIRECT_URI".into(),
                "http://127.0.0.1:0/callback".into(),
            ),
            ("LOOKERSDK_CLIENT_ID".into(), CLIENT_GUID.into()),
            ("LOOKERSDK_PROXY".into(), "none".into()),
        ];
        Env { vars, home }
    }

    fn token_file(&self) -> std::path::PathBuf {
        self.home.path().join("config/looker/tokens.json")
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_looker"));
        cmd.args(args)
            .env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = tokio::time::timeout(Duration::from_secs(60), self.command(args).output())
            .await
            .expect("looker finished within 60 s")
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Runs `looker login --no-browser` (+ `extra`), "opens" the printed URL, returns (exit code,
/// stderr).
async fn login(env: &Env, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["login", "--no-browser"];
    args.extend_from_slice(extra);
    let mut child = env.command(&args).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        let n = tokio::time::timeout(Duration::from_secs(30), stderr.read_line(&mut line))
            .await
            .expect("a line on stderr")
            .unwrap();
        assert!(n > 0, "looker login ended before printing the URL: {seen}");
        seen.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("http") {
            break format!("http{url}");
        }
    };
    let browser = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = browser.get(&url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).await.unwrap();
    seen.push_str(&rest);
    let status = child.wait().await.unwrap();
    (status.code().unwrap_or(-1), seen)
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_then_api_me_uses_the_stored_token_and_logout_deletes_it() {
    let fake = FakeLooker::default();
    fake.with(|b| b.echo_auth = false);
    let (looker_url, base_url) = fake.start().await;
    let env = Env::new(&looker_url, &base_url);

    // Not logged in yet: a clear error, exit code 3.
    let (code, _, stderr) = env.run(&["api", "me"]).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("looker login"), "{stderr}");

    let (code, stderr) = login(&env, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("{looker_url}/auth?")), "{stderr}");
    assert!(
        stderr.contains("logged in to") && stderr.contains("Ada Lovelace"),
        "{stderr}"
    );
    let file = env.token_file();
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let stored = std::fs::read_to_string(&file).unwrap();
    assert!(stored.contains("at-2"), "{stored}");

    // The next command uses the stored token; no login, no secret needed.
    let (code, stdout, stderr) = env.run(&["api", "me"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Ada Lovelace"), "{stdout}");
    let calls = fake.state().api_calls.clone();
    assert_eq!(calls.last().unwrap().2.as_deref(), Some("token at-2"));
    for text in [&stdout, &stderr] {
        assert!(!text.contains("at-2") && !text.contains("SECRET"), "{text}");
    }
    assert_eq!(fake.state().auth_requests.len(), 1);

    // Logout revokes the token and deletes the file.
    let (code, _, stderr) = env.run(&["logout"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(fake.state().logouts, 1);
    assert!(!file.exists(), "{stderr}");
    let (code, _, stderr) = env.run(&["api", "me"]).await;
    assert_eq!(code, 3, "{stderr}");
    let (code, _, stderr) = env.run(&["logout"]).await;
    assert_eq!(code, 2, "nothing to revoke: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_logout_revokes_the_stored_token_and_forgets_it_like_logout() {
    let fake = FakeLooker::default();
    fake.with(|b| b.echo_auth = false);
    let (looker_url, base_url) = fake.start().await;
    let env = Env::new(&looker_url, &base_url);
    let (code, stderr) = login(&env, &[]).await;
    assert_eq!(code, 0, "{stderr}");
    let file = env.token_file();
    assert!(file.exists());

    // `looker api logout` is the generated `logout`: the token is revoked on the server, and
    // the SDK forgets it (the stored file goes), so no later command sends a dead token.
    let (code, _, stderr) = env.run(&["api", "logout"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(fake.state().logouts, 1);
    assert!(
        !file.exists(),
        "the revoked token is still stored: {stderr}"
    );
    let (code, _, stderr) = env.run(&["logout"]).await;
    assert_eq!(code, 2, "nothing left to revoke: {stderr}");
    assert_eq!(fake.state().logouts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_login_exits_3_and_stores_nothing() {
    let fake = FakeLooker::default();
    fake.with(|b| b.deny = true);
    let (looker_url, base_url) = fake.start().await;
    let env = Env::new(&looker_url, &base_url);
    let mut child = env.command(&["login", "--no-browser"]).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).await.unwrap() > 0);
        if let Some(rest) = line.trim().strip_prefix("http") {
            break format!("http{rest}");
        }
    };
    let browser = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = browser.get(&url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 400);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).await.unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(3), "{rest}");
    assert!(rest.contains("access_denied"), "{rest}");
    assert!(!env.token_file().exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_profile_from_looker_ini() {
    let fake = FakeLooker::default();
    fake.with(|b| b.echo_auth = false);
    let (looker_url, base_url) = fake.start().await;
    let mut env = Env::new(&looker_url, &base_url);
    env.vars.retain(|(k, _)| !k.starts_with("LOOKERSDK_"));
    let ini = env.home.path().join("looker.ini");
    std::fs::write(
        &ini,
        format!(
            "[prod]\nbase_url=http://127.0.0.1:9\n[dev]\nbase_url={base_url}\nlooker_url={looker_url}\n\
             redirect_uri=http://127.0.0.1:0/cb\nclient_id={CLIENT_GUID}\nverify_ssl=false\n"
        ),
    )
    .unwrap();
    let ini = ini.display().to_string();
    let (code, stderr) = login(
        &env,
        &["--ini", &ini, "--profile", "dev", "--proxy", "none"],
    )
    .await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = env
        .run(&[
            "api",
            "me",
            "--ini",
            &ini,
            "--profile",
            "dev",
            "--proxy",
            "none",
        ])
        .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Ada Lovelace"), "{stdout}");
    assert_eq!(fake.state().auth_requests.len(), 1);
    assert_eq!(fake.refreshes(), 0);
}
