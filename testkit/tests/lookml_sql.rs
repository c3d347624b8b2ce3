//! The SQL validator ([`DevSession::sql`]) from Rust, against the LookML fake's SQL side.

use std::time::Duration;

use looker_sdk::workflows::lookml::{DevModeError, DevSession, SqlOptions, Target};
use looker_sdk::workflows::{Canceller, PollPolicy};
use looker_sdk_testkit::lookml_fake::LookmlFake;
use looker_sdk_testkit::lookml_sql_fake::{FakeDimension, FakeExplore};

fn fake() -> LookmlFake {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        s.branches.insert("personal".into());
        s.branch = "personal".into();
        s.sql.explores.push(
            FakeExplore::new("shop", "orders").dimensions([
                FakeDimension::new("orders.id").line(3),
                FakeDimension::new("orders.status")
                    .line(7)
                    .broken_on("feature"),
                FakeDimension::new("orders.total").line(12),
            ]),
        );
    });
    fake
}

fn fast() -> SqlOptions {
    SqlOptions::default().policy(PollPolicy::default().first_poll(Duration::from_millis(10)))
}

#[tokio::test]
async fn a_broken_dimension_is_a_finding_with_its_file_line_and_links() {
    let fake = fake();
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move { Ok(s.sql(&fast()).await?) },
    )
    .await;
    out.restore.expect("restored");
    let report = out.result.expect("ran");
    assert_eq!(report.validator, "sql");
    assert_eq!(report.status, "failed");
    assert_eq!(report.checked, ["shop.orders"]);
    assert_eq!(report.findings.len(), 1);
    let f = &report.findings[0];
    assert_eq!(f.model.as_deref(), Some("shop"));
    assert_eq!(f.explore.as_deref(), Some("orders"));
    assert_eq!(f.field.as_deref(), Some("orders.status"));
    assert_eq!(f.file_path.as_deref(), Some("views/orders.view.lkml"));
    assert_eq!(f.line, Some(7));
    assert_eq!(f.message, "ERROR: column orders.status_typo does not exist");
    let base = fake.base_url();
    assert_eq!(
        f.lookml_url.as_deref(),
        Some(format!("{base}/projects/shop/files/views/orders.view.lkml?line=7").as_str())
    );
    assert_eq!(
        f.explore_url.as_deref(),
        Some(format!("{base}/explore/shop/orders").as_str())
    );
    // The explore (3 dimensions) fails; [id] passes, so [status, total] fails without being
    // run; [status] fails and is found; [total] kept aside passes: 1 + 3.
    assert_eq!(report.raw["queries"], 4);
    assert_eq!(fake.state(|s| s.sql.queries_run), 4);
}

#[tokio::test]
async fn a_cancel_while_compiling_in_production_restores_dev_mode_before_the_branch() {
    let fake = fake();
    fake.state(|s| s.sql.compile_delay = Duration::from_millis(300));
    let sdk = fake.sdk();
    let cancel = Canceller::default();
    let trigger = cancel.clone();
    let log = {
        let fake = &fake;
        async move {
            // Cancel once a compile in production has started.
            loop {
                let compiling = fake
                    .log()
                    .iter()
                    .any(|l| l.path == "/queries/run/sql" && l.workspace == "production");
                if compiling {
                    trigger.cancel();
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let run = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &cancel,
        |s| async move { Ok(s.sql(&fast().incremental(true)).await?) },
    );
    let (out, ()) = tokio::join!(run, log);
    assert!(
        matches!(out.result, Err(DevModeError::Cancelled)),
        "{:?}",
        out.result
    );
    out.restore.expect("restored");
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
    let lines = fake.lines();
    assert_eq!(
        lines[lines.len() - 3..],
        [
            r#"PATCH /session {"workspace_id":"dev"}"#,
            r#"PUT /projects/shop/git_branch {"name":"personal"}"#,
            r#"PATCH /session {"workspace_id":"production"}"#,
        ]
    );
}

#[tokio::test]
async fn incremental_in_production_is_refused() {
    let fake = fake();
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::Production,
        &Canceller::default(),
        |s| async move { Ok(s.sql(&fast().incremental(true)).await?) },
    )
    .await;
    out.restore.expect("restored");
    let e = out.result.expect_err("refused").to_string();
    assert!(
        e.contains("incremental compares a branch with production"),
        "{e}"
    );
    assert_eq!(fake.state(|s| s.sql.compiles), 0);
}

#[tokio::test]
async fn ignore_hidden_leaves_hidden_dimensions_out() {
    let fake = fake();
    fake.state(|s| {
        let status = &mut s.sql.explores[0].dimensions[1];
        status.hidden = true;
    });
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move { Ok(s.sql(&fast().ignore_hidden(true)).await?) },
    )
    .await;
    out.restore.expect("restored");
    let report = out.result.expect("ran");
    // The broken orders.status is hidden: left out, the other two pass in one query.
    assert_eq!(report.status, "passed");
    assert!(report.findings.is_empty());
    assert_eq!(fake.state(|s| s.sql.queries_run), 1);
    let task = fake
        .state(|s| s.sql.tasks.values().next().cloned())
        .unwrap();
    assert_eq!(task.fields, ["orders.id", "orders.total"]);
}
