//! CSS and JavaScript compiled into the binary, served with an ETag so browsers revalidate
//! cheaply after an upgrade. Each page loads its own module from `assets/js/`, which imports
//! what it shares from `js/core.js`; the tests below keep this list, the files on disk and
//! the URLs in the templates in step.

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../../assets/", $path)))),*]
    };
}

/// (path under `/assets/`, body)
const ASSETS: &[(&str, &str)] = assets![
    "css/app.css",
    "js/core.js",
    "js/shell.js",
    "js/login.js",
    "js/register.js",
    "js/outlets.js",
    "js/outlet_status.js",
    "js/messages.js",
    "js/webhooks.js",
    "js/contacts.js",
    "js/api_keys.js",
    "js/billing.js",
    "js/admin_billing.js",
    "js/billing_sandbox.js",
    "js/templates.js",
    "js/blasts.js",
    "js/auto_replies.js",
    "js/chatbots.js",
    "js/chatbot_steps.js",
    "js/integrations.js",
    "js/users.js",
    "js/profile.js",
    "css/api_docs.css",
    "js/api_docs.js",
    "vendor/swagger-ui/swagger-ui-bundle.js",
    "vendor/swagger-ui/swagger-ui.css",
    "favicon.svg",
];

/// Module scripts are refused by browsers unless served as JavaScript.
fn mime(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS.iter().map(|(_, body)| format!("\"{}\"", &hex::encode(Sha256::digest(body))[..16])).collect()
    })
}

pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|(p, _)| *p == path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = &etags()[i];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, mime(&path).to_string()),
            (header::ETAG, etag.clone()),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        ASSETS[i].1,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::Path as FsPath;

    const ROOT: &str = env!("CARGO_MANIFEST_DIR");

    fn served(path: &str) -> bool {
        ASSETS.iter().any(|(p, _)| *p == path)
    }

    /// Every piece of `text` that follows `start` up to the next `end`.
    fn between<'a>(text: &'a str, start: &str, end: char) -> Vec<&'a str> {
        text.split(start).skip(1).filter_map(|rest| rest.split_once(end).map(|(p, _)| p)).collect()
    }

    /// Files under `dir`, as paths relative to it.
    fn files(dir: &FsPath, prefix: &str, out: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                files(&entry.path(), &format!("{name}/"), out);
            } else {
                out.insert(name);
            }
        }
    }

    #[test]
    fn every_asset_a_template_or_module_refers_to_is_served() {
        let mut referenced = BTreeSet::new();
        for entry in fs::read_dir(format!("{ROOT}/templates")).unwrap() {
            let html = fs::read_to_string(entry.unwrap().path()).unwrap();
            referenced.extend(between(&html, "\"/assets/", '"').into_iter().map(str::to_string));
        }
        assert!(referenced.contains("css/app.css"), "the scan found the stylesheet: {referenced:?}");
        // Modules import their neighbours by relative URL: `from "./core.js"`.
        for (path, body) in ASSETS.iter().filter(|(p, _)| p.ends_with(".js")) {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            for import in between(body, "from \"./", '"') {
                referenced.insert(format!("{dir}/{import}"));
            }
        }
        let missing: Vec<_> = referenced.iter().filter(|p| !served(p)).collect();
        assert!(missing.is_empty(), "referenced but not served: {missing:?}");
        let unused: Vec<_> = ASSETS.iter().map(|(p, _)| *p).filter(|p| !referenced.contains(*p)).collect();
        assert!(unused.is_empty(), "served but never referenced: {unused:?}");
    }

    #[test]
    fn every_file_in_the_assets_folder_is_served_with_its_type() {
        let mut on_disk = BTreeSet::new();
        files(FsPath::new(&format!("{ROOT}/assets")), "", &mut on_disk);
        // A vendored library keeps its licence and notes beside the files we serve.
        on_disk.retain(|p| !p.starts_with("vendor/") || p.ends_with(".js") || p.ends_with(".css"));
        let listed: BTreeSet<String> = ASSETS.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(on_disk, listed, "assets/ and the ASSETS list differ");
        for (path, _) in ASSETS {
            assert_ne!(mime(path), "application/octet-stream", "{path} has no known type");
        }
        assert_eq!(mime("js/core.js"), "text/javascript; charset=utf-8");
    }
}
