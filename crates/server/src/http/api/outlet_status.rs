//! `GET /api/outlets/status`: see `app::services::outlet_status`.

use crate::http::error::AppResult;
use crate::http::extract::{ApiQuery, Caller};
use app::services::outlet_status::{self, Health, Order, SortBy, StatusQuery, StatusReport};
use app::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/outlets/status", get(status))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    q: Option<String>,
    health: Option<Health>,
    #[serde(default)]
    sort: SortBy,
    #[serde(default)]
    order: Order,
    page: Option<u32>,
    per_page: Option<u32>,
}

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
