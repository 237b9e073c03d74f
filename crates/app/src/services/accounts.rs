//! Account operations shared by the API, the pages and the CLI: logging in, registering,
//! creating and changing users, changing passwords. Policy decides; the store records.

use crate::crypto::{passwords as password, tokens as token};
use crate::error::{not_found_as, ServiceError, ServiceResult};
use crate::i18n::errors::label;
use crate::i18n::Text;
use crate::state::AppState;
use domain::policy::{self, Capability, UserChange};
use domain::{
    check_password_strength, parse_time_zone, Actor, Email, Label, LanguageChoice, Plan, Role, UserId, TIME_ZONES,
};
use store::{NewUser, NewWebSession, Page, Paged, Store, User};

/// A fresh browser session: the cookie value and the CSRF token that goes with it.
pub struct SessionStart {
    pub user: User,
    pub token: String,
    pub csrf_token: String,
}

/// Where a login comes from, for rate limiting and the session record.
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

pub async fn login(state: &AppState, email: &str, password: &str, client: &ClientInfo) -> ServiceResult<SessionStart> {
    if let Err(wait) = state.limiter.begin(&client.ip, email) {
        let message = Text::new("error-too-many-logins").arg("seconds", wait);
        return Err(ServiceError::RateLimited { retry_after_secs: wait, message });
    }
    let creds = match Email::parse(email) {
        Ok(e) => state.store.user_credentials(&e).await?,
        Err(_) => None,
    };
    let (user, hash) = match creds {
        Some(c) => (Some(c.user), Some(c.password_hash)),
        None => (None, None),
    };
    let ok = password::verify(password.to_string(), hash).await;
    let user = match user {
        Some(u) if ok => u,
        // The attempt was already counted as a failure by `begin`.
        _ => return Err(ServiceError::Unauthenticated(Text::new("error-bad-login"))),
    };
    if user.disabled {
        return Err(ServiceError::Forbidden { code: "account_disabled", message: Text::new("error-account-disabled") });
    }
    state.limiter.record_success(&client.ip, email);
    start_session(state, user, client).await
}

pub async fn start_session(state: &AppState, user: User, client: &ClientInfo) -> ServiceResult<SessionStart> {
    let token = token::random_token();
    let csrf_token = token::random_token();
    let now = state.clock.now();
    let ua: String = client.user_agent.chars().take(300).collect();
    state
        .store
        .create_web_session(
            NewWebSession {
                token_hash: &token::sha256_hex(&token),
                user_id: user.id,
                csrf_token: &csrf_token,
                ip: &client.ip,
                user_agent: &ua,
                expires_at: now.plus_secs(state.config.session_ttl_secs()),
            },
            now,
        )
        .await?;
    Ok(SessionStart { user, token, csrf_token })
}

/// Input for a new account, already deserialised but not yet validated.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub plan: Plan,
}

/// Validates and creates a user. No policy check: callers decide who may call it.
pub async fn add_user(store: &Store, now: domain::Timestamp, new: NewAccount<'_>) -> ServiceResult<User> {
    let email = Email::parse(new.email).map_err(|e| ServiceError::invalid("email", e))?;
    let name =
        Label::parse_optional(new.name, 100).map_err(|e| ServiceError::invalid("name", label("field-name", e)))?;
    check_password_strength(new.password, email.as_str()).map_err(|e| ServiceError::invalid("password", &e))?;
    let hash = password::hash(new.password.to_string()).await?;
    let user = store
        .create_user(
            NewUser { email: &email, name: name.as_str(), password_hash: &hash, role: new.role, plan: new.plan },
            now,
        )
        .await?;
    Ok(user)
}

/// Self-registration: role `user` on plan `free`, logged in at once.
pub async fn register(
    state: &AppState,
    email: &str,
    name: &str,
    password: &str,
    client: &ClientInfo,
) -> ServiceResult<SessionStart> {
    if !state.config.registration_open() {
        return Err(ServiceError::forbidden("error-registration-closed"));
    }
    let new = NewAccount { email, name, password, role: Role::User, plan: Plan::Free };
    let user = add_user(&state.store, state.clock.now(), new).await?;
    start_session(state, user, client).await
}

/// An admin creating a user.
pub async fn create_user(state: &AppState, actor: Actor, new: NewAccount<'_>) -> ServiceResult<User> {
    policy::check_create_user(actor, new.role)?;
    add_user(&state.store, state.clock.now(), new).await
}

/// An admin changing a user's role, plan or disabled flag. Disabling ends their sessions.
pub async fn change_user(state: &AppState, actor: Actor, id: UserId, change: UserChange) -> ServiceResult<User> {
    policy::require(actor, Capability::ManageUsers)?;
    if change == UserChange::default() {
        return Err(ServiceError::invalid("role", "error-user-nothing-to-change"));
    }
    let target = state.store.user(id).await?.ok_or_else(|| ServiceError::not_found("error-user-not-found"))?;
    let superadmins = state.store.count_active_users_with_role(&[Role::Superadmin]).await?;
    policy::check_user_change(actor, target.as_target(), change, u64::try_from(superadmins).unwrap_or(0))?;
    let now = state.clock.now();
    let user = state.store.update_user(id, change, now).await?;
    if change.disabled == Some(true) {
        state.store.revoke_user_web_sessions(id, None, now).await?;
    }
    // Keys reach only WhatsApp features, which a monitoring user may not use: they end here,
    // so that a later promotion does not bring old keys back to life.
    if user.role == Role::Monitoring {
        let revoked = state.store.revoke_user_api_keys(id, now).await?;
        if revoked > 0 {
            tracing::info!(user = %id, keys = revoked, "API keys revoked: the user is now monitoring");
        }
    }
    Ok(user)
}

/// Changes one's own password after checking the current one; ends the user's other sessions.
pub async fn change_password(
    state: &AppState,
    actor: Actor,
    keep_session: &str,
    current: &str,
    new: &str,
) -> ServiceResult<()> {
    policy::require(actor, Capability::EditOwnProfile)?;
    let creds = state
        .store
        .user_credentials_by_id(actor.user_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("error-user-not-found"))?;
    if !password::verify(current.to_string(), Some(creds.password_hash)).await {
        return Err(ServiceError::invalid("current_password", "error-password-not-current"));
    }
    check_password_strength(new, &creds.user.email).map_err(|e| ServiceError::invalid("new_password", &e))?;
    if new == current {
        return Err(ServiceError::invalid("new_password", "error-password-unchanged"));
    }
    let hash = password::hash(new.to_string()).await?;
    let now = state.clock.now();
    state.store.set_password_hash(actor.user_id, &hash, now).await?;
    state.store.revoke_user_web_sessions(actor.user_id, Some(keep_session), now).await?;
    Ok(())
}

/// Ends one browser session (logout).
pub async fn logout(state: &AppState, session_hash: &str) -> ServiceResult<()> {
    state.store.revoke_web_session(session_hash, state.clock.now()).await?;
    Ok(())
}

/// Ends every browser session of the user.
pub async fn logout_all(state: &AppState, actor: Actor) -> ServiceResult<()> {
    state.store.revoke_user_web_sessions(actor.user_id, None, state.clock.now()).await?;
    Ok(())
}

/// The caller's own account.
pub async fn me(state: &AppState, actor: Actor) -> ServiceResult<User> {
    state.store.user(actor.user_id).await?.ok_or_else(|| ServiceError::not_found("error-user-not-found"))
}

/// The caller's own page settings: language (`auto` follows the browser) and time zone.
pub async fn update_preferences(
    state: &AppState,
    actor: Actor,
    language: Option<LanguageChoice>,
    time_zone: Option<&str>,
) -> ServiceResult<User> {
    policy::require(actor, Capability::EditOwnProfile)?;
    if language.is_none() && time_zone.is_none() {
        return Err(ServiceError::invalid("language", "error-preferences-nothing-to-change"));
    }
    let time_zone = time_zone.map(parse_time_zone).transpose().map_err(|unknown| {
        ServiceError::invalid(
            "time_zone",
            Text::new("error-time-zone").arg("zone", unknown.0).arg("zones", TIME_ZONES.join(", ")),
        )
    })?;
    let now = state.clock.now();
    state
        .store
        .update_preferences(actor.user_id, language, time_zone, now)
        .await
        .map_err(not_found_as("error-user-not-found"))
}

/// Users for an admin, searched by e-mail and name.
pub async fn list_users(
    state: &AppState,
    actor: Actor,
    search: Option<&str>,
    page: Page,
) -> ServiceResult<Paged<User>> {
    policy::require(actor, Capability::ManageUsers)?;
    Ok(state.store.list_users(search, page).await?)
}

pub async fn user(state: &AppState, actor: Actor, id: UserId) -> ServiceResult<User> {
    policy::require(actor, Capability::ManageUsers)?;
    state.store.user(id).await?.ok_or_else(|| ServiceError::not_found("error-user-not-found"))
}

/// A logged-in browser session.
pub struct BrowserSession {
    pub actor: Actor,
    /// The SHA-256 of the token: what the database keeps, and what ends the session.
    pub hash: String,
    pub csrf: String,
    /// The user's page language: the language of the answers too.
    pub language: LanguageChoice,
}

/// The session behind a cookie value; "unauthenticated" once it expired or was ended.
pub async fn session(state: &AppState, token: &str) -> ServiceResult<BrowserSession> {
    let hash = token::sha256_hex(token);
    let session = state
        .store
        .active_web_session(&hash, state.clock.now())
        .await?
        .ok_or_else(|| ServiceError::Unauthenticated(Text::new("error-session-ended")))?;
    let actor = Actor { user_id: session.user_id, role: session.role };
    Ok(BrowserSession { actor, hash, csrf: session.csrf_token, language: session.language })
}
