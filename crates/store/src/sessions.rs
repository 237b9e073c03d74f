use crate::StoreError;
use crate::{on_db, Result, Store};
use domain::{LanguageChoice, Role, Timestamp, UserId};

/// A browser login. The cookie holds a random token; only its SHA-256 is stored, so a
/// database dump cannot be replayed as a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id: i64,
    pub user_id: UserId,
    /// The user's role now, not at login: a demotion takes effect on the next request.
    pub role: Role,
    /// The user's page language, for the answers to this session's requests.
    pub language: LanguageChoice,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub struct NewWebSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub csrf_token: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub expires_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    role: String,
    language: String,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

impl TryFrom<SessionRow> for WebSession {
    type Error = StoreError;
    fn try_from(r: SessionRow) -> Result<Self> {
        Ok(WebSession {
            id: r.id,
            user_id: UserId(r.user_id),
            role: r.role.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            language: r.language.parse().map_err(|e: domain::UnknownValue| StoreError::Corrupt(e.to_string()))?,
            csrf_token: r.csrf_token,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
        })
    }
}

impl Store {
    pub async fn create_web_session(&self, new: NewWebSession<'_>, now: Timestamp) -> Result<()> {
        on_db!(self, write, pool => sqlx::query(
            "INSERT INTO web_sessions (token_hash, user_id, csrf_token, ip, user_agent, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(new.token_hash)
            .bind(new.user_id.0)
            .bind(new.csrf_token)
            .bind(new.ip)
            .bind(new.user_agent)
            .bind(now.millis())
            .bind(new.expires_at.millis())
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The session for a token if it is neither expired nor revoked and its user is enabled.
    pub async fn active_web_session(&self, token_hash: &str, now: Timestamp) -> Result<Option<WebSession>> {
        let row: Option<SessionRow> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT s.id, s.user_id, u.role, u.language, s.csrf_token, s.created_at, s.expires_at
             FROM web_sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2
               AND u.disabled = FALSE")
            .bind(token_hash)
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        row.map(WebSession::try_from).transpose()
    }

    pub async fn revoke_web_session(&self, token_hash: &str, now: Timestamp) -> Result<bool> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE web_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .bind(now.millis())
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// Revokes every session of `user`, except the one with `keep` (the caller's own) if given.
    pub async fn revoke_user_web_sessions(&self, user: UserId, keep: Option<&str>, now: Timestamp) -> Result<u64> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE web_sessions SET revoked_at = $2
             WHERE user_id = $1 AND revoked_at IS NULL AND ($3 IS NULL OR token_hash <> $3)")
            .bind(user.0)
            .bind(now.millis())
            .bind(keep)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(done)
    }

    /// Deletes sessions that expired or were revoked before `before`; returns how many.
    pub async fn purge_web_sessions(&self, before: Timestamp) -> Result<u64> {
        let done = on_db!(self, write, pool => sqlx::query(
            "DELETE FROM web_sessions WHERE expires_at < $1 OR revoked_at < $1")
            .bind(before.millis())
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(done)
    }
}
