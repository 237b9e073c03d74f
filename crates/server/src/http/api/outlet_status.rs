//! `GET /api/outlets/status`: see `app::services::outlet_status`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiQuery, Caller};
use app::services::outlet_status::{self, Health, Order, SortBy, StatusQuery, StatusReport};
use app::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(status))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Params {
    /// Searches name, city, number and owner.
    q: Option<String>,
    health: Option<Health>,
    #[serde(default)]
    sort: SortBy,
    #[serde(default)]
    order: Order,
    #[param(minimum = 1)]
    page: Option<u32>,
    /// 25 by default, at most 200.
    #[param(minimum = 1)]
    per_page: Option<u32>,
}

/// Outlet connection status
///
/// Every outlet's stored device status beside whether its socket is live right now; a
/// disagreement is fixed on the spot (live wins) and shows as `synced: false`.
#[utoipa::path(get, path = "/api/outlets/status", tag = "outlets", operation_id = "outletStatus",
    params(Params),
    responses((status = 200, body = StatusReport)))]
async fn status(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<Params>,
) -> AppResult<Json<StatusReport>> {
    let query = StatusQuery {
        search: p.q,
        health: p.health,
        sort: p.sort,
        order: p.order,
        page: store::Page::new(p.page, p.per_page),
    };
    Ok(Json(outlet_status::check(&state, caller.actor, &query).await?))
}
