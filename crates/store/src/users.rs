use crate::paging::contains_pattern;
use crate::{on_db, Page, Paged, Refusal, Result, Store, StoreError, Taken};
use domain::policy::{removes_superadmin, UserChange, UserTarget};
use domain::{Email, LanguageChoice, Plan, Role, Timestamp, UserId};
use serde::Serialize;

/// A user as every layer above the store sees it. The password hash stays in here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub plan: Plan,
    pub disabled: bool,
    /// The pages' language; `auto` follows the browser.
    pub language: LanguageChoice,
    /// Where the pages show times: an IANA name such as `Asia/Jakarta`.
    pub time_zone: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    pub fn as_target(&self) -> UserTarget {
        UserTarget { id: self.id, role: self.role, disabled: self.disabled }
    }
}

/// What login needs: the user and their password hash.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub plan: Plan,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    name: String,
    password_hash: String,
    role: String,
    plan: String,
    disabled: bool,
    language: String,
    time_zone: String,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    fn into_credentials(self) -> Result<UserCredentials> {
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        Ok(UserCredentials {
            user: User {
                id: UserId(self.id),
                email: self.email,
                name: self.name,
                role: self.role.parse().map_err(corrupt)?,
                plan: self.plan.parse().map_err(corrupt)?,
                disabled: self.disabled,
                language: self.language.parse().map_err(corrupt)?,
                time_zone: self.time_zone,
                created_at: Timestamp(self.created_at),
                updated_at: Timestamp(self.updated_at),
            },
            password_hash: self.password_hash,
        })
    }

    fn into_user(self) -> Result<User> {
        Ok(self.into_credentials()?.user)
    }
}

const COLUMNS: &str =
    "id, email, name, password_hash, role, plan, disabled, language, time_zone, created_at, updated_at";

impl Store {
    /// Creates a user; `Conflict` when the e-mail is taken.
    pub async fn create_user(&self, new: NewUser<'_>, now: Timestamp) -> Result<User> {
        let sql = format!(
            "INSERT INTO users (email, name, password_hash, role, plan, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, FALSE, $6, $6) RETURNING {COLUMNS}"
        );
        let row: UserRow = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(new.email.as_str())
            .bind(new.name)
            .bind(new.password_hash)
            .bind(new.role.as_str())
            .bind(new.plan.as_str())
            .bind(now.millis())
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from(e).conflict_as(Taken::Email))?;
        row.into_user()
    }

    pub async fn user_credentials(&self, email: &Email) -> Result<Option<UserCredentials>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(email.as_str())
            .fetch_optional(pool)
            .await)?;
        row.map(UserRow::into_credentials).transpose()
    }

    pub async fn user_credentials_by_id(&self, id: UserId) -> Result<Option<UserCredentials>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await)?;
        row.map(UserRow::into_credentials).transpose()
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>> {
        Ok(self.user_credentials_by_id(id).await?.map(|c| c.user))
    }

    /// Users whose e-mail or name contains `search`, newest first.
    pub async fn list_users(&self, search: Option<&str>, page: Page) -> Result<Paged<User>> {
        let pattern = contains_pattern(search);
        let filter = "($1 IS NULL OR lower(email) LIKE $1 ESCAPE '\\' OR lower(name) LIKE $1 ESCAPE '\\')";
        let list = format!("SELECT {COLUMNS} FROM users WHERE {filter} ORDER BY id DESC LIMIT $2 OFFSET $3");
        let count = format!("SELECT COUNT(*) FROM users WHERE {filter}");
        let (rows, total): (Vec<UserRow>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list)
                .bind(pattern.as_deref())
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count).bind(pattern.as_deref()).fetch_one(pool).await?;
            (rows, total)
        });
        let items = rows.into_iter().map(UserRow::into_user).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Enabled users holding any of `roles`.
    pub async fn count_active_users_with_role(&self, roles: &[Role]) -> Result<i64> {
        if roles.is_empty() {
            return Ok(0);
        }
        let params: Vec<String> = (1..=roles.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT COUNT(*) FROM users WHERE disabled = FALSE AND role IN ({})", params.join(", "));
        Ok(on_db!(self, read, pool => {
            let mut q = sqlx::query_scalar(&sql);
            for role in roles {
                q = q.bind(role.as_str());
            }
            q.fetch_one(pool).await
        })?)
    }

    /// Applies a role/plan/disabled change. The last-superadmin rule is re-checked inside the
    /// transaction so two concurrent demotions cannot both succeed.
    pub async fn update_user(&self, id: UserId, change: UserChange, now: Timestamp) -> Result<User> {
        let select = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let update = format!(
            "UPDATE users SET role = COALESCE($2, role), plan = COALESCE($3, plan),
                 disabled = COALESCE($4, disabled), updated_at = $5
             WHERE id = $1 RETURNING {COLUMNS}"
        );
        let is_pg = self.backend() == crate::Backend::Postgres;
        let lock = if is_pg { " FOR UPDATE" } else { "" };
        let count = format!("SELECT id FROM users WHERE role = 'superadmin' AND disabled = FALSE{lock}");
        let row: UserRow = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<UserRow> = sqlx::query_as(&select).bind(id.0).fetch_optional(&mut *tx).await?;
            let current = current.ok_or(StoreError::NotFound)?.into_user()?;
            if removes_superadmin(current.as_target(), change) {
                let active: Vec<i64> = sqlx::query_scalar(&count).fetch_all(&mut *tx).await?;
                if active.len() <= 1 {
                    return Err(StoreError::Refused(Refusal::LastSuperadmin));
                }
            }
            if change.plan.is_some() {
                // An admin's plan has no paid period to run out: it holds until changed. (The
                // subscription before the user: the order payments and the expiry sweep lock in.)
                sqlx::query("DELETE FROM subscriptions WHERE user_id = $1").bind(id.0).execute(&mut *tx).await?;
            }
            let row = sqlx::query_as(&update)
                .bind(id.0)
                .bind(change.role.map(Role::as_str))
                .bind(change.plan.map(Plan::as_str))
                .bind(change.disabled)
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        row.into_user()
    }

    /// Changes the user's own page settings; `None` leaves a setting as it is.
    pub async fn update_preferences(
        &self,
        id: UserId,
        language: Option<LanguageChoice>,
        time_zone: Option<&str>,
        now: Timestamp,
    ) -> Result<User> {
        let sql = format!(
            "UPDATE users SET language = COALESCE($2, language), time_zone = COALESCE($3, time_zone), updated_at = $4
             WHERE id = $1 RETURNING {COLUMNS}"
        );
        let row: Option<UserRow> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id.0)
            .bind(language.map(LanguageChoice::as_str))
            .bind(time_zone)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        row.ok_or(StoreError::NotFound)?.into_user()
    }

    pub async fn set_password_hash(&self, id: UserId, hash: &str, now: Timestamp) -> Result<()> {
        let done = on_db!(self, write, pool => sqlx::query(
            "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(hash)
            .bind(now.millis())
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        crate::error::touched(done)
    }
}
