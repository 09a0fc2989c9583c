//! The fakes cannot drift from the specs: every response they give in a scripted session that
//! calls every operation (successes and documented errors) must have a status the spec documents
//! for that operation, and a body valid against the spec's schema for that status (OpenAPI 3.0
//! translated to JSON Schema by the same code `cargo xtask check` uses).
#![cfg(feature = "testing")]

#[allow(dead_code)]
#[path = "../xtask/src/lint.rs"]
mod lint;

use std::collections::BTreeSet;
use std::time::Duration;

use chathooks::testing::{samples, FakeKapso, FakeKirim};
use serde_json::{json, Map, Value};

/// One exchange: method, path after the base URL, status, body (`Null` when empty).
type Exchange = (String, String, u16, Value);

struct Session {
    http: reqwest::Client,
    base: String,
    auth: (&'static str, String),
    log: Vec<Exchange>,
}

impl Session {
    async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.call_with(method, path, body, &[]).await
    }

    async fn call_with(
        &mut self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Value {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header(self.auth.0, self.auth.1.as_str());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let bare = path.split('?').next().unwrap().to_owned();
        self.log
            .push((method.to_owned(), bare, status, body.clone()));
        body
    }
}

/// Checks every exchange against `spec`; returns the operations that answered 2xx.
fn check(spec_file: &str, log: &[Exchange]) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!(
        "{}/openapi/{spec_file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let spec: Value = yaml_serde::from_str(&text).unwrap();
    let defs: Map<String, Value> = spec["components"]["schemas"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, schema)| (name.clone(), lint::to_json_schema(schema)))
        .collect();
    let mut covered = BTreeSet::new();
    let mut problems = Vec::new();
    for (method, path, status, body) in log {
        let Some((template, operation)) = find_operation(&spec, method, path) else {
            problems.push(format!("{method} {path}: no such operation in {spec_file}"));
            continue;
        };
        let Some(response) = operation["responses"].get(status.to_string()) else {
            problems.push(format!(
                "{method} {template}: status {status} is not documented"
            ));
            continue;
        };
        let response = resolve(&spec, response);
        match response["content"]["application/json"]["schema"].as_object() {
            None => {
                if !body.is_null() {
                    problems.push(format!(
                        "{method} {template} {status}: a body where the spec has none"
                    ));
                }
            }
            Some(schema) => {
                let mut root = lint::to_json_schema(&Value::Object(schema.clone()));
                root.as_object_mut()
                    .unwrap()
                    .insert("$defs".into(), Value::Object(defs.clone()));
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .should_validate_formats(true)
                    .should_ignore_unknown_formats(true)
                    .build(&root)
                    .unwrap();
                for error in validator.iter_errors(body) {
                    problems.push(format!(
                        "{method} {template} {status}: `{}`: {error}\n  body: {body}",
                        error.instance_path()
                    ));
                }
            }
        }
        if (200..300).contains(status) {
            covered.insert(operation["operationId"].as_str().unwrap().to_owned());
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    covered
}

fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(r) => spec.pointer(r.trim_start_matches('#')).unwrap(),
        None => value,
    }
}

/// The operation whose path template matches `path` (most literal segments first).
fn find_operation<'a>(spec: &'a Value, method: &str, path: &str) -> Option<(String, &'a Value)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut best: Option<(usize, String, &Value)> = None;
    for (template, item) in spec["paths"].as_object()? {
        let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let matches = parts.iter().zip(&segments).all(|(p, s)| {
            if p.starts_with('{') {
                true
            } else {
                literal += 1;
                p == s
            }
        });
        let Some(operation) = item.get(method.to_lowercase()) else {
            continue;
        };
        if matches && best.as_ref().is_none_or(|(l, _, _)| literal > *l) {
            best = Some((literal, template.clone(), operation));
        }
    }
    best.map(|(_, template, operation)| (template, operation))
}

fn operation_ids(spec_file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(format!(
        "{}/openapi/{spec_file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let spec: Value = yaml_serde::from_str(&text).unwrap();
    spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn every_kirim_fake_response_matches_the_spec() {
    let fake = FakeKirim::start().await.unwrap();
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    drop(receiver); // nothing listens: deliveries fail and are dead-lettered
    let mut s = Session {
        http: reqwest::Client::new(),
        base: fake.base_url(),
        auth: ("authorization", format!("Bearer {}", fake.api_key())),
        log: Vec::new(),
    };
    s.call("GET", "/me", None).await;
    let created = s
        .call_with(
            "POST",
            "/webhook_subscriptions",
            Some(json!({"url": hook, "events": ["message.received"], "description": "d"})),
            &[("idempotency-key", "k1")],
        )
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    s.call(
        "POST",
        "/webhook_subscriptions",
        Some(json!({"url": "https://example.com/2", "events": ["contact.created"]})),
    )
    .await;
    s.call("GET", "/webhook_subscriptions?limit=1", None).await;
    s.call("GET", &format!("/webhook_subscriptions/{id}"), None)
        .await;
    s.call(
        "PATCH",
        &format!("/webhook_subscriptions/{id}"),
        Some(json!({"description": null})),
    )
    .await;
    s.call(
        "POST",
        &format!("/webhook_subscriptions/{id}/secrets"),
        Some(json!({"expires_in_hours": 1})),
    )
    .await;
    fake.deliver(&samples::kirim("message.received").unwrap())
        .await
        .unwrap();
    let deliveries = s.call("GET", "/webhook_deliveries?limit=10", None).await;
    let delivery = deliveries["data"][0]["id"].as_str().unwrap().to_owned();
    s.call(
        "POST",
        &format!("/webhook_deliveries/{delivery}/replay"),
        None,
    )
    .await;
    s.call(
        "POST",
        "/webhook_deliveries/bulk_replay",
        Some(json!({"subscription_id": id, "status": "failed"})),
    )
    .await;
    // Documented errors.
    s.call(
        "POST",
        "/webhook_subscriptions",
        Some(json!({"url": "http://example.com", "events": []})),
    )
    .await;
    s.call("GET", "/webhook_subscriptions?limit=0", None).await;
    s.call("GET", "/webhook_deliveries?limit=1000", None).await;
    s.call(
        "POST",
        &format!("/webhook_subscriptions/{id}/secrets"),
        Some(json!({})),
    )
    .await;
    s.call(
        "POST",
        "/webhook_deliveries/bulk_replay",
        Some(json!({"status": "dead"})),
    )
    .await;
    s.call(
        "POST",
        "/webhook_deliveries/wbd_00000000000000000000000000/replay",
        None,
    )
    .await;
    s.call(
        "POST",
        "/webhook_deliveries/bulk_replay",
        Some(json!({"subscription_id": "wbs_00000000000000000000000000"})),
    )
    .await;
    fake.faults().rate_limit_next(1, Duration::from_secs(1));
    s.call("GET", "/webhook_deliveries", None).await;
    fake.faults().fail_next(1, 500);
    s.call("GET", "/me", None).await;
    s.call("DELETE", &format!("/webhook_subscriptions/{id}"), None)
        .await;
    for (method, body) in [
        ("GET", None),
        ("PATCH", Some(json!({"status": "paused"}))),
        ("DELETE", None),
    ] {
        s.call(method, &format!("/webhook_subscriptions/{id}"), body)
            .await;
    }
    s.call(
        "POST",
        &format!("/webhook_subscriptions/{id}/secrets"),
        Some(json!({"expires_in_hours": 1})),
    )
    .await;
    s.auth.1 = "Bearer kdv_test_wrong".into();
    s.call("GET", "/webhook_subscriptions", None).await;

    let statuses: BTreeSet<u16> = s.log.iter().map(|e| e.2).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([200, 201, 202, 204, 400, 401, 404, 429, 500])
    );
    let covered = check("kirim.yaml", &s.log);
    assert_eq!(
        covered,
        operation_ids("kirim.yaml"),
        "every operation answered 2xx at least once"
    );
}

#[tokio::test]
async fn every_kapso_legacy_fake_response_matches_the_spec() {
    let fake = FakeKapso::start().await.unwrap();
    let hooks = format!("/whatsapp_configs/{}/whatsapp_webhooks", fake.config_id());
    let mut s = Session {
        http: reqwest::Client::new(),
        base: fake.base_url(),
        auth: ("x-api-key", fake.api_key().to_owned()),
        log: Vec::new(),
    };
    let created = s
        .call(
            "POST",
            &hooks,
            Some(json!({"whatsapp_webhook": {"url": "https://example.com/k", "secret_key": "s", "events": ["whatsapp.message.received"], "headers": {"X-A": "b"}}})),
        )
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    s.call(
        "GET",
        &format!("{hooks}?per_page=1&page=1&q%5Bactive_eq%5D=true"),
        None,
    )
    .await;
    s.call("GET", &format!("{hooks}/{id}"), None).await;
    s.call(
        "PATCH",
        &format!("{hooks}/{id}"),
        Some(json!({"whatsapp_webhook": {"active": false, "headers": null}})),
    )
    .await;
    s.call(
        "PATCH",
        &format!("{hooks}/{id}"),
        Some(json!({"whatsapp_webhook": {"inactivity_minutes": 0}})),
    )
    .await;
    s.call(
        "POST",
        &hooks,
        Some(json!({"whatsapp_webhook": {"url": "ftp://x"}})),
    )
    .await;
    s.call("DELETE", &format!("{hooks}/{id}"), None).await;
    s.call("GET", &format!("{hooks}/{id}"), None).await;
    s.call("DELETE", &format!("{hooks}/{id}"), None).await;
    s.call("GET", "/whatsapp_configs/unknown/whatsapp_webhooks", None)
        .await;
    s.auth.1 = "wrong".into();
    s.call("GET", &hooks, None).await;

    let statuses: BTreeSet<u16> = s.log.iter().map(|e| e.2).collect();
    assert_eq!(statuses, BTreeSet::from([200, 201, 204, 401, 404, 422]));
    let covered = check("kapso.yaml", &s.log);
    assert_eq!(covered, operation_ids("kapso.yaml"));
}

#[tokio::test]
async fn every_kapso_platform_fake_response_matches_the_spec() {
    let fake = FakeKapso::start().await.unwrap();
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(|| async { "ok" });
        axum::serve(receiver, app).await.unwrap();
    });
    let phone = fake.phone_number_id().to_owned();
    let hooks = format!("/whatsapp/phone_numbers/{phone}/webhooks");
    let mut s = Session {
        http: reqwest::Client::new(),
        base: fake.platform_base_url(),
        auth: ("x-api-key", fake.api_key().to_owned()),
        log: Vec::new(),
    };
    let created = s
        .call(
            "POST",
            &hooks,
            Some(json!({"whatsapp_webhook": {"url": hook, "secret_key": "s", "events": ["whatsapp.message.received"]}})),
        )
        .await;
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    s.call("POST", &hooks, Some(json!({"whatsapp_webhook": {"kind": "meta", "url": "https://example.com/meta", "secret_key": "m"}}))).await;
    s.call(
        "GET",
        &format!("{hooks}?per_page=1&page=2&kind=kapso"),
        None,
    )
    .await;
    s.call("GET", &format!("{hooks}/{id}"), None).await;
    s.call(
        "PATCH",
        &format!("{hooks}/{id}"),
        Some(json!({"whatsapp_webhook": {"buffer_enabled": true, "max_buffer_size": 20}})),
    )
    .await;
    let project = s
        .call("POST", "/whatsapp/webhooks", Some(json!({"whatsapp_webhook": {"url": "https://example.com/p", "events": ["whatsapp.phone_number.created"]}})))
        .await;
    let project_id = project["data"]["id"].as_str().unwrap().to_owned();
    s.call("GET", "/whatsapp/webhooks?per_page=2", None).await;
    s.call("GET", &format!("/whatsapp/webhooks/{project_id}"), None)
        .await;
    s.call(
        "PATCH",
        &format!("/whatsapp/webhooks/{project_id}"),
        Some(json!({"whatsapp_webhook": {"active": false}})),
    )
    .await;
    s.call(
        "POST",
        &format!("/whatsapp/webhooks/{id}/test"),
        Some(json!({"event_type": "whatsapp.message.received"})),
    )
    .await;
    fake.deliver_sample("whatsapp.message.received")
        .await
        .unwrap();
    let log = s.call("GET", "/webhook_deliveries?limit=1", None).await;
    let after = log["paging"]["next"].as_str().unwrap().to_owned();
    s.call(
        "GET",
        &format!("/webhook_deliveries?limit=1&after={after}"),
        None,
    )
    .await;
    s.call(
        "GET",
        "/webhook_deliveries?errors_only=true&period=7d",
        None,
    )
    .await;
    // Documented errors.
    s.call("POST", &hooks, Some(json!({"whatsapp_webhook": {"url": "https://example.com/x", "secret_key": "s", "events": []}}))).await;
    s.call("POST", &hooks, Some(json!({"whatsapp_webhook": {"kind": "meta", "url": "https://example.com/m2", "secret_key": "m"}}))).await;
    s.call("POST", "/whatsapp/webhooks", Some(json!({"whatsapp_webhook": {"url": "https://example.com/p", "events": ["whatsapp.message.received"]}}))).await;
    s.call(
        "PATCH",
        &format!("{hooks}/{id}"),
        Some(json!({"whatsapp_webhook": {"buffer_window_seconds": 0}})),
    )
    .await;
    s.call(
        "POST",
        &format!("/whatsapp/webhooks/{id}/test"),
        Some(json!({"event_type": "whatsapp.message.read"})),
    )
    .await;
    s.call("GET", "/whatsapp/phone_numbers/999/webhooks", None)
        .await;
    s.call("POST", "/whatsapp/phone_numbers/999/webhooks", Some(json!({"whatsapp_webhook": {"url": "https://example.com/x", "secret_key": "s", "events": ["whatsapp.message.received"]}}))).await;
    s.call("DELETE", &format!("/whatsapp/webhooks/{project_id}"), None)
        .await;
    s.call("DELETE", &format!("{hooks}/{id}"), None).await;
    for path in [
        format!("{hooks}/{id}"),
        format!("/whatsapp/webhooks/{project_id}"),
    ] {
        s.call("GET", &path, None).await;
        s.call(
            "PATCH",
            &path,
            Some(json!({"whatsapp_webhook": {"active": true}})),
        )
        .await;
        s.call("DELETE", &path, None).await;
    }
    s.call(
        "POST",
        &format!("/whatsapp/webhooks/{id}/test"),
        Some(json!({})),
    )
    .await;
    s.auth.1 = "wrong".into();
    s.call("GET", "/webhook_deliveries", None).await;
    s.call("GET", "/whatsapp/webhooks", None).await;

    let statuses: BTreeSet<u16> = s.log.iter().map(|e| e.2).collect();
    assert_eq!(statuses, BTreeSet::from([200, 201, 204, 401, 404, 422]));
    let covered = check("kapso_platform.yaml", &s.log);
    assert_eq!(covered, operation_ids("kapso_platform.yaml"));
}
