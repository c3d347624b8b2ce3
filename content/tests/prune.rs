//! `prune`: Looks and dashboards that the id map says came from the tree, but that are no
//! longer in it, go to the target's trash, and only when asked.

mod common;

use looker_content::{apply, export, Action, ApplyOptions, IdMap, Kind, PlanOptions, Selection};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

use common::{files, seed_source};

fn pruning() -> ApplyOptions {
    ApplyOptions {
        plan: PlanOptions {
            prune: true,
            ..Default::default()
        },
    }
}

/// The titles of the live (`deleted` false) or trashed (true) dashboards and Looks on `fake`.
async fn titles(fake: &ContentFake, deleted: bool) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["dashboards", "looks"] {
        let list: Value = fake
            .sdk()
            .get_json(&format!("/{kind}/search"))
            .await
            .unwrap();
        let trashed: Value = fake
            .sdk()
            .request(looker_sdk::reqwest::Method::GET, &format!("/{kind}/search"))
            .query("deleted", "true")
            .json_into()
            .await
            .unwrap();
        let list = if deleted { trashed } else { list };
        out.extend(
            list.as_array()
                .unwrap()
                .iter()
                .map(|o| o["title"].as_str().unwrap().to_owned()),
        );
    }
    out.sort();
    out
}

#[tokio::test]
async fn prune_trashes_what_left_the_tree_and_only_with_prune() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let other = a
        .sdk()
        .get_json::<Value>("/folders")
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Other")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Old", "slug": "old1", "folder_id": other}),
    );
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.id"]}),
    );
    a.seed(
        "create_look",
        &[],
        json!({"title": "Unused", "folder_id": other, "query_id": q["id"]}),
    );
    let all = Selection {
        all: true,
        ..Default::default()
    };
    let full = export(a.sdk(), &all).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let map_path = scratch.path().join("map.json");
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    assert!(apply(b.sdk(), &full, &mut map, &ApplyOptions::default())
        .await
        .unwrap()
        .succeeded());

    // "Old" and "Unused" leave the tree; a target object the map does not know stays anyway.
    let mut smaller = full.clone();
    smaller
        .objects
        .retain(|o| !["Other/Old", "Other/Unused"].contains(&o.key().as_str()));
    let on_b_only = b
        .sdk()
        .get_json::<Value>("/folders")
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Other")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.seed(
        "create_dashboard",
        &[],
        json!({"title": "Made on the target", "slug": "local1", "folder_id": on_b_only}),
    );

    b.clear_requests();
    let kept = apply(b.sdk(), &smaller, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(kept.succeeded());
    assert!(kept.plan.deletions.is_empty());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    let pruned = apply(b.sdk(), &smaller, &mut map, &pruning())
        .await
        .unwrap();
    assert!(pruned.succeeded(), "{:#?}", pruned.results);
    let planned: Vec<(Kind, String, Action)> = pruned
        .plan
        .deletions
        .iter()
        .map(|o| (o.kind, o.key.clone(), o.action.clone()))
        .collect();
    assert_eq!(
        planned,
        [
            (Kind::Dashboard, "Other/Old".to_owned(), Action::Delete),
            (Kind::Look, "Other/Unused".to_owned(), Action::Delete),
        ]
    );
    assert_eq!(b.writes(), 2, "{:?}", b.requests());
    assert_eq!(titles(&b, true).await, ["Old", "Unused"]);
    assert_eq!(
        titles(&b, false).await,
        ["Made on the target", "Orders", "Revenue"]
    );

    let dir = scratch.path().join("b");
    export(b.sdk(), &all).await.unwrap().write(&dir).unwrap();
    let names: Vec<String> = files(&dir).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "content/Other/Made on the target.dashboard.json",
            "content/Other/Orders.look.json",
            "content/Other/_folder.json",
            "content/Sales/EMEA %2F 100%25/Revenue.dashboard.json",
            "content/Sales/EMEA %2F 100%25/_folder.json",
            "content/Sales/_folder.json",
        ]
    );

    // Done once: the map forgot them, so a second prune has nothing to do.
    b.clear_requests();
    let again = apply(b.sdk(), &smaller, &mut map, &pruning())
        .await
        .unwrap();
    assert!(again.plan.deletions.is_empty(), "{}", again.plan.to_text());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn a_look_that_a_dashboard_still_links_is_not_pruned() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let all = Selection {
        all: true,
        ..Default::default()
    };
    let full = export(a.sdk(), &all).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    assert!(apply(b.sdk(), &full, &mut map, &ApplyOptions::default())
        .await
        .unwrap()
        .succeeded());

    // The Revenue dashboard links Other/Orders; the Look leaves the tree, the tile stays.
    let mut without_look = full.clone();
    without_look.objects.retain(|o| o.kind != Kind::Look);
    b.clear_requests();
    let report = apply(b.sdk(), &without_look, &mut map, &pruning())
        .await
        .unwrap();
    assert!(report.plan.has_findings());
    assert!(
        matches!(&report.plan.deletions[..], [o] if o.key == "Other/Orders" && matches!(o.action, Action::Conflict(_))),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    assert_eq!(titles(&b, true).await, Vec::<String>::new());
}

#[tokio::test]
async fn prune_deletes_a_tile_that_left_the_dashboard_and_keeps_the_others() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let all = Selection {
        all: true,
        ..Default::default()
    };
    let full = export(a.sdk(), &all).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    assert!(apply(b.sdk(), &full, &mut map, &ApplyOptions::default())
        .await
        .unwrap()
        .succeeded());
    let elements = |dash: &Value| -> Vec<(String, Value)> {
        dash["dashboard_elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["id"].as_str().unwrap().to_owned(), e["body_text"].clone()))
            .collect()
    };
    let dashboards: Value = b.sdk().get_json("/dashboards/search").await.unwrap();
    let on_b = dashboards[0]["id"].as_str().unwrap().to_owned();
    let before = elements(
        &b.sdk()
            .get_json(&format!("/dashboards/{on_b}"))
            .await
            .unwrap(),
    );
    assert_eq!(before.len(), 4);

    // The text tile leaves the dashboard's file.
    let mut smaller = full.clone();
    let dash = smaller
        .objects
        .iter_mut()
        .find(|o| o.kind == Kind::Dashboard)
        .unwrap();
    let tiles = dash.body["tiles"].as_array_mut().unwrap();
    let text = tiles
        .iter()
        .position(|t| t["body_text"] == "Hello")
        .unwrap();
    let removed = tiles.remove(text)["ref"].as_str().unwrap().to_owned();

    b.clear_requests();
    let kept = apply(b.sdk(), &smaller, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(kept.succeeded());
    assert_eq!(
        kept.plan.objects.last().unwrap().action,
        Action::Update(vec!["tiles".into()])
    );
    assert_eq!(b.writes(), 0, "without --prune: {:?}", b.requests());

    let report = apply(b.sdk(), &smaller, &mut map, &pruning())
        .await
        .unwrap();
    assert!(report.succeeded(), "{:#?}", report.results);
    let planned = &report.plan.objects.last().unwrap().action;
    assert_eq!(
        planned,
        &Action::Update(vec!["tiles".into(), format!("delete {removed}")])
    );
    assert_eq!(b.writes(), 1, "{:?}", b.requests());
    let after = elements(
        &b.sdk()
            .get_json(&format!("/dashboards/{on_b}"))
            .await
            .unwrap(),
    );
    let kept: Vec<(String, Value)> = before
        .into_iter()
        .filter(|(_, body)| body != "Hello")
        .collect();
    assert_eq!(after, kept, "the other tiles must survive with their ids");

    b.clear_requests();
    let again = apply(b.sdk(), &smaller, &mut map, &pruning())
        .await
        .unwrap();
    assert!(
        again
            .plan
            .objects
            .iter()
            .all(|o| o.action == Action::Unchanged),
        "{}",
        again.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}
