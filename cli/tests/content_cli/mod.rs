//! Running the built `looker` against a `ContentFake`: shared by the `looker content` suites.

use std::process::Command;

use looker_sdk_testkit::{ContentFake, CLIENT_ID, CLIENT_SECRET};

/// Runs `looker ARGS` against `fake` with `home` as its home and working directory, and only
/// `env` (and `HOME`) in its environment. Returns the exit code, stdout and stderr.
pub fn looker(
    fake: &ContentFake,
    home: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String, String) {
    let secret = home.join("secret");
    std::fs::write(&secret, CLIENT_SECRET).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_looker"))
        .args(args)
        .args([
            "--base-url",
            fake.base_url(),
            "--client-id",
            CLIENT_ID,
            "--client-secret-file",
        ])
        .arg(&secret)
        .env_clear()
        .env("HOME", home)
        .envs(env.iter().copied())
        .current_dir(home)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
