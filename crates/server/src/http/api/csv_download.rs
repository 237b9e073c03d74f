//! A streamed CSV file as a download: the contacts export and a blast's recipient report.

use app::services::contact_import::Export;
use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

pub(super) fn csv_download(export: Export) -> Response {
    let file = export.file_name.clone();
    let body = Body::from_stream(export.body.map(move |chunk| {
        chunk.map_err(|e| {
            // The status line is sent: all that is left is to break the response off.
            tracing::error!(error = %e, file = %file, "CSV export failed");
            std::io::Error::other("export failed")
        })
    }));
    let disposition = format!("attachment; filename=\"{}\"", export.file_name);
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}
