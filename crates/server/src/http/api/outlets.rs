//! `/api/outlets`: a user manages their own outlets, staff all of them, monitoring none.
//! Another tenant's outlet answers 404, exactly like one that does not exist.

use super::ListParams;
use crate::app::AppState;
use crate::http::error::{not_found_as, phone, AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use domain::policy::{whatsapp_scope, Scope};
use domain::{Label, OutletId, PhoneNumber, UserId};
use serde::Deserialize;
use store::{NewOutlet, Outlet, OutletPatch, Paged};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/outlets", get(list).post(create))
        .route("/api/outlets/{id}", get(show).patch(update).delete(remove))
}

const NAME_MAX: usize = 100;

fn name(input: &str) -> AppResult<Label> {
    Label::parse("outlet name", input, NAME_MAX).map_err(|m| AppError::invalid("name", m))
}

fn city(input: &str) -> AppResult<Label> {
    Label::parse_optional("city", input, NAME_MAX).map_err(|m| AppError::invalid("city", m))
}

fn number(input: &str) -> AppResult<PhoneNumber> {
    phone("wa_number", input)
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Paged<Outlet>>> {
    let scope = whatsapp_scope(caller.actor)?;
    Ok(Json(state.store.list_outlets(scope, params.q.as_deref(), params.page()).await?))
}

async fn show(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<Json<Outlet>> {
    let scope = whatsapp_scope(caller.actor)?;
    let outlet = state.store.outlet(scope, OutletId(id)).await?.ok_or_else(|| AppError::not_found("outlet"))?;
    Ok(Json(outlet))
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
    let scope = whatsapp_scope(caller.actor)?;
    let (name, city, wa_number) = (name(&body.name)?, city(&body.city)?, number(&body.wa_number)?);
    let owner = match (scope, body.owner_id) {
        (Scope::All, Some(id)) => {
            let owner = state.store.user(UserId(id)).await?;
            owner.ok_or_else(|| AppError::invalid("owner_id", "no user has this id"))?.id
        }
        (Scope::Owner(_), Some(id)) if id != caller.actor.user_id.0 => {
            return Err(AppError::forbidden("only admins may create outlets for another user"))
        }
        _ => caller.actor.user_id,
    };
    let new = NewOutlet { owner, name: &name, city: &city, wa_number: &wa_number };
    let outlet = state.store.create_outlet(new, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(outlet)))
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
    let scope = whatsapp_scope(caller.actor)?;
    let name = body.name.as_deref().map(name).transpose()?;
    let city = body.city.as_deref().map(city).transpose()?;
    let wa_number = body.wa_number.as_deref().map(number).transpose()?;
    if let Some(new) = &wa_number {
        // A paired device belongs to the old number; its session would keep checking pairings
        // against it. Unlink first, then renumber.
        if let Some(d) = state.store.device_of_outlet(scope, OutletId(id)).await? {
            if d.paired_account.is_some() && d.wa_number != new.as_str() {
                return Err(AppError::conflict(
                    "this outlet's device is paired with its current number; log the device out before changing the number",
                ));
            }
        }
    }
    let patch = OutletPatch { name: name.as_ref(), city: city.as_ref(), wa_number: wa_number.as_ref() };
    let outlet = state
        .store
        .update_outlet(scope, OutletId(id), patch, state.clock.now())
        .await
        .map_err(not_found_as("outlet"))?;
    Ok(Json(outlet))
}

/// Deletes the outlet; its device's session is stopped and its keys wiped first.
async fn remove(State(state): State<AppState>, caller: Caller, ApiPath(id): ApiPath<i64>) -> AppResult<StatusCode> {
    let scope = whatsapp_scope(caller.actor)?;
    if let Some(device) = state.store.device_of_outlet(scope, OutletId(id)).await? {
        state.sessions.remove(device.id, device.engine).await;
    }
    state.store.delete_outlet(scope, OutletId(id)).await.map_err(not_found_as("outlet"))?;
    Ok(StatusCode::NO_CONTENT)
}
