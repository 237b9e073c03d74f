//! Images and documents to send: fetched from a `media_url` or uploaded, size-limited, and
//! checked (an "image" must really be a JPEG, PNG or WebP; WhatsApp shows nothing else inline).

use crate::clients::{describe, Outbound};
use crate::error::ServiceError;
use crate::i18n::Text;

pub use domain::MediaKind;

#[derive(Debug)]
pub struct Media {
    pub mime: String,
    pub file_name: String,
    pub data: Vec<u8>,
}

/// File names are shown to the recipient; keep them short and printable.
const MAX_FILE_NAME: usize = 200;

pub fn too_large(limit: usize) -> ServiceError {
    ServiceError::TooLarge {
        code: "media_too_large",
        message: Text::new("error-media-too-large").arg("kib", limit / 1024),
    }
}

/// The image formats WhatsApp displays, recognised by their first bytes.
fn image_mime(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn clean_file_name(name: &str) -> String {
    let cleaned: String =
        name.trim().chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(MAX_FILE_NAME).collect();
    cleaned.trim().to_string()
}

/// Checks content and names it: images by their bytes, documents as declared.
pub fn accept(kind: MediaKind, data: Vec<u8>, declared_mime: &str, file_name: &str) -> Result<Media, ServiceError> {
    if data.is_empty() {
        return Err(ServiceError::invalid("file", "error-file-empty"));
    }
    let mime = match kind {
        MediaKind::Image => {
            image_mime(&data).ok_or_else(|| ServiceError::invalid("type", "error-image-format"))?.to_string()
        }
        MediaKind::Document => {
            let declared = declared_mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            let plausible = declared.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                && declared.chars().all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c));
            if plausible {
                declared
            } else {
                "application/octet-stream".to_string()
            }
        }
    };
    let mut file_name = clean_file_name(file_name);
    if file_name.is_empty() {
        file_name = kind.as_str().to_string();
    }
    Ok(Media { mime, file_name, data })
}

/// Downloads `url` through the outbound guard, refusing more than `limit` bytes.
pub async fn fetch(outbound: &Outbound, url: &str, limit: usize) -> Result<(Vec<u8>, String, String), ServiceError> {
    let request = outbound.request(reqwest::Method::GET, url).map_err(|e| ServiceError::invalid("media_url", &e))?;
    let mut response = request
        .send()
        .await
        .map_err(|e| ServiceError::invalid("media_url", Text::new("error-media-fetch").arg("detail", describe(&e))))?;
    if !response.status().is_success() {
        return Err(ServiceError::invalid(
            "media_url",
            Text::new("error-media-status").arg("status", response.status()),
        ));
    }
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let mime =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let name = response.url().path_segments().and_then(|mut s| s.next_back()).unwrap_or("").to_string();
    let mut data = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        ServiceError::invalid("media_url", Text::new("error-media-download").arg("detail", describe(&e)))
    })? {
        if data.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        data.extend_from_slice(&chunk);
    }
    let name = percent_encoding::percent_decode_str(&name).decode_utf8_lossy().into_owned();
    Ok((data, mime, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_bytes() {
        let png = b"\x89PNG\r\n\x1a\n rest".to_vec();
        assert_eq!(accept(MediaKind::Image, png, "text/plain", "a.png").unwrap().mime, "image/png");
        let fake = b"<svg onload=alert(1)>".to_vec();
        let refused = accept(MediaKind::Image, fake, "image/png", "x.png").unwrap_err();
        assert!(matches!(refused, ServiceError::Invalid { field: "type", .. }), "{refused:?}");
        let doc =
            accept(MediaKind::Document, b"%PDF-1.7".to_vec(), "application/pdf; charset=x", "../../etc/Menu\n.pdf");
        let doc = doc.unwrap();
        assert_eq!((doc.mime.as_str(), doc.file_name.as_str()), ("application/pdf", "....etcMenu.pdf"));
        let odd = accept(MediaKind::Document, b"x".to_vec(), "not a mime", "").unwrap();
        assert_eq!((odd.mime.as_str(), odd.file_name.as_str()), ("application/octet-stream", "document"));
        assert!(accept(MediaKind::Document, Vec::new(), "", "").is_err());
    }
}
