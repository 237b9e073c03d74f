//! User administration for admins and superadmins.

use super::ListParams;
use crate::http::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use app::services::accounts::{self, NewAccount};
use app::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::policy::UserChange;
use domain::{Plan, Role, UserId};
use serde::Deserialize;
use store::{Paged, User};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(show, change))
}

/// List users
///
/// Every account; `q` searches e-mail and name. Admins and superadmins only.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin", operation_id = "listUsers", params(ListParams),
    responses((status = 200, body = Paged<User>)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<User>>> {
    Ok(Json(accounts::list_users(&state, caller.actor, params.q.as_deref(), params.page()).await?))
}

/// Show a user
#[utoipa::path(get, path = "/api/admin/users/{id}", tag = "admin", operation_id = "getUser",
    params(("id" = i64, Path, description = "The user's id")),
    responses((status = 200, body = User)))]
async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<User>> {
    Ok(Json(accounts::user(&state, caller.actor, UserId(id)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUser {
    email: String,
    /// At least 10 characters (at most 256), not a common password.
    #[schema(min_length = 10, max_length = 256)]
    password: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    name: String,
    /// Only a superadmin may create admins and superadmins.
    role: Role,
    /// `free` when omitted.
    #[serde(default = "default_plan")]
    plan: Plan,
}

fn default_plan() -> Plan {
    Plan::Free
}

/// Create a user
#[utoipa::path(post, path = "/api/admin/users", tag = "admin", operation_id = "createUser",
    request_body = NewUser,
    responses((status = 201, body = User)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<User>)> {
    let new =
        NewAccount { email: &body.email, name: &body.name, password: &body.password, role: body.role, plan: body.plan };
    let user = accounts::create_user(&state, caller.actor, new).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// At least one field. Changing staff (admins, superadmins) needs a superadmin; the last active
/// superadmin cannot be demoted or disabled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UserChanges {
    role: Option<Role>,
    plan: Option<Plan>,
    disabled: Option<bool>,
}

/// Change a user's role, plan or disabled flag
///
/// Disabling a user ends their sessions and stops their API keys.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin", operation_id = "changeUser",
    params(("id" = i64, Path, description = "The user's id")), request_body = UserChanges,
    responses((status = 200, body = User)))]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UserChanges>,
) -> AppResult<Json<User>> {
    let change = UserChange { role: body.role, plan: body.plan, disabled: body.disabled };
    Ok(Json(accounts::change_user(&state, caller.actor, UserId(id), change).await?))
}
