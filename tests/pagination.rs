//! Pagination streams against servers on 127.0.0.1: several pages, empty pages, a server that
//! repeats a cursor or never stops, errors mid-listing, a capped collect.
#![cfg(all(feature = "kirim", feature = "kapso"))]

use chathooks::pagination::PaginationError;
use chathooks::{kapso, kirim, Error, Paginate};
use futures_util::StreamExt;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn subscription(id: &str) -> Value {
    json!({
        "id": id, "object": "webhook_subscription", "url": "https://example.com/h",
        "description": null, "events": [], "status": "active", "disabled_reason": null,
        "consecutive_failures": 0, "secrets": [],
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
    })
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A Kirim list page: items, and the next cursor (`None`: last page).
fn kirim_page(items: Vec<Value>, next: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": items, "has_more": next.is_some(), "next_cursor": next, "request_id": "req_1"
    }))
}

/// Serves `pages` keyed by the `cursor` query parameter (`""` for the first page).
async fn kirim_server(
    pages: Vec<(&'static str, Vec<&'static str>, Option<&'static str>)>,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(move |request: &Request| {
            let cursor = query(request, "cursor").unwrap_or_default();
            match pages.iter().find(|(c, _, _)| *c == cursor) {
                Some((_, ids, next)) => {
                    kirim_page(ids.iter().map(|id| subscription(id)).collect(), *next)
                }
                None => ResponseTemplate::new(400).set_body_json(json!({"error": {
                    "type": "invalid_request_error", "code": "invalid_cursor", "request_id": "req_bad"
                }})),
            }
        })
        .mount(&server)
        .await;
    server
}

fn kirim_client(server: &MockServer) -> kirim::Client {
    kirim::Client::builder()
        .api_key("kdv_test_key")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

async fn cursors_seen(server: &MockServer) -> Vec<Option<String>> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| query(r, "cursor"))
        .collect()
}

#[tokio::test]
async fn a_stream_follows_next_cursor_across_three_pages() {
    let server = kirim_server(vec![
        ("", vec!["wbs_a", "wbs_b"], Some("c1")),
        ("c1", vec!["wbs_c", "wbs_d"], Some("c2")),
        ("c2", vec!["wbs_e"], None),
    ])
    .await;
    let client = kirim_client(&server);
    let ids: Vec<String> = client
        .list_webhook_subscriptions()
        .limit(2u8)
        .stream()
        .map(|s| s.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, ["wbs_a", "wbs_b", "wbs_c", "wbs_d", "wbs_e"]);
    assert_eq!(
        cursors_seen(&server).await,
        [None, Some("c1".into()), Some("c2".into())]
    );
    let limits: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| query(r, "limit"))
        .collect();
    assert_eq!(
        limits,
        [Some("2".to_owned()), Some("2".into()), Some("2".into())]
    );

    let pages: Vec<_> = client.list_webhook_subscriptions().pages().collect().await;
    let sizes: Vec<usize> = pages.into_iter().map(|p| p.unwrap().data.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
}

#[tokio::test]
async fn empty_pages_are_walked_past_and_an_empty_list_is_one_request() {
    let server = kirim_server(vec![("", vec![], Some("c1")), ("c1", vec!["wbs_x"], None)]).await;
    let ids: Vec<String> = kirim_client(&server)
        .list_webhook_subscriptions()
        .stream()
        .map(|s| s.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, ["wbs_x"]);

    let server = kirim_server(vec![("", vec![], None)]).await;
    let all = kirim_client(&server)
        .list_webhook_subscriptions()
        .to_vec_max(100)
        .await
        .unwrap();
    assert!(all.is_empty());
    assert_eq!(cursors_seen(&server).await.len(), 1);
}

#[tokio::test]
async fn a_repeated_cursor_stops_the_stream_with_an_error() {
    let server = kirim_server(vec![
        ("", vec!["wbs_a"], Some("same")),
        ("same", vec!["wbs_b"], Some("same")),
    ])
    .await;
    let items: Vec<_> = kirim_client(&server)
        .list_webhook_subscriptions()
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().id, "wbs_a");
    assert_eq!(items[1].as_ref().unwrap().id, "wbs_b");
    let Err(Error::Pagination(PaginationError::RepeatedCursor { cursor })) = &items[2] else {
        panic!("{:?}", items[2]);
    };
    assert!(cursor.contains("same"));
    assert_eq!(cursors_seen(&server).await.len(), 2, "no loop");
}

#[tokio::test]
async fn to_vec_max_fetches_no_more_pages_than_needed() {
    let server = kirim_server(vec![
        ("", vec!["wbs_a", "wbs_b"], Some("c1")),
        ("c1", vec!["wbs_c", "wbs_d"], Some("c2")),
        ("c2", vec!["wbs_e"], None),
    ])
    .await;
    let first = kirim_client(&server)
        .list_webhook_subscriptions()
        .to_vec_max(3)
        .await
        .unwrap();
    let ids: Vec<_> = first.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["wbs_a", "wbs_b", "wbs_c"]);
    assert_eq!(cursors_seen(&server).await.len(), 2);
}

#[tokio::test]
async fn a_server_that_never_stops_hits_the_page_limit() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let n: u32 = query(request, "cursor").map_or(0, |c| c.parse().unwrap());
            let next = (n + 1).to_string();
            ResponseTemplate::new(200).set_body_json(json!({
                "data": [subscription(&format!("wbs_{n}"))], "has_more": true,
                "next_cursor": next, "request_id": "r"
            }))
        })
        .mount(&server)
        .await;
    let items: Vec<_> = kirim_client(&server)
        .list_webhook_subscriptions()
        .paginate()
        .max_pages(3)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 4, "3 pages of one item, then the error");
    assert!(matches!(
        items[3],
        Err(Error::Pagination(PaginationError::PageLimit {
            max_pages: 3
        }))
    ));
    assert_eq!(cursors_seen(&server).await.len(), 3);
}

#[tokio::test]
async fn an_error_ends_the_stream_with_the_error() {
    let server = kirim_server(vec![("", vec!["wbs_a"], Some("gone"))]).await;
    let items: Vec<_> = kirim_client(&server)
        .list_webhook_subscriptions()
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    let Err(Error::Api(api)) = &items[1] else {
        panic!("{:?}", items[1]);
    };
    assert_eq!(
        (api.status().as_u16(), api.code()),
        (400, Some("invalid_cursor"))
    );
    let err = kirim_client(&server)
        .list_webhook_subscriptions()
        .to_vec_max(10)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn deliveries_stream_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let (ids, next) = match query(request, "cursor").as_deref() {
                None => (vec!["wbd_1", "wbd_2"], Some("d1")),
                _ => (vec!["wbd_3"], None),
            };
            let data: Vec<Value> = ids
                .iter()
                .map(|id| json!({"id": id, "object": "webhook_delivery", "status": "failed"}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "data": data, "has_more": next.is_some(), "next_cursor": next, "request_id": "r"
            }))
        })
        .mount(&server)
        .await;
    let ids: Vec<String> = kirim_client(&server)
        .list_webhook_deliveries()
        .stream()
        .map(|d| d.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, ["wbd_1", "wbd_2", "wbd_3"]);
}

#[tokio::test]
async fn kapso_pages_follow_page_numbers_until_total_pages() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let page: i64 = query(request, "page").map_or(1, |p| p.parse().unwrap());
            let data: Vec<Value> = (0..2)
                .map(|i| json!({"id": format!("w{page}{i}")}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "data": data,
                "meta": {"page": page, "per_page": 2, "total_pages": 3, "total_count": 6}
            }))
        })
        .mount(&server)
        .await;
    let client = kapso::legacy::Client::builder()
        .api_key("k")
        .base_url(server.uri())
        .build()
        .unwrap();
    let ids: Vec<String> = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id("c")
        .per_page(2u8)
        .stream()
        .map(|w| w.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, ["w10", "w11", "w20", "w21", "w30", "w31"]);
    let pages: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| query(r, "page"))
        .collect();
    assert_eq!(pages, [None, Some("2".to_owned()), Some("3".into())]);
}

#[tokio::test]
async fn a_kapso_server_that_ignores_the_page_number_is_stopped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{"id": "w"}], "meta": {"page": 1, "total_pages": 5}
        })))
        .mount(&server)
        .await;
    let client = kapso::legacy::Client::builder()
        .api_key("k")
        .base_url(server.uri())
        .build()
        .unwrap();
    let items: Vec<_> = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id("c")
        .stream()
        .collect()
        .await;
    assert!(
        matches!(
            items.last(),
            Some(Err(Error::Pagination(
                PaginationError::RepeatedCursor { .. }
            )))
        ),
        "{items:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// A Kapso Platform delivery record (the fields the delivery-log page's example requires).
fn platform_delivery(id: &str) -> Value {
    json!({
        "id": id, "event": "whatsapp.message.received", "attempt_count": 1,
        "created_at": "2026-01-01T00:00:00Z"
    })
}

#[tokio::test]
async fn kapso_platform_deliveries_follow_the_after_cursor_until_next_is_null() {
    // Page 1 → `after: c1`; page 2 → `after: c2`; page 3 has `next: null` (the last page).
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let (ids, after, next): (&[&str], Option<&str>, Option<&str>) =
                match query(request, "after").as_deref() {
                    None => (&["d1", "d2"], Some("c1"), Some("https://next/1")),
                    Some("c1") => (&["d3"], Some("c2"), Some("https://next/2")),
                    Some("c2") => (&["d4"], Some("c3"), None),
                    Some(_) => return ResponseTemplate::new(400),
                };
            ResponseTemplate::new(200).set_body_json(json!({
                "data": ids.iter().map(|id| platform_delivery(id)).collect::<Vec<_>>(),
                "paging": {"cursors": {"before": "b", "after": after}, "next": next, "previous": null}
            }))
        })
        .mount(&server)
        .await;
    let client = kapso::platform::Client::builder()
        .api_key("kapso-key")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap();
    let ids: Vec<String> = client
        .list_webhook_deliveries()
        .limit(2u8)
        .stream()
        .map(|d| d.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, ["d1", "d2", "d3", "d4"]);
    let requests = server.received_requests().await.unwrap();
    let afters: Vec<Option<String>> = requests.iter().map(|r| query(r, "after")).collect();
    assert_eq!(afters, [None, Some("c1".into()), Some("c2".into())]);
    // The filters of the first page go on every page.
    assert!(requests
        .iter()
        .all(|r| query(r, "limit").as_deref() == Some("2")));
}

#[tokio::test]
async fn kapso_platform_webhook_lists_follow_page_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(|request: &Request| {
            let page: i64 = query(request, "page").map_or(1, |p| p.parse().unwrap());
            let webhook = json!({
                "id": format!("3c90c3cc-0d44-4b50-8888-8dd25736052{page}"),
                "url": "https://example.com/h", "events": ["whatsapp.message.received"],
                "active": true, "project_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
            });
            ResponseTemplate::new(200).set_body_json(json!({
                "data": [webhook],
                "meta": {"page": page, "per_page": 1, "total_pages": 3, "total_count": 3}
            }))
        })
        .mount(&server)
        .await;
    let client = kapso::platform::Client::builder()
        .api_key("kapso-key")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap();
    let project = client
        .list_whatsapp_project_webhooks()
        .per_page(1u32)
        .to_vec_max(10)
        .await
        .unwrap();
    assert_eq!(project.len(), 3);
    let phone = client
        .list_whatsapp_phone_number_webhooks()
        .phone_number_id("1234567890")
        .to_vec_max(2)
        .await
        .unwrap();
    assert_eq!(phone.len(), 2, "stops after the page that fills the cap");
    let pages: Vec<Option<String>> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| query(r, "page"))
        .collect();
    assert_eq!(
        pages,
        [
            None,
            Some("2".into()),
            Some("3".into()),
            None,
            Some("2".into())
        ]
    );
}
