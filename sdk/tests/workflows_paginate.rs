//! `.paginate()` against loopback servers: every edge of "when is the list done".

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::{builder, handler, json, Fake, Seen};
use futures_util::{StreamExt, TryStreamExt};
use looker_sdk::Error;

/// The query pairs of a recorded request, decoded.
fn query(seen: &Seen) -> Vec<(String, String)> {
    let q = seen.uri.split_once('?').map_or("", |(_, q)| q);
    reqwest::Url::parse(&format!("x:?{q}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn param(seen: &Seen, name: &str) -> Option<String> {
    query(seen)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn num(seen: &Seen, name: &str) -> Option<usize> {
    param(seen, name).map(|v| v.parse().unwrap())
}

/// The paging headers a test server adds to a page: (request, offset, limit, total) → headers.
type PageHeaders = fn(&Seen, usize, usize, usize) -> Vec<(String, String)>;

/// `total` users served by offset/limit, honouring both, with headers chosen by `headers`.
fn users(total: usize, headers: PageHeaders) -> common::Handler {
    handler(move |seen, _| {
        let offset = num(seen, "offset").unwrap_or(0);
        let limit = num(seen, "limit").unwrap_or(total);
        let end = (offset + limit).min(total);
        let page: Vec<serde_json::Value> = (offset.min(end)..end)
            .map(|i| serde_json::json!({"id": i.to_string(), "email": format!("u{i}@x")}))
            .collect();
        let mut response = json(StatusCode::OK, serde_json::Value::Array(page));
        for (k, v) in headers(seen, offset, limit, total) {
            response.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        response
    })
}

fn no_headers(_: &Seen, _: usize, _: usize, _: usize) -> Vec<(String, String)> {
    Vec::new()
}

async fn all_user_ids(base: &str, page_size: u32) -> looker_sdk::Result<Vec<String>> {
    let sdk = builder(base).build().unwrap();
    let users = sdk
        .all_users()
        .paginate()
        .page_size(page_size)
        .collect_all()
        .await?;
    Ok(users.into_iter().map(|u| u.id.unwrap()).collect())
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

#[tokio::test]
async fn an_exactly_full_last_page_is_followed_by_one_empty_page() {
    let fake = Fake::default();
    let base = fake.start(users(6, no_headers)).await;
    assert_eq!(all_user_ids(&base, 3).await.unwrap(), ids(0..6));
    let offsets: Vec<_> = fake.calls().iter().map(|s| num(s, "offset")).collect();
    assert_eq!(offsets, vec![Some(0), Some(3), Some(6)]);
    assert!(fake.calls().iter().all(|s| num(s, "limit") == Some(3)));
}

#[tokio::test]
async fn a_short_last_page_ends_the_list_without_another_request() {
    let fake = Fake::default();
    let base = fake.start(users(5, no_headers)).await;
    assert_eq!(all_user_ids(&base, 3).await.unwrap(), ids(0..5));
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn an_empty_first_page_is_an_empty_list() {
    let fake = Fake::default();
    let base = fake.start(users(0, no_headers)).await;
    assert!(all_user_ids(&base, 3).await.unwrap().is_empty());
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test]
async fn the_default_page_size_is_100_and_a_builder_limit_is_the_page_size() {
    let fake = Fake::default();
    let base = fake.start(users(3, no_headers)).await;
    let sdk = builder(&base).build().unwrap();
    sdk.all_users().paginate().collect_all().await.unwrap();
    sdk.all_users()
        .limit(2)
        .paginate()
        .collect_all()
        .await
        .unwrap();
    let limits: Vec<_> = fake.calls().iter().map(|s| num(s, "limit")).collect();
    assert_eq!(limits, vec![Some(100), Some(2), Some(2)]);
}

fn total_count(_: &Seen, _: usize, _: usize, total: usize) -> Vec<(String, String)> {
    vec![("x-total-count".into(), total.to_string())]
}

#[tokio::test]
async fn x_total_count_saves_the_trailing_empty_page() {
    let fake = Fake::default();
    let base = fake.start(users(6, total_count)).await;
    assert_eq!(all_user_ids(&base, 3).await.unwrap(), ids(0..6));
    assert_eq!(fake.calls().len(), 2, "no request for the empty page");
}

fn links(_: &Seen, offset: usize, limit: usize, total: usize) -> Vec<(String, String)> {
    let mut link = format!("<http://h/api/4.0/users?limit={limit}&offset=0>; rel=\"first\"");
    if offset + limit < total {
        link.push_str(&format!(
            ", <http://h/api/4.0/users?limit={limit}&offset={}>; rel=\"next\"",
            offset + limit
        ));
    }
    vec![("link".into(), link)]
}

#[tokio::test]
async fn a_link_header_without_next_ends_the_list() {
    let fake = Fake::default();
    let base = fake.start(users(6, links)).await;
    assert_eq!(all_user_ids(&base, 3).await.unwrap(), ids(0..6));
    assert_eq!(fake.calls().len(), 2);
}

/// A server that caps `limit` at 2 but says where the next page is: short pages do not end
/// the list while `rel="next"` is there.
#[tokio::test]
async fn a_next_link_is_followed_past_short_pages() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            let offset = num(seen, "offset").unwrap_or(0);
            let end = (offset + 2).min(5);
            let page: Vec<_> = (offset..end)
                .map(|i| serde_json::json!({"id": i.to_string()}))
                .collect();
            let mut r = json(StatusCode::OK, serde_json::Value::Array(page));
            if end < 5 {
                let link = format!("<http://h/api/4.0/users?offset={end}&limit=2>; rel=\"next\"");
                r.headers_mut().insert("link", link.parse().unwrap());
            }
            r
        }))
        .await;
    assert_eq!(all_user_ids(&base, 10).await.unwrap(), ids(0..5));
    let offsets: Vec<_> = fake.calls().iter().map(|s| num(s, "offset")).collect();
    assert_eq!(offsets, vec![Some(0), Some(2), Some(4)]);
}

#[tokio::test]
async fn a_server_ignoring_offset_ends_the_stream_with_an_error() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(
                StatusCode::OK,
                serde_json::json!([{"id": "1"}, {"id": "2"}, {"id": "3"}]),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let mut stream = sdk.all_users().paginate().page_size(3);
    let mut items = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => items += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without noticing the repeated page"),
        }
    };
    assert_eq!(items, 3, "the first page is delivered");
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(fake.calls().len(), 2, "the same ids need no probe");
    assert!(matches!(error, Error::Paging { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("page at offset 3 has the same items (the same `id`s)")
            && message.contains("ignores `offset`"),
        "{message}"
    );
}

#[tokio::test]
#[allow(deprecated)]
async fn filters_and_fields_are_sent_on_every_page_and_page_per_page_never() {
    let fake = Fake::default();
    let base = fake.start(users(7, no_headers)).await;
    let sdk = builder(&base).build().unwrap();
    let found = sdk
        .search_users()
        .email("%@x")
        .fields("id,email")
        .sorts("id")
        .page(4)
        .per_page(9)
        .paginate()
        .page_size(3)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(found.len(), 7);
    let calls = fake.calls();
    assert_eq!(calls.len(), 3);
    for call in &calls {
        assert!(
            call.uri.starts_with("/api/4.0/users/search?"),
            "{}",
            call.uri
        );
        assert_eq!(param(call, "email").as_deref(), Some("%@x"));
        assert_eq!(param(call, "fields").as_deref(), Some("id,email"));
        assert_eq!(param(call, "sorts").as_deref(), Some("id"));
        assert_eq!(param(call, "page"), None, "{}", call.uri);
        assert_eq!(param(call, "per_page"), None, "{}", call.uri);
        assert!(call.header("authorization").unwrap().starts_with("token "));
    }
}

#[tokio::test]
async fn max_items_caps_the_total_and_the_last_limit() {
    let fake = Fake::default();
    let base = fake.start(users(50, no_headers)).await;
    let sdk = builder(&base).build().unwrap();
    let got = sdk
        .all_users()
        .paginate()
        .page_size(3)
        .max_items(4)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(got.len(), 4);
    let pairs: Vec<_> = fake
        .calls()
        .iter()
        .map(|s| (num(s, "limit"), num(s, "offset")))
        .collect();
    assert_eq!(pairs, vec![(Some(3), Some(0)), (Some(1), Some(3))]);
}

#[tokio::test]
async fn one_page_is_retried_after_a_503() {
    let fake = Fake::default();
    let failed = Arc::new(AtomicUsize::new(0));
    let inner = users(6, no_headers);
    let base = fake
        .start(handler(move |seen, fake| {
            if num(seen, "offset") == Some(3) && failed.fetch_add(1, Ordering::SeqCst) == 0 {
                return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
            }
            inner(seen, fake)
        }))
        .await;
    assert_eq!(all_user_ids(&base, 3).await.unwrap(), ids(0..6));
    let offsets: Vec<_> = fake.calls().iter().map(|s| num(s, "offset")).collect();
    assert_eq!(offsets, vec![Some(0), Some(3), Some(3), Some(6)]);
}

#[tokio::test]
async fn pages_come_whole_and_a_failing_page_is_an_api_error() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, fake| {
            if num(seen, "offset") == Some(4) {
                return json(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"message": "gone"}),
                );
            }
            users(10, no_headers)(seen, fake)
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let pages: Vec<_> = sdk
        .all_users()
        .paginate()
        .page_size(2)
        .pages()
        .collect()
        .await;
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[0].as_ref().unwrap().len(), 2);
    assert_eq!(pages[1].as_ref().unwrap().len(), 2);
    match &pages[2] {
        Err(Error::Api { status: 404, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pages_after_some_items_start_with_the_rest_of_their_page() {
    use futures_util::StreamExt as _;
    let fake = Fake::default();
    let base = fake.start(users(7, no_headers)).await;
    let sdk = builder(&base).build().unwrap();
    let page_ids = |page: Vec<looker_sdk::models::User>| -> Vec<String> {
        page.into_iter().map(|u| u.id.unwrap()).collect()
    };

    let mut items = sdk.all_users().paginate().page_size(3);
    let first = items.next().await.unwrap().unwrap();
    assert_eq!(first.id.as_deref(), Some("0"));
    let pages: Vec<Vec<String>> = items
        .pages()
        .map(|page| page_ids(page.unwrap()))
        .collect()
        .await;
    assert_eq!(pages, vec![ids(1..3), ids(3..6), ids(6..7)]);
    let offsets: Vec<_> = fake.calls().iter().map(|s| num(s, "offset")).collect();
    assert_eq!(
        offsets,
        vec![Some(0), Some(3), Some(6)],
        "no page asked twice"
    );

    // `collect_all` after some items returns the others, none twice.
    let mut items = sdk.all_users().paginate().page_size(3);
    items.next().await.unwrap().unwrap();
    items.next().await.unwrap().unwrap();
    let rest: Vec<String> = page_ids(items.collect_all().await.unwrap());
    assert_eq!(rest, ids(2..7));
}

#[tokio::test]
async fn the_raw_paginator_keeps_fields_the_models_do_not_know() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            let offset = num(seen, "offset").unwrap_or(0);
            let page = if offset == 0 {
                serde_json::json!([{"id": "1", "brand_new_field": {"x": 1}}])
            } else {
                serde_json::json!([])
            };
            json(StatusCode::OK, page)
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let rows: Vec<serde_json::Value> = sdk
        .request(reqwest::Method::GET, "/dashboards/search")
        .query("title", "x")
        .paginate()
        .page_size(1)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        rows,
        vec![serde_json::json!({"id": "1", "brand_new_field": {"x": 1}})]
    );
    assert!(fake
        .calls()
        .iter()
        .all(|s| param(s, "title").as_deref() == Some("x")));
}

#[tokio::test]
async fn search_reports_pages_by_next_page_token() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            let (page, next) = match param(seen, "next_page_token").as_deref() {
                None => (serde_json::json!([{"id": "a"}, {"id": "b"}]), Some("t1")),
                Some("t1") => (serde_json::json!([{"id": "c"}, {"id": "d"}]), Some("t2")),
                Some("t2") => (serde_json::json!([{"id": "e"}]), None),
                Some(other) => panic!("unexpected token {other}"),
            };
            let mut r = json(StatusCode::OK, page);
            match next {
                // One server style puts the token in the Link header, the other in its own.
                Some("t1") => {
                    let link = "<http://h/api/4.0/reports/search?next_page_token=t1&limit=2>; rel=\"next\"";
                    r.headers_mut().insert("link", link.parse().unwrap());
                }
                Some(token) => {
                    r.headers_mut().insert("x-next-page-token", token.parse().unwrap());
                }
                None => {}
            }
            r
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let reports = sdk
        .search_reports()
        .title("Q%")
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap();
    let got: Vec<_> = reports.into_iter().map(|r| r.id.unwrap()).collect();
    assert_eq!(got, ["a", "b", "c", "d", "e"]);
    let calls = fake.calls();
    assert_eq!(calls.len(), 3);
    assert!(calls
        .iter()
        .all(|s| param(s, "title").as_deref() == Some("Q%")));
    assert!(calls.iter().all(|s| param(s, "offset").is_none()));
}

#[tokio::test]
async fn search_lookml_dashboards_pages_whether_the_server_sends_an_array_or_one_object() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| match num(seen, "offset") {
            Some(0) if seen.uri.contains("title=one") => {
                json(StatusCode::OK, serde_json::json!({"dashboard_id": "m::d1"}))
            }
            Some(0) => json(
                StatusCode::OK,
                serde_json::json!([{"dashboard_id": "m::d1"}, {"dashboard_id": "m::d2"}]),
            ),
            _ => json(StatusCode::OK, serde_json::json!([])),
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let one = sdk
        .search_lookml_dashboards()
        .title("one")
        .paginate()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    let two = sdk
        .search_lookml_dashboards()
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap();
    let got: Vec<_> = two.into_iter().map(|d| d.dashboard_id.unwrap()).collect();
    assert_eq!(got, ["m::d1", "m::d2"]);
}

#[tokio::test]
async fn a_decode_failure_on_a_page_is_reported_with_its_path() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            (
                StatusCode::OK,
                [("content-type", "application/json")],
                r#"[{"id":"1","email":{"not":"a string"}}]"#,
            )
                .into_response()
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let error = sdk.all_users().paginate().collect_all().await.unwrap_err();
    match error {
        Error::Decode { json_path, .. } => assert_eq!(json_path, "[0].email"),
        other => panic!("{other:?}"),
    }
}

/// Short pages of 2 (a server capping `limit`) over 5 users, with a `Link` header made by
/// `link` from the next offset: the list goes on only as long as the paginator finds `next`.
async fn users_behind_links(link: fn(usize) -> Vec<String>) -> (Fake, Vec<String>) {
    let fake = Fake::default();
    let base = fake
        .start(handler(move |seen, _| {
            let offset = num(seen, "offset").unwrap_or(0);
            let end = (offset + 2).min(5);
            let page: Vec<_> = (offset..end)
                .map(|i| serde_json::json!({"id": i.to_string(), "email": format!("u{i}@x")}))
                .collect();
            let mut r = json(StatusCode::OK, serde_json::Value::Array(page));
            if end < 5 {
                for value in link(end) {
                    r.headers_mut().append("link", value.parse().unwrap());
                }
            }
            r
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let users = sdk
        .search_users()
        .fields("id,email")
        .paginate()
        .page_size(10)
        .collect_all()
        .await
        .unwrap();
    (fake, users.into_iter().map(|u| u.id.unwrap()).collect())
}

#[tokio::test]
async fn a_next_link_whose_url_has_commas_is_followed() {
    let (fake, got) = users_behind_links(|next| {
        vec![format!(
            "<http://h/api/4.0/users/search?fields=id,email&offset={next}&limit=2>; rel=\"next\""
        )]
    })
    .await;
    assert_eq!(got, ids(0..5));
    let offsets: Vec<_> = fake.calls().iter().map(|s| num(s, "offset")).collect();
    assert_eq!(offsets, vec![Some(0), Some(2), Some(4)]);
    assert!(fake
        .calls()
        .iter()
        .all(|s| param(s, "fields").as_deref() == Some("id,email")));
}

#[tokio::test]
async fn next_is_found_among_quoted_commas_several_rels_and_several_link_headers() {
    let (_, got) = users_behind_links(|next| {
        vec![
            "<http://h/api/4.0/users/search?fields=id,email&offset=0>; rel=\"first\"; \
             title=\"page one, \\\"the first\\\"\""
                .to_owned(),
            format!(
                "<http://h/api/4.0/users/search?offset={next}&fields=id,email>; \
                 title=\"a, b; c\"; REL=\"Next last\""
            ),
        ]
    })
    .await;
    assert_eq!(got, ids(0..5));
}

/// `n` users narrowed by `fields=role_ids` (every item `{"role_ids":["2"]}`, so full pages
/// are byte-identical), served honouring limit and offset.
fn same_role_users(total: usize, headers: PageHeaders) -> common::Handler {
    handler(move |seen, _| {
        let offset = num(seen, "offset").unwrap_or(0);
        let limit = num(seen, "limit").unwrap_or(total);
        let end = (offset.saturating_add(limit)).min(total);
        let page: Vec<_> = (offset.min(end)..end)
            .map(|_| serde_json::json!({"role_ids": ["2"]}))
            .collect();
        let mut response = json(StatusCode::OK, serde_json::Value::Array(page));
        for (k, v) in headers(seen, offset, limit, total) {
            response.headers_mut().insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        response
    })
}

async fn role_ids(base: &str, page_size: u32) -> looker_sdk::Result<Vec<Vec<String>>> {
    let sdk = builder(base).build().unwrap();
    let users = sdk
        .search_users()
        .fields("role_ids")
        .paginate()
        .page_size(page_size)
        .collect_all()
        .await?;
    Ok(users.into_iter().map(|u| u.role_ids.unwrap()).collect())
}

#[tokio::test]
async fn identical_pages_narrowed_by_fields_are_data_after_one_probe() {
    let fake = Fake::default();
    let base = fake.start(same_role_users(10, no_headers)).await;
    // Three full pages, byte-identical, then a short one.
    let got = role_ids(&base, 3).await.unwrap();
    assert_eq!(got, vec![vec!["2".to_owned()]; 10]);
    let asked: Vec<_> = fake
        .calls()
        .iter()
        .map(|s| (num(s, "offset"), num(s, "limit")))
        .collect();
    assert_eq!(
        asked,
        vec![
            (Some(0), Some(3)),
            (Some(3), Some(3)),
            // The probe, once: far past any end, where a server honouring offset has nothing.
            (Some(2_147_483_647), Some(1)),
            (Some(6), Some(3)),
            (Some(9), Some(3)),
        ]
    );
    assert!(
        fake.calls()
            .iter()
            .all(|s| param(s, "fields").as_deref() == Some("role_ids")),
        "the probe is the same search"
    );
}

#[tokio::test]
async fn the_probe_asks_at_x_total_count_when_the_server_sends_it() {
    let fake = Fake::default();
    let base = fake.start(same_role_users(7, total_count)).await;
    assert_eq!(role_ids(&base, 3).await.unwrap().len(), 7);
    let offsets: Vec<_> = fake.calls().iter().map(|s| num(s, "offset")).collect();
    assert_eq!(offsets, vec![Some(0), Some(3), Some(7), Some(6)]);
}

#[tokio::test]
async fn a_server_ignoring_offset_on_items_without_ids_is_an_error_after_one_probe() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(
                StatusCode::OK,
                serde_json::Value::Array(vec![serde_json::json!({"role_ids": ["2"]}); 3]),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let mut stream = sdk
        .search_users()
        .fields("role_ids")
        .paginate()
        .page_size(3);
    let mut items = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => items += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without noticing the server ignores offset"),
        }
    };
    assert_eq!(
        items, 3,
        "the first page only: the repeated one is not delivered"
    );
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(fake.calls().len(), 3, "two pages and one probe");
    match &error {
        Error::Paging { operation, .. } => assert_eq!(operation, "search_users"),
        other => panic!("{other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.starts_with("paging `search_users` failed: ")
            && message.contains("ignores `offset`")
            && !message.contains("could not build the request"),
        "{message}"
    );
}

#[tokio::test]
async fn identical_token_pages_without_ids_are_data() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            let (count, next) = match param(seen, "next_page_token").as_deref() {
                None => (2, Some("t1")),
                Some("t1") => (2, Some("t2")),
                _ => (1, None),
            };
            let mut r = json(
                StatusCode::OK,
                serde_json::Value::Array(vec![serde_json::json!({"title": "Q"}); count]),
            );
            if let Some(token) = next {
                r.headers_mut()
                    .insert("x-next-page-token", token.parse().unwrap());
            }
            r
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let reports = sdk
        .search_reports()
        .fields("title")
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(reports.len(), 5);
    assert_eq!(fake.calls().len(), 3);
}

#[tokio::test]
async fn the_raw_paginator_names_its_operation_in_paging_errors() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(StatusCode::OK, serde_json::json!([{"name": "all"}]))
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let error = sdk
        .request(reqwest::Method::GET, "/groups/search")
        .operation("search_groups")
        .paginate::<serde_json::Value>()
        .page_size(1)
        .collect_all()
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("paging `search_groups` failed: the server ignores `offset`"),
        "{error}"
    );
    assert_eq!(fake.calls().len(), 3, "two pages and one probe");
}
