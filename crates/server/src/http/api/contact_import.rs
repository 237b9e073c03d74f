//! `/api/contacts/imports` (upload a CSV or `.xlsx` file, then follow the job) and
//! `/api/contacts/export` (the caller's contacts as CSV, streamed). The rules are in
//! `app::services::contact_import`.
//!
//! Both paths are static segments, which axum's router prefers to `/api/contacts/{id}`.

use crate::http::error::{AppError, AppResult, CallerLanguage};
use crate::http::extract::{ApiPath, ApiQuery, Caller};
use app::i18n::Text;
use app::services::contact_import::{
    self as import, ColumnMapping, Counts, ExportQuery, JobView, Mode, Phase, PreviewRow, Status, MAX_FILE_BYTES,
};
use app::AppState;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use domain::OutletId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    // Room for the largest file plus the form around it; axum's default is 2 MB.
    let limit = DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024);
    OpenApiRouter::new().routes(routes!(start)).layer(limit).routes(routes!(job)).routes(routes!(export))
}

// Only describes the form for the OpenAPI document; `start` reads it part by part.
/// A contact file to check (and apply).
#[derive(ToSchema)]
#[schema(as = ContactImportForm)]
#[allow(dead_code)]
struct ImportForm {
    /// CSV (`,` or `;`, UTF-8) or `.xlsx` (the first sheet), at most 32 MB and 200,000 rows;
    /// the first row names the columns (`name`/`nama`, `phone`/`no_wa`/…, `email`,
    /// `tags`, `outlet`/`cabang`, `notes`/`catatan`; any other column is a custom field).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `check` (the default) reports and writes nothing; `apply` writes every good row.
    mode: Option<Mode>,
}

/// An import job: its progress and, once done, its report.
#[derive(Serialize, ToSchema)]
#[schema(as = ContactImportJob)]
struct JobBody {
    id: String,
    mode: Mode,
    status: Status,
    phase: Phase,
    /// Rows done in the current phase.
    rows_done: usize,
    /// Data rows in the file.
    rows_total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<ReportBody>,
    /// Why the job failed (then nothing was written).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ContactImportReport)]
struct ReportBody {
    counts: Counts,
    /// The first 1,000 rejected rows, in file order.
    rejected: Vec<RejectedBody>,
    /// All rejected rows.
    rejected_total: usize,
    /// What each column of the file became.
    columns: Vec<ColumnMapping>,
    /// The first rows as read, before they were checked.
    preview: Vec<PreviewRow>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ContactImportRejectedRow)]
struct RejectedBody {
    /// The header is line 1.
    line: usize,
    /// The column at fault, as headed in the file.
    column: Option<String>,
    value: String,
    reason: String,
}

impl JobBody {
    fn new(v: JobView, tr: app::i18n::Tr) -> JobBody {
        let report = v.report.map(|r| ReportBody {
            counts: r.counts,
            rejected: r
                .rejected
                .iter()
                .map(|x| RejectedBody {
                    line: x.line,
                    column: x.column.clone(),
                    value: x.value.clone(),
                    reason: x.reason.render(tr),
                })
                .collect(),
            rejected_total: r.rejected_total,
            columns: r.columns.clone(),
            preview: r.preview.clone(),
        });
        JobBody {
            id: v.id,
            mode: v.mode,
            status: v.status,
            phase: v.phase,
            rows_done: v.rows_done,
            rows_total: v.rows_total,
            report,
            error: v.error.map(|e| e.render(tr)),
        }
    }
}

/// Import contacts
///
/// Reads the file at once (a file that cannot be read is refused with what to fix), then
/// checks every row as a job: 202 with the job, whose progress and report
/// `GET /api/contacts/imports/{id}` tells. In `apply` mode every good row is written in one
/// transaction, or none; a number that is already a contact fills that contact's empty fields
/// and adds tags, erasing nothing. One import per account runs at a time (409).
#[utoipa::path(post, path = "/api/contacts/imports", tag = "contacts", operation_id = "importContacts",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses((status = 202, description = "Reading done; checking", body = JobBody),
        (status = 413, description = "Larger than 32 MB")))]
async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Extension(lang): Extension<CallerLanguage>,
    headers: HeaderMap,
    request: Request,
) -> AppResult<(StatusCode, Json<JobBody>)> {
    // Who may import is known before a large upload is read.
    import::may_import(caller.actor)?;
    let unreadable = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::from(import::too_large())
        } else {
            AppError::bad_request(Text::new("error-form-unreadable").arg("detail", e.body_text()))
        }
    };
    let mut form = Multipart::from_request(request, &state)
        .await
        .map_err(|e| AppError::bad_request(Text::new("error-form-unreadable").arg("detail", e.body_text())))?;
    let mut file = None;
    let mut mode = Mode::Check;
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or("") {
            "file" => {
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if data.len() + chunk.len() > MAX_FILE_BYTES {
                        return Err(import::too_large().into());
                    }
                    data.extend_from_slice(&chunk);
                }
                file = Some(data);
            }
            "mode" => {
                let value = field.text().await.map_err(unreadable)?;
                mode = match value.trim() {
                    "" | "check" => Mode::Check,
                    "apply" => Mode::Apply,
                    other => return Err(AppError::invalid("mode", Text::new("error-import-mode").arg("mode", other))),
                };
            }
            other => return Err(AppError::bad_request(Text::new("error-form-unknown-field").arg("field", other))),
        }
    }
    let file = file.ok_or_else(|| AppError::invalid("file", "error-import-no-file"))?;
    let job = import::start(&state, caller.actor, file, mode).await?;
    Ok((StatusCode::ACCEPTED, Json(JobBody::new(job, lang.tr(&headers, state.config.default_language)))))
}

/// Show an import
///
/// The caller's own import job; jobs are kept for an hour (the last five), and not across a
/// restart (an apply is one transaction, so a restart never leaves half an import).
#[utoipa::path(get, path = "/api/contacts/imports/{id}", tag = "contacts", operation_id = "getContactImport",
    params(("id" = String, Path, description = "The job's id")), responses((status = 200, body = JobBody)))]
async fn job(
    State(state): State<AppState>,
    caller: Caller,
    Extension(lang): Extension<CallerLanguage>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
) -> AppResult<Json<JobBody>> {
    let job = import::job(&state, caller.actor, &id)?;
    Ok(Json(JobBody::new(job, lang.tr(&headers, state.config.default_language))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportParams {
    /// Searches name, number and e-mail.
    q: Option<String>,
    /// Only the contacts with this tag.
    tag_id: Option<i64>,
    /// Only the contacts of this home outlet.
    outlet_id: Option<i64>,
    /// Only those who opted out (`true`) or did not (`false`).
    opted_out: Option<bool>,
}

/// Export contacts
///
/// The caller's own contacts as CSV (UTF-8 with a byte order mark), filtered like the list,
/// streamed. Columns: `name,phone,email,tags,outlet,notes,opted_out,blocked`, then the custom
/// fields, sorted; importing the file again changes nothing. Cells that Excel would run as a
/// formula start with `'`.
#[utoipa::path(get, path = "/api/contacts/export", tag = "contacts", operation_id = "exportContacts",
    params(ExportParams),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String)))]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> AppResult<Response> {
    let query = ExportQuery {
        search: p.q.filter(|q| !q.trim().is_empty()),
        tag: p.tag_id,
        home_outlet: p.outlet_id.map(OutletId),
        opted_out: p.opted_out,
    };
    Ok(super::csv_download::csv_download(import::export(&state, caller.actor, query).await?))
}
