//! [`Headers`](super::Headers) for `http` 1.x header maps (feature `http`).

impl super::Headers for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        http::HeaderMap::get(self, name).and_then(|v| v.to_str().ok())
    }
}
