//! `/api/templates`: see `app::services::templates`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::templates::{self, Preview, TemplateChanges as Changes, TemplateInput};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::{CaptionMode, TemplateCategory};
use serde::Deserialize;
use store::{MessageTemplate, Paged, TemplateFilter};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, update, remove)).routes(routes!(preview))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Searches name and message.
    q: Option<String>,
    /// Only the templates of this category.
    category: Option<TemplateCategory>,
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 25 by default, at most 200.
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// List templates
///
/// The caller's templates (staff: every tenant's), by name.
#[utoipa::path(get, path = "/api/templates", tag = "templates", operation_id = "listTemplates", params(ListParams),
    responses((status = 200, body = Paged<MessageTemplate>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<MessageTemplate>>> {
    let filter = TemplateFilter { search: p.q.as_deref(), category: p.category };
    Ok(Json(templates::list(&state, caller.actor, filter, store::Page::new(p.page, p.per_page)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTemplate {
    #[schema(example = "Pesanan siap", max_length = 100)]
    name: String,
    #[serde(default = "other")]
    category: TemplateCategory,
    /// `{{name}}`, `{{phone}}`, `{{date}}`, `{{outlet}}` and the custom fields of the caller's
    /// contacts; `{a|b|c}` picks one alternative per recipient. An unknown or malformed variable
    /// is refused (422, field `body`) with its line and column.
    #[schema(example = "{Halo|Hai} {{name}}, pesanan Anda siap di {{outlet}}.", max_length = 4096)]
    body: String,
    #[serde(default)]
    caption_mode: CaptionMode,
}

fn other() -> TemplateCategory {
    TemplateCategory::Other
}

/// Create a template
///
/// Names are unique per owner (409 for a second one).
#[utoipa::path(post, path = "/api/templates", tag = "templates", operation_id = "createTemplate",
    request_body = NewTemplate, responses((status = 201, body = MessageTemplate)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewTemplate>,
) -> AppResult<(StatusCode, Json<MessageTemplate>)> {
    let input =
        TemplateInput { name: &body.name, category: body.category, body: &body.body, caption_mode: body.caption_mode };
    Ok((StatusCode::CREATED, Json(templates::create(&state, caller.actor, input).await?)))
}

/// Show a template
#[utoipa::path(get, path = "/api/templates/{id}", tag = "templates", operation_id = "getTemplate",
    params(("id" = i64, Path, description = "The template's id")), responses((status = 200, body = MessageTemplate)))]
async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<MessageTemplate>> {
    Ok(Json(templates::show(&state, caller.actor, id).await?))
}

/// What to change; a field left out stays as it is.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplateChanges {
    #[schema(max_length = 100)]
    name: Option<String>,
    category: Option<TemplateCategory>,
    #[schema(max_length = 4096)]
    body: Option<String>,
    caption_mode: Option<CaptionMode>,
}

/// Change a template
///
/// A new body is checked like a new template's.
#[utoipa::path(patch, path = "/api/templates/{id}", tag = "templates", operation_id = "updateTemplate",
    params(("id" = i64, Path, description = "The template's id")), request_body = TemplateChanges,
    responses((status = 200, body = MessageTemplate)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TemplateChanges>,
) -> AppResult<Json<MessageTemplate>> {
    let changes = Changes {
        name: body.name.as_deref(),
        category: body.category,
        body: body.body.as_deref(),
        caption_mode: body.caption_mode,
    };
    Ok(Json(templates::update(&state, caller.actor, id, changes).await?))
}

/// Delete a template
///
/// Messages already sent from it stay as they are.
#[utoipa::path(delete, path = "/api/templates/{id}", tag = "templates", operation_id = "deleteTemplate",
    params(("id" = i64, Path, description = "The template's id")), responses((status = 204, description = "Deleted")))]
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    templates::delete(&state, caller.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A body to try out, saved or not.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct TemplatePreviewRequest {
    #[schema(example = "{Halo|Hai} {{name}}, sampai jumpa di {{outlet}}.")]
    body: String,
    /// One of the caller's contacts; without it, sample values.
    contact_id: Option<i64>,
}

/// Preview a template
///
/// Renders a body for one of the caller's contacts (name, phone, today's date in the owner's
/// time zone, the contact's home outlet and custom fields), or with sample values. The choices
/// `{a|b}` always fall the same way in a preview (a fixed seed); a sent message picks by the
/// recipient's number. A body that could not be saved is refused the same way here.
#[utoipa::path(post, path = "/api/templates/preview", tag = "templates", operation_id = "previewTemplate",
    request_body = TemplatePreviewRequest, responses((status = 200, body = Preview)))]
async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<TemplatePreviewRequest>,
) -> AppResult<Json<Preview>> {
    Ok(Json(templates::preview(&state, caller.actor, &body.body, body.contact_id).await?))
}
