//! Building clients: API keys from the environment, base URLs, secrets kept out of Debug output,
//! a caller-supplied reqwest::Client.
#![cfg(all(feature = "kirim", feature = "kapso"))]

use chathooks::{kapso, kirim, ConfigError, Error};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "kdv_live_SECRETSECRETSECRETSECRET";

#[test]
fn from_env_reads_the_key_and_base_url_and_names_a_missing_variable() {
    // The only test in this binary that touches the environment.
    // SAFETY: no other thread of this test binary reads or writes these variables.
    unsafe {
        std::env::remove_var("KIRIM_API_KEY");
        std::env::remove_var("KAPSO_API_KEY");
        std::env::set_var("KAPSO_BASE_URL", "http://127.0.0.1:9/api/v1/");
    }
    let err = kirim::Client::from_env().unwrap_err();
    assert!(matches!(
        err,
        Error::Config(ConfigError::MissingEnv {
            var: "KIRIM_API_KEY"
        })
    ));
    assert!(err.to_string().contains("KIRIM_API_KEY"), "{err}");
    let err = kapso::legacy::Client::from_env().unwrap_err();
    assert!(err.to_string().contains("KAPSO_API_KEY"), "{err}");

    unsafe {
        std::env::set_var("KAPSO_API_KEY", "   ");
    }
    assert!(
        kapso::legacy::Client::from_env().is_err(),
        "a blank key is no key"
    );

    unsafe {
        std::env::set_var("KIRIM_API_KEY", KEY);
        std::env::set_var("KAPSO_API_KEY", "kapso-key");
    }
    let client = kirim::Client::from_env().unwrap();
    assert_eq!(client.base_url(), "https://api.kirim.chat/v1");
    let client = kapso::legacy::Client::from_env().unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/api/v1");
}

#[test]
fn default_base_urls() {
    assert_eq!(
        kirim::Client::new(KEY).unwrap().base_url(),
        "https://api.kirim.chat/v1"
    );
    assert_eq!(
        kapso::legacy::Client::new("k").unwrap().base_url(),
        "https://app.kapso.ai/api/v1"
    );
}

#[test]
fn the_key_never_shows_in_debug_output() {
    let builder = kirim::Client::builder().api_key(KEY);
    assert!(!format!("{builder:?}").contains("SECRET"));
    let client = builder.build().unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("SECRET"), "{debug}");
    assert!(debug.contains("***"), "{debug}");
}

#[test]
fn bad_keys_and_urls_are_typed_errors() {
    for key in ["", "  ", "line\nbreak"] {
        let err = kirim::Client::new(key).unwrap_err();
        assert!(
            matches!(err, Error::Config(ConfigError::InvalidApiKey)),
            "{key:?}: {err:?}"
        );
    }
    let err = kirim::Client::builder().build().unwrap_err();
    assert!(matches!(err, Error::Config(ConfigError::MissingApiKey)));
    for url in [
        "not a url",
        "ftp://example.com",
        "/relative",
        "http://h/?q=1",
    ] {
        let err = kirim::Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(
            matches!(err, Error::Config(ConfigError::InvalidBaseUrl { .. })),
            "{url}: {err:?}"
        );
        assert!(!err.to_string().contains("SECRET"));
    }
    let err = kirim::Client::builder()
        .api_key(KEY)
        .user_agent("bad\nagent")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(ConfigError::InvalidUserAgent)));
}

#[tokio::test]
async fn trailing_slash_and_path_stem_in_the_base_url() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/me"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(format!("{}/v1/", server.uri()))
        .build()
        .unwrap();
    // 204 is not a documented answer of get_me: it comes back as an API error, but it proves the URL.
    let err: Error = client.get_me().send().await.unwrap_err().into();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(204));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_caller_supplied_http_client_still_gets_auth_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(header("x-api-key", "kapso-key"))
        .and(header("user-agent", "my-app/1.0"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let http = reqwest::Client::builder().build().unwrap();
    let client = kapso::legacy::Client::builder()
        .api_key("kapso-key")
        .base_url(server.uri())
        .http_client(http)
        .user_agent("my-app/1.0")
        .build()
        .unwrap();
    client
        .delete_whatsapp_webhook()
        .whatsapp_config_id("c")
        .id("w")
        .send()
        .await
        .unwrap();
}

#[test]
fn the_key_goes_only_to_https_or_loopback_hosts() {
    for url in [
        "http://api.kirim.chat/v1",
        "http://10.0.0.1/v1",
        "http://128.0.0.1/",
        "http://[2001:db8::1]/",
        "http://localhost.example.com/",
    ] {
        let err = kirim::Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        let Error::Config(ConfigError::InsecureBaseUrl { url: named }) = &err else {
            panic!("{url}: {err:?}");
        };
        assert_eq!(named, url);
        assert!(err.to_string().contains(url), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        assert!(!format!("{err:?}").contains("SECRET"), "{err:?}");
    }
    let err = kirim::Client::builder()
        .api_key(KEY)
        .base_url("http://user:hunter2@proxy.example.com/v1")
        .build()
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(err.to_string().contains("proxy.example.com"), "{err}");
    for url in [
        "https://api.kirim.chat/v1",
        "https://example.com",
        "http://127.0.0.1:4010",
        "http://127.1.2.3/v1",
        "http://[::1]:8080/",
        "http://localhost:3000/api",
        "http://LOCALHOST/",
    ] {
        let client = kapso::legacy::Client::builder()
            .api_key("k")
            .base_url(url)
            .build();
        assert!(client.is_ok(), "{url}: {:?}", client.err());
    }
}

#[test]
fn the_builder_shows_its_settings_but_never_the_key() {
    let builder = kirim::Client::builder()
        .api_key(KEY)
        .max_retries(5)
        .retry_base_delay(std::time::Duration::from_millis(10))
        .max_error_body_bytes(1000);
    let debug = format!("{builder:?}");
    assert!(debug.contains("max_retries: 5"), "{debug}");
    assert!(debug.contains("max_error_body_bytes: 1000"), "{debug}");
    assert!(!debug.contains("SECRET"), "{debug}");
    let debug = format!("{:?}", builder.build().unwrap());
    assert!(debug.contains("max_retries: 5"), "{debug}");
    assert!(!debug.contains("SECRET"), "{debug}");
}
