//! `/api/outlets`: see `app::services::outlets`.

use super::ListParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::outlets::{self, NewOutletInput, OutletChange};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use domain::{OutletId, UserId};
use serde::Deserialize;
use store::{Outlet, Paged};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/outlets", get(list).post(create))
        .route("/api/outlets/{id}", get(show).patch(update).delete(remove))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Outlet>>> {
    Ok(Json(outlets::list(&state, caller.actor, params.q.as_deref(), params.page()).await?))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Outlet>> {
    Ok(Json(outlets::show(&state, caller.actor, OutletId(id)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    #[serde(default)]
    city: String,
    wa_number: String,
    /// Staff may create an outlet for another user; users always own what they create.
    owner_id: Option<i64>,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<Outlet>)> {
    let input = NewOutletInput {
        name: &body.name,
        city: &body.city,
        wa_number: &body.wa_number,
        owner_id: body.owner_id.map(UserId),
    };
    Ok((StatusCode::CREATED, Json(outlets::create(&state, caller.actor, input).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    city: Option<String>,
    wa_number: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> AppResult<Json<Outlet>> {
    let change =
        OutletChange { name: body.name.as_deref(), city: body.city.as_deref(), wa_number: body.wa_number.as_deref() };
    Ok(Json(outlets::update(&state, caller.actor, OutletId(id), change).await?))
}

async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    outlets::delete(&state, caller.actor, OutletId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
