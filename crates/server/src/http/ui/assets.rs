//! CSS and JavaScript compiled into the binary, served with an ETag so browsers revalidate
//! cheaply after an upgrade.

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", mime: "text/css; charset=utf-8", body: include_str!("../../../assets/app.css") },
    Asset { name: "app.js", mime: "text/javascript; charset=utf-8", body: include_str!("../../../assets/app.js") },
];

fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| ASSETS.iter().map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..16])).collect())
}

pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = &etags()[i];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, ASSETS[i].mime.to_string()),
            (header::ETAG, etag.clone()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        ASSETS[i].body,
    )
        .into_response()
}
