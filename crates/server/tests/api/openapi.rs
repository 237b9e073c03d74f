//! The OpenAPI document: served, OpenAPI 3.1, and describing exactly the routes the server has.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use store::both_backends;

pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every (METHOD, path template) of the document.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    let mut ops = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

pub async fn document(app: &TestApp) -> Value {
    let res = app.client().get(app.url("/api/openapi.json")).send().await.expect("send");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    res.json().await.expect("json")
}

/// Every `$ref` in the document.
fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Is this answer the router's own "no such route" (our fallback) rather than a handler's?
async fn unrouted(res: reqwest::Response) -> Option<String> {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    let fallback = status == StatusCode::NOT_FOUND && body["error"]["message"] == "no such API endpoint";
    (fallback || status == StatusCode::METHOD_NOT_ALLOWED).then(|| format!("{status} {body}"))
}

both_backends! {
    async fn the_document_and_the_router_have_the_same_routes(db) {
        let app = TestApp::start(db).await;
        let doc = document(&app).await;
        assert_eq!(doc["openapi"], "3.1.0");
        for scheme in ["bearer", "api_key", "session", "csrf"] {
            assert!(doc["components"]["securitySchemes"][scheme].is_object(), "auth scheme {scheme}");
        }
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        let dangling: Vec<_> = refs.iter().filter(|r| doc.pointer(r.trim_start_matches('#')).is_none()).collect();
        assert!(!refs.is_empty() && dangling.is_empty(), "references to nothing: {dangling:?}");
        let ops = operations(&doc);
        assert!(ops.len() >= 40, "every operation is documented: {}", ops.len());
        let client = app.client();
        let mut wrong = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            // Any id will do: routing does not look at it.
            let url = app.url(&path.replace("{id}", "1").replace("{delivery}", "1"));
            for method in METHODS {
                let documented = item.get(method).is_some();
                let res = client
                    .request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), &url)
                    .send()
                    .await
                    .expect("send");
                let status = res.status();
                match (documented, unrouted(res).await) {
                    (true, Some(answer)) => wrong.push(format!("{method} {path} is documented but not routed: {answer}")),
                    (false, None) => wrong.push(format!("{method} {path} is routed ({status}) but not documented")),
                    _ => {}
                }
            }
        }
        assert!(wrong.is_empty(), "router and document disagree:\n{}", wrong.join("\n"));
        // Operation ids name operations for generated clients: unique, and every operation has one.
        let mut ids = std::collections::BTreeSet::new();
        for (method, path) in &ops {
            let id = doc["paths"][path][method.to_lowercase()]["operationId"].as_str().expect("operationId").to_string();
            assert!(ids.insert(id.clone()), "operationId {id} is used twice");
        }
        app.stop().await;
    }

    async fn the_docs_page_loads_the_vendored_viewer_under_the_strict_policy(db) {
        let app = TestApp::start(db).await;
        let res = app.client().get(app.url("/api/docs")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
        let html = res.text().await.unwrap();
        for asset in ["/assets/vendor/swagger-ui/swagger-ui-bundle.js", "/assets/js/api_docs.js"] {
            assert!(html.contains(asset), "{asset}");
            let js = app.client().get(app.url(asset)).send().await.unwrap();
            assert_eq!(js.status(), StatusCode::OK, "{asset}");
        }
        app.stop().await;
    }
}
