//! Invoices and the payment gateways' keys. An invoice is written before its gateway is
//! called; a payment marks it paid and activates or extends the owner's subscription in one
//! transaction, once: a second notification of the same payment finds it paid already.

use crate::{on_db, Page, Paged, Result, Store, StoreError};
use domain::{add_months, BillingCycle, Gateway, InvoiceStatus, Plan, Rupiah, SubscriptionStatus, Timestamp, UserId};
use rand::RngCore;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Invoice {
    pub id: i64,
    /// The gateway's order id (Midtrans' `order_id`, Xendit's `external_id`).
    pub number: String,
    pub user_id: UserId,
    pub plan: Plan,
    pub cycle: BillingCycle,
    pub amount: Rupiah,
    pub status: InvoiceStatus,
    pub gateway: Gateway,
    /// The gateway's own id for it, once known.
    pub external_id: Option<String>,
    /// Where the owner pays.
    pub payment_url: Option<String>,
    /// Why it failed, in the gateway's words.
    pub error: String,
    pub paid_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    number: String,
    user_id: i64,
    plan: String,
    cycle: String,
    amount: i64,
    status: String,
    gateway: String,
    external_id: Option<String>,
    payment_url: Option<String>,
    error: String,
    paid_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Invoice {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Invoice> {
        let corrupt = |e: domain::UnknownValue| StoreError::Corrupt(e.to_string());
        Ok(Invoice {
            id: r.id,
            number: r.number,
            user_id: UserId(r.user_id),
            plan: r.plan.parse().map_err(corrupt)?,
            cycle: r.cycle.parse().map_err(corrupt)?,
            amount: Rupiah(r.amount),
            status: r.status.parse().map_err(corrupt)?,
            gateway: r.gateway.parse().map_err(corrupt)?,
            external_id: r.external_id,
            payment_url: r.payment_url,
            error: r.error,
            paid_at: r.paid_at.map(Timestamp),
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

const COLUMNS: &str = "id, number, user_id, plan, cycle, amount, status, gateway, external_id, payment_url, error,
    paid_at, created_at, updated_at";

/// What a payment notification changed.
#[derive(Debug, Clone, PartialEq)]
pub enum Payment {
    /// Paid now: the subscription runs to the invoice's new period end.
    Paid(Invoice),
    /// Paid before (a repeated notification): nothing changed.
    AlreadyPaid(Invoice),
}

/// A gateway's settings, without its key.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GatewaySettings {
    pub gateway: Gateway,
    /// Live payments; otherwise the gateway's sandbox.
    pub production: bool,
    /// The key's end, to recognise it by.
    pub key_hint: String,
    #[serde(skip)]
    pub sealed_key: Vec<u8>,
    pub updated_at: Timestamp,
}

impl Store {
    /// A pending invoice with a fresh number (`KW-<id>-<random>`: unique across installations
    /// that share a gateway account).
    pub async fn create_invoice(
        &self,
        user: UserId,
        plan: Plan,
        cycle: BillingCycle,
        amount: Rupiah,
        gateway: Gateway,
        now: Timestamp,
    ) -> Result<Invoice> {
        let mut salt = [0u8; 3];
        rand::thread_rng().fill_bytes(&mut salt);
        let salt = hex::encode(salt);
        let sql = format!(
            "INSERT INTO invoices (number, user_id, plan, cycle, amount, gateway, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLUMNS}"
        );
        let number_sql = format!("UPDATE invoices SET number = $2 WHERE id = $1 RETURNING {COLUMNS}");
        let row: Row = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let placeholder = format!("new-{salt}-{}", now.millis());
            let row: Row = sqlx::query_as(&sql)
                .bind(&placeholder)
                .bind(user.0)
                .bind(plan.as_str())
                .bind(cycle.as_str())
                .bind(amount.0)
                .bind(gateway.as_str())
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await?;
            let row: Row = sqlx::query_as(&number_sql)
                .bind(row.id)
                .bind(format!("KW-{}-{salt}", row.id))
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    /// What the gateway said when the invoice was created: its id and the payment page, or
    /// (`error`) why it refused, which fails the invoice.
    pub async fn set_invoice_checkout(
        &self,
        id: i64,
        checkout: std::result::Result<(Option<&str>, &str), &str>,
        now: Timestamp,
    ) -> Result<Invoice> {
        let sql = format!(
            "UPDATE invoices SET external_id = $2, payment_url = $3, error = $4,
                 status = CASE WHEN $5 THEN 'failed' ELSE status END, updated_at = $6
             WHERE id = $1 AND status = 'pending' RETURNING {COLUMNS}"
        );
        let (external, url, error) = match checkout {
            Ok((external, url)) => (external, Some(url), ""),
            Err(error) => (None, None, error),
        };
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(id)
            .bind(external)
            .bind(url)
            .bind(error)
            .bind(!error.is_empty())
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        row.ok_or(StoreError::NotFound)?.try_into()
    }

    pub async fn invoice_by_number(&self, number: &str) -> Result<Option<Invoice>> {
        let sql = format!("SELECT {COLUMNS} FROM invoices WHERE number = $1");
        let row: Option<Row> =
            on_db!(self, read, pool => sqlx::query_as(&sql).bind(number).fetch_optional(pool).await)?;
        row.map(Invoice::try_from).transpose()
    }

    /// The owner's invoices (every owner's for `None`), newest first.
    pub async fn list_invoices(&self, user: Option<UserId>, page: Page) -> Result<Paged<Invoice>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM invoices WHERE ($1 IS NULL OR user_id = $1) ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        let owner = user.map(|u| u.0);
        let (rows, total): (Vec<Row>, i64) = on_db!(self, read, pool => {
            let rows = sqlx::query_as(&sql).bind(owner).bind(page.limit()).bind(page.offset()).fetch_all(pool).await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE ($1 IS NULL OR user_id = $1)")
                .bind(owner)
                .fetch_one(pool)
                .await?;
            (rows, total)
        });
        let items = rows.into_iter().map(Invoice::try_from).collect::<Result<_>>()?;
        Ok(Paged::new(items, total, page))
    }

    /// Marks the invoice paid (from pending, or expired or failed: money that arrived late is
    /// still money) and, in the same transaction, puts its owner on the plan: a renewal of the
    /// plan in force extends its period from its end, anything else starts now. A paid
    /// invoice is never paid again. `NotFound` for an unknown number.
    pub async fn pay_invoice(&self, number: &str, paid_at: Timestamp, now: Timestamp) -> Result<Payment> {
        let pay = format!(
            "UPDATE invoices SET status = 'paid', paid_at = $2, error = '', updated_at = $3
             WHERE number = $1 AND status IN ('pending', 'expired', 'failed') RETURNING {COLUMNS}"
        );
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " FOR UPDATE",
        };
        let current = format!("SELECT plan, status, period_end FROM subscriptions WHERE user_id = $1{lock}");
        let outcome = on_db!(self, write, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<Row> = sqlx::query_as(&pay)
                .bind(number)
                .bind(paid_at.millis())
                .bind(now.millis())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                let sql = format!("SELECT {COLUMNS} FROM invoices WHERE number = $1");
                let seen: Option<Row> = sqlx::query_as(&sql).bind(number).fetch_optional(&mut *tx).await?;
                return match seen {
                    Some(r) => Ok(Payment::AlreadyPaid(r.try_into()?)),
                    None => Err(StoreError::NotFound),
                };
            };
            let invoice = Invoice::try_from(row)?;
            // A row to lock even on a first payment: two invoices paid at once then queue here
            // and the second extends what the first bought, rather than both starting now.
            sqlx::query(
                "INSERT INTO subscriptions (user_id, plan, cycle, status, period_start, period_end, updated_at)
                 VALUES ($1, 'free', 'monthly', 'expired', 0, 0, $2) ON CONFLICT (user_id) DO NOTHING")
                .bind(invoice.user_id.0)
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            let sub: Option<(String, String, i64)> =
                sqlx::query_as(&current).bind(invoice.user_id.0).fetch_optional(&mut *tx).await?;
            let start = match sub {
                Some((plan, status, end))
                    if plan == invoice.plan.as_str() && status == "active" && end > now.millis() => Timestamp(end),
                _ => now,
            };
            let end = add_months(start, invoice.cycle.months());
            sqlx::query(
                "INSERT INTO subscriptions (user_id, plan, cycle, status, period_start, period_end, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (user_id) DO UPDATE SET plan = excluded.plan, cycle = excluded.cycle,
                     status = excluded.status,
                     period_start = CASE WHEN subscriptions.plan = excluded.plan AND subscriptions.status = 'active'
                                          AND subscriptions.period_end > $7
                                         THEN subscriptions.period_start ELSE excluded.period_start END,
                     period_end = excluded.period_end, updated_at = excluded.updated_at")
                .bind(invoice.user_id.0)
                .bind(invoice.plan.as_str())
                .bind(invoice.cycle.as_str())
                .bind(SubscriptionStatus::Active.as_str())
                .bind(start.millis())
                .bind(end.millis())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE users SET plan = $2, updated_at = $3 WHERE id = $1")
                .bind(invoice.user_id.0)
                .bind(invoice.plan.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Payment::Paid(invoice)
        });
        Ok(outcome)
    }

    /// A paid invoice whose money went back (a refund, a chargeback): `refunded`. The plan it
    /// bought is left to an admin, who is told in the log. Returns the invoice.
    pub async fn refund_invoice(&self, number: &str, now: Timestamp) -> Result<Invoice> {
        let sql = format!(
            "UPDATE invoices SET status = 'refunded', updated_at = $2 WHERE number = $1 AND status = 'paid' RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql).bind(number).bind(now.millis()).fetch_optional(pool).await)?;
        match row {
            Some(r) => r.try_into(),
            None => self.invoice_by_number(number).await?.ok_or(StoreError::NotFound),
        }
    }

    /// A pending invoice the gateway says will not be paid (`expired`, `failed`); any other
    /// is left as it is (a late "expired" never undoes a payment). Returns the invoice.
    pub async fn close_invoice(&self, number: &str, status: InvoiceStatus, now: Timestamp) -> Result<Invoice> {
        let sql = format!(
            "UPDATE invoices SET status = $2, updated_at = $3 WHERE number = $1 AND status = 'pending' RETURNING {COLUMNS}"
        );
        let row: Option<Row> = on_db!(self, write, pool => sqlx::query_as(&sql)
            .bind(number)
            .bind(status.as_str())
            .bind(now.millis())
            .fetch_optional(pool)
            .await)?;
        match row {
            Some(r) => r.try_into(),
            None => self.invoice_by_number(number).await?.ok_or(StoreError::NotFound),
        }
    }

    pub async fn payment_gateway(&self, gateway: Gateway) -> Result<Option<GatewaySettings>> {
        let row: Option<(String, bool, Vec<u8>, String, i64)> = on_db!(self, read, pool => sqlx::query_as(
            "SELECT gateway, production, sealed_key, key_hint, updated_at FROM payment_gateways WHERE gateway = $1")
            .bind(gateway.as_str())
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(_, production, sealed_key, key_hint, updated_at)| GatewaySettings {
            gateway,
            production,
            key_hint,
            sealed_key,
            updated_at: Timestamp(updated_at),
        }))
    }

    pub async fn set_payment_gateway(
        &self,
        gateway: Gateway,
        production: bool,
        sealed_key: &[u8],
        key_hint: &str,
        now: Timestamp,
    ) -> Result<GatewaySettings> {
        on_db!(self, write, pool => sqlx::query(
            "INSERT INTO payment_gateways (gateway, production, sealed_key, key_hint, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (gateway) DO UPDATE SET production = excluded.production, sealed_key = excluded.sealed_key,
                 key_hint = excluded.key_hint, updated_at = excluded.updated_at")
            .bind(gateway.as_str())
            .bind(production)
            .bind(sealed_key)
            .bind(key_hint)
            .bind(now.millis())
            .execute(pool)
            .await
            .map(|_| ()))?;
        self.payment_gateway(gateway).await?.ok_or(StoreError::NotFound)
    }
}
