//! `/api/blasts`: see `app::services::blasts`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::blasts::{self, Action, BlastRequest, BlastView, Created, ListItem, Preview};
use app::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use domain::{BlastStatus, RecipientStatus};
use serde::Deserialize;
use store::{BlastRecipient, BlastSchedule, Paged};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(preview))
        // Room for a recipients file (multipart) on create and preview.
        .layer(super::blast_uploads::form_limit())
        .routes(routes!(show))
        .routes(routes!(start))
        .routes(routes!(schedule))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(cancel))
        .routes(routes!(duplicate))
        .routes(routes!(resend_failed))
        .routes(routes!(recipients))
        .routes(routes!(recipients_csv))
        .routes(routes!(schedules))
        .routes(routes!(stop_schedule))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Only blasts in this status.
    status: Option<BlastStatus>,
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 25 by default, at most 200.
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// List blasts
///
/// The caller's blasts (staff: every tenant's), newest first, with their counters.
#[utoipa::path(get, path = "/api/blasts", tag = "blasts", operation_id = "listBlasts", params(ListParams),
    responses((status = 200, body = Paged<ListItem>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<ListItem>>> {
    Ok(Json(blasts::list(&state, caller.actor, p.status, store::Page::new(p.page, p.per_page)).await?))
}

/// Create a blast
///
/// Plans every recipient at once (exclusions are recorded as `skipped` with the reason) and
/// keeps it as a draft, starts it now, at `start_at`, or makes a recurring schedule (then
/// `schedule` is answered and each run is its own blast). As `multipart/form-data`, the same
/// JSON in a `request` part with a CSV or `.xlsx` `recipients_file` (not for recurring blasts).
#[utoipa::path(post, path = "/api/blasts", tag = "blasts", operation_id = "createBlast",
    request_body(content(
        (BlastRequest = "application/json"),
        (super::blast_uploads::BlastForm = "multipart/form-data"),
    )),
    responses((status = 201, body = Created), (status = 413, description = "A recipients file larger than 32 MB")))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    request: Request,
) -> AppResult<(StatusCode, Json<Created>)> {
    let (body, extras) = super::blast_uploads::read_request(&state, &caller, &headers, request).await?;
    Ok((StatusCode::CREATED, Json(blasts::create_with(&state, caller.actor, body, extras).await?)))
}

/// Preview a blast
///
/// How many recipients it would have after exclusions, per outlet, and the text the chosen
/// contact (else the first recipient) would get; writes nothing. `start` and its fields are
/// ignored.
#[utoipa::path(post, path = "/api/blasts/preview", tag = "blasts", operation_id = "previewBlast",
    params(PreviewParams),
    request_body(content(
        (BlastRequest = "application/json"),
        (super::blast_uploads::BlastForm = "multipart/form-data"),
    )),
    responses((status = 200, body = Preview), (status = 413, description = "A recipients file larger than 32 MB")))]
async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PreviewParams>,
    headers: HeaderMap,
    request: Request,
) -> AppResult<Json<Preview>> {
    let (body, extras) = super::blast_uploads::read_request(&state, &caller, &headers, request).await?;
    Ok(Json(blasts::preview(&state, caller.actor, body, p.contact_id, extras).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PreviewParams {
    /// Render the sample for this contact of the blast's owner.
    contact_id: Option<i64>,
}

/// Show a blast
///
/// With its counters, each outlet's share (pending, next send, why it is paused) and an ETA.
#[utoipa::path(get, path = "/api/blasts/{id}", tag = "blasts", operation_id = "getBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 200, body = BlastView)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<BlastView>> {
    Ok(Json(blasts::show(&state, caller.actor, id).await?))
}

async fn act(state: AppState, caller: Caller, id: i64, action: Action) -> AppResult<Json<BlastView>> {
    Ok(Json(blasts::act(&state, caller.actor, id, action).await?))
}

/// Start a blast
///
/// A draft starts now; a scheduled one runs now. 409 in any other state.
#[utoipa::path(post, path = "/api/blasts/{id}/start", tag = "blasts", operation_id = "startBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 200, body = BlastView)))]
async fn start(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<BlastView>> {
    act(state, caller, id, Action::Start).await
}

/// Schedule a draft
///
/// A draft (e.g. one just given its media) starts at `start_at`. 409 in any other state.
#[utoipa::path(post, path = "/api/blasts/{id}/schedule", tag = "blasts", operation_id = "scheduleBlast",
    params(("id" = i64, Path, description = "The blast's id")), request_body = ScheduleBody,
    responses((status = 200, body = BlastView)))]
async fn schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> AppResult<Json<BlastView>> {
    Ok(Json(blasts::schedule(&state, caller.actor, id, &body.start_at).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BlastScheduleBody)]
struct ScheduleBody {
    /// RFC 3339, with its offset.
    #[schema(example = "2026-12-01T09:00:00+07:00")]
    start_at: String,
}

/// Pause a running blast
///
/// Nothing more is handed to the devices; messages already queued still go.
#[utoipa::path(post, path = "/api/blasts/{id}/pause", tag = "blasts", operation_id = "pauseBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 200, body = BlastView)))]
async fn pause(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<BlastView>> {
    act(state, caller, id, Action::Pause).await
}

/// Resume a paused blast
#[utoipa::path(post, path = "/api/blasts/{id}/resume", tag = "blasts", operation_id = "resumeBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 200, body = BlastView)))]
async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BlastView>> {
    act(state, caller, id, Action::Resume).await
}

/// Cancel a blast
///
/// Recipients not yet handed to a device are skipped (`cancelled`); queued ones are in the
/// device's hands.
#[utoipa::path(post, path = "/api/blasts/{id}/cancel", tag = "blasts", operation_id = "cancelBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 200, body = BlastView)))]
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BlastView>> {
    act(state, caller, id, Action::Cancel).await
}

/// Duplicate a blast
///
/// A new draft with the same content, outlets, pacing and recipient choice (resolved again now).
#[utoipa::path(post, path = "/api/blasts/{id}/duplicate", tag = "blasts", operation_id = "duplicateBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 201, body = Created)))]
async fn duplicate(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((StatusCode::CREATED, Json(blasts::duplicate(&state, caller.actor, id).await?)))
}

/// Resend to the failed
///
/// A new blast, started now, to the numbers that failed in this one (409 when none did).
#[utoipa::path(post, path = "/api/blasts/{id}/resend-failed", tag = "blasts", operation_id = "resendFailedBlast",
    params(("id" = i64, Path, description = "The blast's id")), responses((status = 201, body = Created)))]
async fn resend_failed(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<(StatusCode, Json<Created>)> {
    Ok((StatusCode::CREATED, Json(blasts::resend_failed(&state, caller.actor, id).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RecipientParams {
    /// Only recipients in this status.
    status: Option<RecipientStatus>,
    #[param(minimum = 1)]
    page: Option<u32>,
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// A blast's recipients
///
/// In the order they were planned, with status, reason and message.
#[utoipa::path(get, path = "/api/blasts/{id}/recipients", tag = "blasts", operation_id = "listBlastRecipients",
    params(("id" = i64, Path, description = "The blast's id"), RecipientParams),
    responses((status = 200, body = Paged<BlastRecipient>)))]
async fn recipients(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<RecipientParams>,
) -> AppResult<Json<Paged<BlastRecipient>>> {
    let page = store::Page::new(p.page, p.per_page);
    Ok(Json(blasts::recipients_page(&state, caller.actor, id, p.status, page).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CsvParams {
    /// Only recipients in this status.
    status: Option<RecipientStatus>,
}

/// A blast's recipients as CSV
///
/// `phone,status,reason,outlet_id,contact_id,message_id,updated_at`, streamed.
#[utoipa::path(get, path = "/api/blasts/{id}/recipients.csv", tag = "blasts", operation_id = "exportBlastRecipients",
    params(("id" = i64, Path, description = "The blast's id"), CsvParams),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String)))]
async fn recipients_csv(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<CsvParams>,
) -> AppResult<Response> {
    Ok(super::csv_download::csv_download(blasts::export(&state, caller.actor, id, p.status).await?))
}

/// List recurring blasts
///
/// The caller's schedules (staff: every tenant's), newest first, with their next run.
#[utoipa::path(get, path = "/api/blasts/schedules", tag = "blasts", operation_id = "listBlastSchedules",
    params(crate::http::api::PageParams), responses((status = 200, body = Paged<BlastSchedule>)))]
async fn schedules(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<crate::http::api::PageParams>,
) -> AppResult<Json<Paged<BlastSchedule>>> {
    Ok(Json(blasts::schedules(&state, caller.actor, p.page()).await?))
}

/// Stop a recurring blast
///
/// No further runs; the runs made so far stay.
#[utoipa::path(post, path = "/api/blasts/schedules/{id}/stop", tag = "blasts", operation_id = "stopBlastSchedule",
    params(("id" = i64, Path, description = "The schedule's id")), responses((status = 200, body = BlastSchedule)))]
async fn stop_schedule(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<BlastSchedule>> {
    Ok(Json(blasts::stop_schedule(&state, caller.actor, id).await?))
}
