//! Message templates, per owner: a name unique to the owner, a category, a body checked by
//! `domain::Template::parse` before it gets here, and how often messages used it.

use crate::error::Taken;
use crate::paging::contains_pattern;
use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{CaptionMode, Scope, TemplateCategory, Timestamp, UserId};
use serde::Serialize;

/// A saved template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MessageTemplate {
    pub id: i64,
    pub owner_id: UserId,
    pub name: String,
    pub category: TemplateCategory,
    /// Text with `{{variables}}` and `{a|b}` spintax.
    #[schema(example = "{Halo|Hai} {{name}}, pesanan Anda siap di {{outlet}}.")]
    pub body: String,
    /// How media would go with the text (media itself is not stored yet).
    pub caption_mode: CaptionMode,
    /// How many accepted messages were written from this template.
    pub usage_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

pub struct NewTemplate<'a> {
    pub owner: UserId,
    pub name: &'a str,
    pub category: TemplateCategory,
    pub body: &'a str,
    pub caption_mode: CaptionMode,
}

/// What an update changes; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct TemplatePatch<'a> {
    pub name: Option<&'a str>,
    pub category: Option<TemplateCategory>,
    pub body: Option<&'a str>,
    pub caption_mode: Option<CaptionMode>,
}

/// Which templates a list shows.
#[derive(Debug, Clone, Default)]
pub struct TemplateFilter<'a> {
    /// In the name or the body.
    pub search: Option<&'a str>,
    pub category: Option<TemplateCategory>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    owner_id: i64,
    name: String,
    category: String,
    body: String,
    caption_mode: String,
    usage_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for MessageTemplate {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<MessageTemplate> {
        let category = r.category.parse().map_err(|e| StoreError::Corrupt(format!("template category: {e}")))?;
        let caption_mode =
            r.caption_mode.parse().map_err(|e| StoreError::Corrupt(format!("template caption mode: {e}")))?;
        Ok(MessageTemplate {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            category,
            body: r.body,
            caption_mode,
            usage_count: r.usage_count,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, owner_id, name, category, body, caption_mode, usage_count, created_at, updated_at";

impl Store {
    /// `Conflict(TemplateName)` when the owner already has a template with this name.
    pub async fn create_template(&self, new: NewTemplate<'_>, now: Timestamp) -> Result<MessageTemplate> {
        let sql = format!(
            "INSERT INTO templates (owner_id, name, category, body, caption_mode, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(new.owner.0)
            .bind(new.name)
            .bind(new.category.as_str())
            .bind(new.body)
            .bind(new.caption_mode.as_str())
            .bind(now.millis())
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from(e).conflict_as(Taken::TemplateName))?;
        row.try_into()
    }

    pub async fn template(&self, scope: Scope, id: i64) -> Result<Option<MessageTemplate>> {
        let sql = format!("SELECT {COLUMNS} FROM templates WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> = on_db!(self, read, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        row.map(MessageTemplate::try_from).transpose()
    }

    /// Templates in `scope` matching `filter`, by name.
    pub async fn list_templates(
        &self,
        scope: Scope,
        filter: TemplateFilter<'_>,
        page: Page,
    ) -> Result<Paged<MessageTemplate>> {
        let pattern = contains_pattern(filter.search);
        let matching = "($1 IS NULL OR owner_id = $1)
            AND ($2 IS NULL OR lower(name) LIKE $2 ESCAPE '\\' OR lower(body) LIKE $2 ESCAPE '\\')
            AND ($3 IS NULL OR category = $3)";
        let list =
            format!("SELECT {COLUMNS} FROM templates WHERE {matching} ORDER BY lower(name), id LIMIT $4 OFFSET $5");
        let count = format!("SELECT COUNT(*) FROM templates WHERE {matching}");
        let owner = scope.owner().map(|u| u.0);
        let category = filter.category.map(TemplateCategory::as_str);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&list)
                .bind(owner)
                .bind(pattern.as_deref())
                .bind(category)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count)
                .bind(owner)
                .bind(pattern.as_deref())
                .bind(category)
                .fetch_one(pool)
                .await?;
            (rows, total)
        });
        let items = rows.into_iter().map(MessageTemplate::try_from).collect::<Result<Vec<_>>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// `NotFound` outside `scope`; `Conflict(TemplateName)` for a name the owner already uses.
    pub async fn update_template(
        &self,
        scope: Scope,
        id: i64,
        patch: TemplatePatch<'_>,
        now: Timestamp,
    ) -> Result<MessageTemplate> {
        let sql = format!(
            "UPDATE templates SET name = COALESCE($3, name), category = COALESCE($4, category),
                 body = COALESCE($5, body), caption_mode = COALESCE($6, caption_mode), updated_at = $7
             WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .bind(patch.name)
            .bind(patch.category.map(TemplateCategory::as_str))
            .bind(patch.body)
            .bind(patch.caption_mode.map(CaptionMode::as_str))
            .bind(now.millis())
            .fetch_optional(pool)
            .await)
        .map_err(|e| StoreError::from(e).conflict_as(Taken::TemplateName))?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// `NotFound` for a missing template or one outside `scope`.
    pub async fn delete_template(&self, scope: Scope, id: i64) -> Result<()> {
        let done = on_db!(self, write, pool => sqlx::query(
            "DELETE FROM templates WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        crate::error::touched(done)
    }

    /// One more message was written from the template (nothing when it was deleted meanwhile).
    pub async fn count_template_use(&self, id: i64) -> Result<()> {
        on_db!(self, write, pool => sqlx::query("UPDATE templates SET usage_count = usage_count + 1 WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::testing::TestDb;
    use crate::{NewUser, StoreOptions};
    use domain::policy::{system_scope, whatsapp_scope};
    use domain::{Actor, Email, Plan, Role};

    async fn user(store: &Store, email: &str) -> UserId {
        let email = Email::parse(email).unwrap();
        let new = NewUser { email: &email, name: "", password_hash: "h", role: Role::User, plan: Plan::Free };
        store.create_user(new, Timestamp(0)).await.unwrap().id
    }

    fn scope(user_id: UserId) -> Scope {
        whatsapp_scope(Actor { user_id, role: Role::User }).unwrap()
    }

    async fn check(db: &TestDb) {
        let store = Store::open(&db.url, &StoreOptions::default()).await.unwrap();
        let now = Timestamp(1_000);
        let (ana, bob) = (user(&store, "ana@tpl.id").await, user(&store, "bob@tpl.id").await);
        let new = |owner, name| NewTemplate {
            owner,
            name,
            category: TemplateCategory::Greeting,
            body: "Halo {{name}}",
            caption_mode: CaptionMode::Caption,
        };
        let t = store.create_template(new(ana, "Sapa"), now).await.unwrap();
        assert!(matches!(
            store.create_template(new(ana, "Sapa"), now).await,
            Err(StoreError::Conflict(Taken::TemplateName))
        ));
        let other = store.create_template(new(ana, "Lain"), now).await.unwrap();
        store.create_template(new(bob, "Sapa"), now).await.expect("names are per owner");
        assert!(store.template(scope(bob), t.id).await.unwrap().is_none());
        let nothing = TemplatePatch::default();
        assert!(matches!(store.update_template(scope(bob), t.id, nothing, now).await, Err(StoreError::NotFound)));
        let taken = TemplatePatch { name: Some("Sapa"), ..Default::default() };
        assert!(matches!(
            store.update_template(scope(ana), other.id, taken, now).await,
            Err(StoreError::Conflict(Taken::TemplateName))
        ));
        let patch = TemplatePatch {
            body: Some("Promo {{name}}"),
            category: Some(TemplateCategory::Marketing),
            ..Default::default()
        };
        let changed = store.update_template(scope(ana), t.id, patch, Timestamp(2_000)).await.unwrap();
        assert_eq!(
            (changed.body.as_str(), changed.category, changed.name.as_str(), changed.updated_at),
            ("Promo {{name}}", TemplateCategory::Marketing, "Sapa", Timestamp(2_000))
        );
        let search = TemplateFilter { search: Some("PROMO"), category: None };
        assert_eq!(store.list_templates(scope(ana), search, Page::default()).await.unwrap().total, 1);
        let reminders = TemplateFilter { search: None, category: Some(TemplateCategory::Reminder) };
        assert_eq!(store.list_templates(scope(ana), reminders, Page::default()).await.unwrap().total, 0);
        let everyone = store.list_templates(system_scope(), TemplateFilter::default(), Page::default()).await.unwrap();
        assert_eq!(everyone.total, 3);
        store.count_template_use(t.id).await.unwrap();
        store.count_template_use(t.id).await.unwrap();
        assert_eq!(store.template(scope(ana), t.id).await.unwrap().map(|t| t.usage_count), Some(2));
        assert!(matches!(store.delete_template(scope(bob), t.id).await, Err(StoreError::NotFound)));
        store.delete_template(scope(ana), t.id).await.unwrap();
        assert!(store.template(scope(ana), t.id).await.unwrap().is_none());
        store.close().await;
    }

    crate::both_backends! {
        async fn templates_are_kept_per_owner(db) {
            check(db).await;
        }
    }
}
