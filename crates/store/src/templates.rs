//! Message templates, per owner: a name unique to the owner, a category, a body checked by
//! `domain::Template::parse` before it gets here, how often messages used it, and optionally an
//! image or document (`template_media`, one per template) that goes with its text.

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
    /// How the media goes with the text: as its caption, or as a message of its own just before.
    pub caption_mode: CaptionMode,
    /// The image or document sent with the text, if any (its bytes: `GET /api/templates/{id}/media`).
    pub media: Option<TemplateMedia>,
    /// How many accepted messages were written from this template.
    pub usage_count: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a template's image or document is (never its bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TemplateMedia {
    /// `image` or `document`.
    #[schema(example = "image")]
    pub kind: String,
    #[schema(example = "image/jpeg")]
    pub mime: String,
    #[schema(example = "promo.jpg")]
    pub file_name: String,
    /// Bytes.
    pub size: i64,
}

/// An image or document to attach to a template (checked by the caller).
pub struct NewTemplateMedia<'a> {
    /// `image` or `document`.
    pub kind: &'a str,
    pub mime: &'a str,
    pub file_name: &'a str,
    pub data: &'a [u8],
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
    media_kind: Option<String>,
    media_mime: Option<String>,
    media_name: Option<String>,
    media_size: Option<i64>,
}

impl TryFrom<Row> for MessageTemplate {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<MessageTemplate> {
        let category = r.category.parse().map_err(|e| StoreError::Corrupt(format!("template category: {e}")))?;
        let caption_mode =
            r.caption_mode.parse().map_err(|e| StoreError::Corrupt(format!("template caption mode: {e}")))?;
        let media = match (r.media_kind, r.media_mime, r.media_name, r.media_size) {
            (Some(kind), Some(mime), Some(file_name), Some(size)) => {
                Some(TemplateMedia { kind, mime, file_name, size })
            }
            _ => None,
        };
        Ok(MessageTemplate {
            id: r.id,
            owner_id: UserId(r.owner_id),
            name: r.name,
            category,
            body: r.body,
            caption_mode,
            media,
            usage_count: r.usage_count,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

/// With the media's description from `template_media` (subqueries, so that `RETURNING` can use
/// them too; at most one row each, by primary key).
const COLUMNS: &str = "id, owner_id, name, category, body, caption_mode, usage_count, created_at, updated_at,
    (SELECT kind FROM template_media m WHERE m.template_id = templates.id) AS media_kind,
    (SELECT mime FROM template_media m WHERE m.template_id = templates.id) AS media_mime,
    (SELECT file_name FROM template_media m WHERE m.template_id = templates.id) AS media_name,
    (SELECT size FROM template_media m WHERE m.template_id = templates.id) AS media_size";

impl Store {
    /// `Conflict(TemplateName)` when the owner already has a template with this name.
    pub async fn create_template(&self, new: NewTemplate<'_>, now: Timestamp) -> Result<MessageTemplate> {
        let sql = format!(
            "INSERT INTO templates (owner_id, name, category, body, caption_mode, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
        );
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            crate::billing::within_limit!(self, tx, new.owner, domain::Limit::Templates, 1, now);
            let row = sqlx::query_as(&sql)
                .bind(new.owner.0)
                .bind(new.name)
                .bind(new.category.as_str())
                .bind(new.body)
                .bind(new.caption_mode.as_str())
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::from(e).conflict_as(Taken::TemplateName))?;
            tx.commit().await?;
            row
        });
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

    /// Attaches an image or document to the template, replacing the one it had. `NotFound`
    /// outside `scope`.
    pub async fn put_template_media(
        &self,
        scope: Scope,
        id: i64,
        media: NewTemplateMedia<'_>,
        now: Timestamp,
    ) -> Result<MessageTemplate> {
        let touch = format!(
            "UPDATE templates SET updated_at = $3 WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING {COLUMNS}"
        );
        let size = i64::try_from(media.data.len()).unwrap_or(i64::MAX);
        let row: Option<Row> = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM templates WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)")
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query(
                "INSERT INTO template_media (template_id, kind, mime, file_name, size, data) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (template_id) DO UPDATE SET kind = excluded.kind, mime = excluded.mime,
                     file_name = excluded.file_name, size = excluded.size, data = excluded.data")
                .bind(id)
                .bind(media.kind)
                .bind(media.mime)
                .bind(media.file_name)
                .bind(size)
                .bind(media.data)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query_as(&touch)
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .bind(now.millis())
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// Takes the template's image or document away (nothing to take is fine). `NotFound`
    /// outside `scope`.
    pub async fn remove_template_media(&self, scope: Scope, id: i64, now: Timestamp) -> Result<MessageTemplate> {
        let touch = format!(
            "UPDATE templates SET updated_at = $3 WHERE id = $1 AND ($2 IS NULL OR owner_id = $2) RETURNING {COLUMNS}"
        );
        let select = format!("SELECT {COLUMNS} FROM templates WHERE id = $1 AND ($2 IS NULL OR owner_id = $2)");
        let row: Option<Row> = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "DELETE FROM template_media WHERE template_id = (
                     SELECT id FROM templates WHERE id = $1 AND ($2 IS NULL OR owner_id = $2))")
                .bind(id)
                .bind(scope.owner().map(|u| u.0))
                .execute(&mut *tx)
                .await?;
            // Only a removal changes the template; a second DELETE leaves its time alone.
            let row: Option<Row> = if done.rows_affected() > 0 {
                sqlx::query_as(&touch).bind(id).bind(scope.owner().map(|u| u.0)).bind(now.millis())
                    .fetch_optional(&mut *tx).await?
            } else {
                sqlx::query_as(&select).bind(id).bind(scope.owner().map(|u| u.0)).fetch_optional(&mut *tx).await?
            };
            tx.commit().await?;
            row
        });
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    /// The template's image or document with its bytes; `None` when it has none or is outside
    /// `scope`.
    pub async fn template_media(&self, scope: Scope, id: i64) -> Result<Option<(TemplateMedia, Vec<u8>)>> {
        #[derive(sqlx::FromRow)]
        struct MediaRow {
            kind: String,
            mime: String,
            file_name: String,
            size: i64,
            data: Vec<u8>,
        }
        let row: Option<MediaRow> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT m.kind, m.mime, m.file_name, m.size, m.data FROM template_media m
             JOIN templates t ON t.id = m.template_id
             WHERE m.template_id = $1 AND ($2 IS NULL OR t.owner_id = $2)")
            .bind(id)
            .bind(scope.owner().map(|u| u.0))
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|r| (TemplateMedia { kind: r.kind, mime: r.mime, file_name: r.file_name, size: r.size }, r.data)))
    }

    /// `n` more messages were written from the template (nothing when it was deleted meanwhile).
    pub async fn count_template_use(&self, id: i64, n: i64) -> Result<()> {
        on_db!(self, write, pool => sqlx::query("UPDATE templates SET usage_count = usage_count + $2 WHERE id = $1")
            .bind(id)
            .bind(n)
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
        let new = NewUser { email: &email, name: "", password_hash: "h", role: Role::User, plan: Plan::Unlimited };
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
        store.count_template_use(t.id, 1).await.unwrap();
        store.count_template_use(t.id, 1).await.unwrap();
        assert_eq!(store.template(scope(ana), t.id).await.unwrap().map(|t| t.usage_count), Some(2));
        // One image or document per template: attached, replaced, shown without its bytes, removed.
        let png = NewTemplateMedia { kind: "image", mime: "image/png", file_name: "a.png", data: b"png-bytes" };
        assert!(matches!(store.put_template_media(scope(bob), t.id, png, now).await, Err(StoreError::NotFound)));
        let png = NewTemplateMedia { kind: "image", mime: "image/png", file_name: "a.png", data: b"png-bytes" };
        let with = store.put_template_media(scope(ana), t.id, png, Timestamp(3_000)).await.unwrap();
        let shown =
            TemplateMedia { kind: "image".into(), mime: "image/png".into(), file_name: "a.png".into(), size: 9 };
        assert_eq!((with.media.as_ref(), with.updated_at), (Some(&shown), Timestamp(3_000)));
        let pdf = NewTemplateMedia { kind: "document", mime: "application/pdf", file_name: "m.pdf", data: b"%PDF" };
        store.put_template_media(scope(ana), t.id, pdf, now).await.unwrap();
        let (media, data) = store.template_media(scope(ana), t.id).await.unwrap().unwrap();
        assert_eq!((media.kind.as_str(), media.size, data.as_slice()), ("document", 4, &b"%PDF"[..]));
        assert!(store.template_media(scope(bob), t.id).await.unwrap().is_none());
        let listed = store.list_templates(scope(ana), TemplateFilter::default(), Page::default()).await.unwrap();
        assert_eq!(listed.items.iter().filter(|t| t.media.is_some()).count(), 1);
        assert!(matches!(store.remove_template_media(scope(bob), t.id, now).await, Err(StoreError::NotFound)));
        assert!(store.remove_template_media(scope(ana), t.id, now).await.unwrap().media.is_none());
        assert!(store.remove_template_media(scope(ana), t.id, now).await.unwrap().media.is_none());
        assert!(store.template_media(scope(ana), t.id).await.unwrap().is_none());
        let png = NewTemplateMedia { kind: "image", mime: "image/png", file_name: "a.png", data: b"png-bytes" };
        store.put_template_media(scope(ana), t.id, png, now).await.unwrap();
        assert!(matches!(store.delete_template(scope(bob), t.id).await, Err(StoreError::NotFound)));
        store.delete_template(scope(ana), t.id).await.unwrap();
        assert!(store.template(scope(ana), t.id).await.unwrap().is_none());
        let left: i64 = on_db!(store, read, pool => sqlx::query_scalar("SELECT COUNT(*) FROM template_media")
            .fetch_one(pool).await)
        .unwrap();
        assert_eq!(left, 0, "the media went with its template");
        store.close().await;
    }

    crate::both_backends! {
        async fn templates_are_kept_per_owner(db) {
            check(db).await;
        }
    }
}
