//! User administration for admins and superadmins.

use super::ListParams;
use crate::http::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::accounts::{self, NewAccount};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use domain::policy::UserChange;
use domain::{Plan, Role, UserId};
use serde::Deserialize;
use store::{Paged, User};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(list).post(create))
        .route("/api/admin/users/{id}", get(show).patch(change))
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<User>>> {
    Ok(Json(accounts::list_users(&state, caller.actor, params.q.as_deref(), params.page()).await?))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<User>> {
    Ok(Json(accounts::user(&state, caller.actor, UserId(id)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    email: String,
    password: String,
    #[serde(default)]
    name: String,
    role: Role,
    #[serde(default = "default_plan")]
    plan: Plan,
}

fn default_plan() -> Plan {
    Plan::Free
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> AppResult<(StatusCode, Json<User>)> {
    let new =
        NewAccount { email: &body.email, name: &body.name, password: &body.password, role: body.role, plan: body.plan };
    let user = accounts::create_user(&state, caller.actor, new).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    role: Option<Role>,
    plan: Option<Plan>,
    disabled: Option<bool>,
}

async fn change(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> AppResult<Json<User>> {
    if body.role.is_none() && body.plan.is_none() && body.disabled.is_none() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "nothing to change: send at least one of role, plan, disabled",
        ));
    }
    let change = UserChange { role: body.role, plan: body.plan, disabled: body.disabled };
    Ok(Json(accounts::change_user(&state, caller.actor, UserId(id), change).await?))
}
