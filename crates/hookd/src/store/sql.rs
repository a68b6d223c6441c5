//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here (`$n` parameters,
//! `ON CONFLICT`, `RETURNING`); the only differences are the row-locking clauses, passed in by each backend.
//! A macro instead of generic code because sqlx's executor bounds make backend-generic functions unreadable.
//! The multi-row writes differ per backend; each backend's module has them in its `bulk` module.

/// Column lists, as literals so statements stay `&'static str` (sqlx caches prepared statements by text).
macro_rules! account_cols {
    () => {
        "id, name, parent_id, products, created_at"
    };
}
macro_rules! key_cols {
    () => {
        "id, account_id, sealed_secret, policy, user_id, created_at"
    };
}
macro_rules! app_cols {
    () => {
        "account_id, id, kind, name, max_subscriptions, created_at, updated_at"
    };
}
macro_rules! subscription_cols {
    () => {
        "id, account_id, app_id, url, status, event_types, channel_id, users, format, secrets, headers, description, created_at, updated_at, source, vendor_secrets, retry, timeout_ms, public_key, rate_limit, ordering, batch"
    };
}
macro_rules! event_cols {
    () => {
        "id, account_id, app_id, event_type, payload, channel_id, user_id, idempotency_key, request_hash, created_at, traceparent"
    };
}
macro_rules! delivery_cols {
    () => {
        "id, event_id, subscription_id, account_id, app_id, status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at"
    };
}
macro_rules! attempt_cols {
    () => {
        "id, delivery_id, attempt_no, started_at, duration_ms, status_code, error, response_excerpt"
    };
}

/// What a `DeliveryJob` is read from: a delivery joined with its event and subscription (`d`, `e`, `s`).
macro_rules! job_cols {
    () => {
        "d.id AS delivery_id, d.event_id, d.account_id, d.app_id, d.subscription_id, d.attempts, \
         e.event_type, e.payload, e.created_at AS event_created_at, e.channel_id, e.user_id, e.traceparent, \
         s.url, s.format, s.secrets, s.headers, s.vendor_secrets, s.retry, s.timeout_ms, s.rate_limit, e.payload_expired_at, s.batch \
         FROM deliveries d JOIN events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id"
    };
}

/// Whether an attempt (`a`) succeeded, by the dispatcher's rule (`Reply::is_success`): a 2xx answer, or a
/// queue destination's confirmation (stored with neither a status nor an error; every failure has an error).
macro_rules! attempt_succeeded {
    () => {
        "(a.status_code BETWEEN 200 AND 299 OR (a.status_code IS NULL AND a.error IS NULL))"
    };
}

/// Implements `Store` for a type with `writer` and `reader` pools of database `$db`.
/// `$for_update` locks a row for the transaction; `$skip_locked` additionally skips rows others hold;
/// `$json_strings` selects the strings of the JSON array bound as `$5`; `$stored_order` is the column that
/// orders deliveries as they were stored.
macro_rules! impl_store {
    ($store:ty, $db:ty, backend = $backend:literal, for_update = $for_update:literal, skip_locked = $skip_locked:literal,
     json_strings = $json_strings:literal, stored_order = $stored_order:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.reader).await?;
                Ok(())
            }

            fn health(&self) -> &$crate::store::health::StorageHealth {
                &self.health
            }

            async fn probe_write(&self) -> Result<()> {
                // A row that changes, so that the commit has a page to write.
                let written = sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ('write_probe', $1) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind($crate::domain::now_ms().to_string())
                .execute(&self.writer)
                .await
                .map(|_| ())
                .map_err(StoreError::from);
                self.health.note(&written);
                written
            }

            async fn meta_get_or_put(&self, key: &str, value: &str) -> Result<String> {
                sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(key)
                    .bind(value)
                    .execute(&self.writer)
                    .await?;
                let (stored,): (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                    .bind(key)
                    .fetch_one(&self.writer)
                    .await?;
                Ok(stored)
            }

            async fn insert_account(&self, account: &AccountRow, apps: &[AppRow]) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(concat!("INSERT INTO accounts (", account_cols!(), ") VALUES ($1, $2, $3, $4, $5)"))
                    .bind(&account.id)
                    .bind(&account.name)
                    .bind(&account.parent_id)
                    .bind(&account.products)
                    .bind(account.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_write)?;
                for app in apps {
                    insert_app(&mut *tx, app).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_account(&self, id: &str) -> Result<Option<AccountRow>> {
                Ok(sqlx::query_as(concat!("SELECT ", account_cols!(), " FROM accounts WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn list_accounts(&self, page: &Page) -> Result<Vec<AccountRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", account_cols!(), " FROM accounts WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2"
                ))
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn insert_key(&self, key: &KeyRow) -> Result<()> {
                sqlx::query(concat!("INSERT INTO access_keys (", key_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6)"))
                    .bind(&key.id)
                    .bind(&key.account_id)
                    .bind(&key.sealed_secret)
                    .bind(&key.policy)
                    .bind(&key.user_id)
                    .bind(key.created_at)
                    .execute(&self.writer)
                    .await
                    .map_err(StoreError::from_write)?;
                Ok(())
            }

            async fn get_key(&self, id: &str) -> Result<Option<KeyRow>> {
                let generation = match self.caches.keys.get(id) {
                    Ok(key) => return Ok(Some(KeyRow::clone(&key))),
                    Err(generation) => generation,
                };
                let key: Option<KeyRow> = sqlx::query_as(concat!("SELECT ", key_cols!(), " FROM access_keys WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?;
                // Unknown ids are not remembered: anyone can make up as many as they like.
                if let Some(key) = &key {
                    self.caches.keys.put(id.to_owned(), key.clone(), generation);
                }
                Ok(key)
            }

            async fn list_keys(&self, account_id: &str, page: &Page) -> Result<Vec<KeyRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", key_cols!(), " FROM access_keys WHERE account_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
                ))
                .bind(account_id)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn delete_key(&self, account_id: &str, id: &str) -> Result<bool> {
                let done = sqlx::query("DELETE FROM access_keys WHERE account_id = $1 AND id = $2")
                    .bind(account_id)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                self.caches.keys.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn insert_token(&self, token_hash: &str, key_id: &str, account_id: Option<&str>, expires_at: i64) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                sqlx::query("DELETE FROM access_tokens WHERE expires_at < $1")
                    .bind(crate::domain::now_ms())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO access_tokens (token_hash, key_id, account_id, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(key_id)
                    .bind(account_id)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from_write)?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_token(&self, token_hash: &str, now: i64) -> Result<Option<(String, Option<String>)>> {
                Ok(sqlx::query_as("SELECT key_id, account_id FROM access_tokens WHERE token_hash = $1 AND expires_at > $2")
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn insert_app(&self, app: &AppRow) -> Result<()> {
                let mut conn = self.writer.acquire().await?;
                insert_app(&mut *conn, app).await
            }

            async fn get_app(&self, account_id: &str, id: &str) -> Result<Option<AppRow>> {
                let cache_key = cache_key(account_id, id);
                let generation = match self.caches.apps.get(&cache_key) {
                    Ok(app) => return Ok(Some(AppRow::clone(&app))),
                    Err(generation) => generation,
                };
                let app: Option<AppRow> = sqlx::query_as(concat!("SELECT ", app_cols!(), " FROM apps WHERE account_id = $1 AND id = $2"))
                    .bind(account_id)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?;
                if let Some(app) = &app {
                    self.caches.apps.put(cache_key, app.clone(), generation);
                }
                Ok(app)
            }

            async fn list_apps(&self, account_id: &str, page: &Page) -> Result<Vec<AppRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", app_cols!(), " FROM apps WHERE account_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
                ))
                .bind(account_id)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn update_app(&self, app: &AppRow) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE apps SET name = $1, max_subscriptions = $2, updated_at = $3 WHERE account_id = $4 AND id = $5",
                )
                .bind(&app.name)
                .bind(app.max_subscriptions)
                .bind(app.updated_at)
                .bind(&app.account_id)
                .bind(&app.id)
                .execute(&self.writer)
                .await?;
                self.caches.apps.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn delete_app(&self, account_id: &str, id: &str) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                // Attempts and deliveries go with their events (ON DELETE CASCADE).
                sqlx::query("DELETE FROM events WHERE account_id = $1 AND app_id = $2")
                    .bind(account_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query("DELETE FROM apps WHERE account_id = $1 AND id = $2")
                    .bind(account_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.caches.apps.clear();
                self.caches.subscriptions.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn insert_subscription(&self, sub: &SubscriptionRow, max: i64) -> Result<()> {
                let mut tx = self.writer.begin().await?;
                // Lock the app row so concurrent inserts cannot both pass the quota check.
                sqlx::query(concat!("SELECT id FROM apps WHERE account_id = $1 AND id = $2", $for_update))
                    .bind(&sub.account_id)
                    .bind(&sub.app_id)
                    .execute(&mut *tx)
                    .await?;
                let (count,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM subscriptions WHERE account_id = $1 AND app_id = $2")
                        .bind(&sub.account_id)
                        .bind(&sub.app_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if count >= max {
                    return Err(StoreError::QuotaExceeded);
                }
                sqlx::query(concat!(
                    "INSERT INTO subscriptions (", subscription_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
                ))
                .bind(&sub.id)
                .bind(&sub.account_id)
                .bind(&sub.app_id)
                .bind(&sub.url)
                .bind(&sub.status)
                .bind(&sub.event_types)
                .bind(&sub.channel_id)
                .bind(&sub.users)
                .bind(&sub.format)
                .bind(&sub.secrets)
                .bind(&sub.headers)
                .bind(&sub.description)
                .bind(sub.created_at)
                .bind(sub.updated_at)
                .bind(&sub.source)
                .bind(&sub.vendor_secrets)
                .bind(&sub.retry)
                .bind(sub.timeout_ms)
                .bind(&sub.public_key)
                .bind(sub.rate_limit)
                .bind(&sub.ordering)
                .bind(&sub.batch)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
                tx.commit().await?;
                self.caches.subscriptions.clear();
                Ok(())
            }

            async fn get_subscription(&self, account_id: &str, app_id: &str, id: &str) -> Result<Option<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND id = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?)
            }

            async fn list_subscriptions(&self, account_id: &str, app_id: &str, page: &Page) -> Result<Vec<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn enabled_subscriptions(&self, account_id: &str, app_id: &str) -> Result<std::sync::Arc<Vec<SubscriptionRow>>> {
                let cache_key = cache_key(account_id, app_id);
                let generation = match self.caches.subscriptions.get(&cache_key) {
                    Ok(subscriptions) => return Ok(subscriptions),
                    Err(generation) => generation,
                };
                let subscriptions: Vec<SubscriptionRow> = sqlx::query_as(concat!(
                    "SELECT ", subscription_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND status = 'enabled' ORDER BY id"
                ))
                .bind(account_id)
                .bind(app_id)
                .fetch_all(&self.reader)
                .await?;
                Ok(self.caches.subscriptions.put(cache_key, subscriptions, generation))
            }

            async fn subscriptions_by_source(&self, account_id: &str, app_id: &str, prefix: &str) -> Result<Vec<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 \
                     AND substr(source, 1, length($3)) = $3 ORDER BY id"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(prefix)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn update_subscription(&self, sub: &SubscriptionRow) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE subscriptions SET url = $1, status = $2, event_types = $3, channel_id = $4, users = $5, format = $6, \
                     secrets = $7, headers = $8, description = $9, updated_at = $10, vendor_secrets = $11, \
                     retry = $12, timeout_ms = $13, public_key = $14, rate_limit = $15, ordering = $16, batch = $17 \
                     WHERE account_id = $18 AND app_id = $19 AND id = $20",
                )
                .bind(&sub.url)
                .bind(&sub.status)
                .bind(&sub.event_types)
                .bind(&sub.channel_id)
                .bind(&sub.users)
                .bind(&sub.format)
                .bind(&sub.secrets)
                .bind(&sub.headers)
                .bind(&sub.description)
                .bind(sub.updated_at)
                .bind(&sub.vendor_secrets)
                .bind(&sub.retry)
                .bind(sub.timeout_ms)
                .bind(&sub.public_key)
                .bind(sub.rate_limit)
                .bind(&sub.ordering)
                .bind(&sub.batch)
                .bind(&sub.account_id)
                .bind(&sub.app_id)
                .bind(&sub.id)
                .execute(&self.writer)
                .await?;
                self.caches.subscriptions.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn subscriptions_with_secrets(&self, after: &str, limit: i64) -> Result<Vec<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_cols!(), " FROM subscriptions WHERE id > $1 AND (headers <> '{}' OR url LIKE '%@%') \
                     ORDER BY id LIMIT $2"
                ))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn reseal_subscription(&self, id: &str, was: (&str, &str), url: &str, headers: &str) -> Result<bool> {
                let done = sqlx::query("UPDATE subscriptions SET url = $1, headers = $2 WHERE id = $3 AND url = $4 AND headers = $5")
                    .bind(url)
                    .bind(headers)
                    .bind(id)
                    .bind(was.0)
                    .bind(was.1)
                    .execute(&self.writer)
                    .await?;
                self.caches.subscriptions.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn delete_subscription(&self, account_id: &str, app_id: &str, id: &str, now: i64) -> Result<bool> {
                let mut tx = self.writer.begin().await?;
                sqlx::query(
                    "UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = $1 \
                     WHERE subscription_id = $2 AND status IN ('pending', 'retrying', 'delivering')",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let done = sqlx::query("DELETE FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND id = $3")
                    .bind(account_id)
                    .bind(app_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.caches.subscriptions.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn insert_event(&self, event: &EventRow, deliveries: &[NewDelivery]) -> Result<EventInsert> {
                self.writes.submit_first((event.clone(), deliveries.to_vec())).await
            }

            async fn get_event(&self, account_id: &str, app_id: &str, id: &str) -> Result<Option<EventRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_cols!(), " FROM events WHERE account_id = $1 AND app_id = $2 AND id = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?)
            }

            async fn get_event_by_idempotency_key(&self, account_id: &str, app_id: &str, key: &str) -> Result<Option<EventRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_cols!(), " FROM events WHERE account_id = $1 AND app_id = $2 AND idempotency_key = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(key)
                .fetch_optional(&self.writer)
                .await?)
            }

            async fn list_events(&self, account_id: &str, app_id: &str, page: &Page) -> Result<Vec<EventRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_cols!(), " FROM events WHERE account_id = $1 AND app_id = $2 AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn list_event_deliveries(&self, account_id: &str, event_id: &str, page: &Page) -> Result<Vec<DeliveryRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", delivery_cols!(), " FROM deliveries WHERE account_id = $1 AND event_id = $2 AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4"
                ))
                .bind(account_id)
                .bind(event_id)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn list_subscription_deliveries(
                &self,
                account_id: &str,
                subscription_id: &str,
                status: Option<&str>,
                page: &Page,
            ) -> Result<Vec<DeliveryRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", delivery_cols!(), " FROM deliveries WHERE account_id = $1 AND subscription_id = $2 \
                     AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
                ))
                .bind(account_id)
                .bind(subscription_id)
                .bind(status)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn get_delivery(&self, account_id: &str, id: &str) -> Result<Option<DeliveryRow>> {
                Ok(sqlx::query_as(concat!("SELECT ", delivery_cols!(), " FROM deliveries WHERE account_id = $1 AND id = $2"))
                    .bind(account_id)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn list_attempts(&self, delivery_id: &str) -> Result<Vec<AttemptRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", attempt_cols!(), " FROM attempts WHERE delivery_id = $1 ORDER BY attempt_no"
                ))
                .bind(delivery_id)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn requeue_delivery(&self, account_id: &str, id: &str, now: i64) -> Result<Option<DeliveryRow>> {
                Ok(sqlx::query_as(concat!(
                    "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                     next_attempt_at = $1, updated_at = $1 \
                     WHERE account_id = $2 AND id = $3 AND status NOT IN ('delivering', 'cancelled') RETURNING ",
                    delivery_cols!()
                ))
                .bind(now)
                .bind(account_id)
                .bind(id)
                .fetch_optional(&self.writer)
                .await?)
            }

            async fn requeue_failed(&self, account_id: &str, subscription_id: &str, since: i64, now: i64) -> Result<u64> {
                let done = sqlx::query(
                    "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                     next_attempt_at = $1, updated_at = $1 \
                     WHERE account_id = $2 AND subscription_id = $3 AND status IN ('dead', 'retrying') AND created_at >= $4 \
                     AND event_id IN (SELECT id FROM events WHERE payload_expired_at IS NULL)",
                )
                .bind(now)
                .bind(account_id)
                .bind(subscription_id)
                .bind(since)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn claim_due(
                &self,
                owner: &str,
                now: i64,
                lease_until: i64,
                limit: i64,
                room: &std::collections::HashMap<String, i64>,
                per_subscription: i64,
            ) -> Result<Vec<DeliveryJob>> {
                // Leases and the jobs' details in one transaction: a failure leaves nothing leased.
                let mut tx = self.writer.begin().await?;
                // The oldest due deliveries of subscriptions with free attempt slots (of a fifo subscription
                // only its oldest unfinished one). A plain index walk: the ranking is done here, not in SQL,
                // because planners turned a ranking subquery into a scan per row once backlogs grew.
                let mut select = sqlx::QueryBuilder::<$db>::new(
                    "SELECT d.id, d.subscription_id \
                     FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id \
                     WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ",
                );
                select.push_bind(now).push(concat!(
                    " AND s.status = 'enabled' \
                     AND (s.ordering <> 'fifo' OR NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.subscription_id = d.subscription_id \
                     AND p.", $stored_order, " < d.", $stored_order, " AND p.status IN ('pending', 'retrying', 'delivering')))",
                ));
                let full: Vec<&String> = room.iter().filter(|(_, n)| **n <= 0).map(|(id, _)| id).collect();
                if !full.is_empty() {
                    select.push(" AND d.subscription_id NOT IN (");
                    push_ids(&mut select, full);
                }
                select.push(" ORDER BY d.next_attempt_at, d.id LIMIT ").push_bind(limit.saturating_mul(4));
                let candidates: Vec<(String, String)> = select.build_query_as().fetch_all(&mut *tx).await?;
                // None gets more than its room.
                let mut taken: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
                let mut chosen = Vec::new();
                for (id, subscription) in &candidates {
                    if chosen.len() as i64 >= limit {
                        break;
                    }
                    let n = taken.entry(subscription.as_str()).or_default();
                    if *n < room.get(subscription).copied().unwrap_or(per_subscription) {
                        *n += 1;
                        chosen.push(id);
                    }
                }
                if chosen.is_empty() {
                    return Ok(Vec::new());
                }
                // The status test at the locking level makes a row another node took meanwhile drop out.
                let mut lease = sqlx::QueryBuilder::<$db>::new("UPDATE deliveries SET status = 'delivering', lease_owner = ");
                lease.push_bind(owner)
                    .push(", lease_until = ")
                    .push_bind(lease_until)
                    .push(", updated_at = ")
                    .push_bind(now)
                    .push(" WHERE id IN (SELECT d.id FROM deliveries d WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ")
                    .push_bind(now)
                    .push(" AND d.id IN (");
                push_ids(&mut lease, chosen);
                lease.push($skip_locked).push(") RETURNING id");
                let claimed: Vec<(String,)> = lease.build_query_as().fetch_all(&mut *tx).await?;
                let jobs = Self::jobs(&mut tx, &claimed).await?;
                tx.commit().await?;
                Ok(jobs)
            }

            async fn claim_batch(
                &self,
                subscription_id: &str,
                lead: &[String],
                owner: &str,
                now: i64,
                lease_until: i64,
                limit: i64,
            ) -> Result<Vec<DeliveryJob>> {
                let lead = serde_json::to_string(lead).unwrap_or_else(|_| "[]".to_owned());
                let mut tx = self.writer.begin().await?;
                let claimed: Vec<(String,)> = sqlx::query_as(concat!(
                    "UPDATE deliveries SET status = 'delivering', lease_owner = $1, lease_until = $2, updated_at = $3 \
                     WHERE id IN (SELECT d.id FROM deliveries d WHERE d.subscription_id = $4 \
                     AND (d.status = 'pending' OR (d.status = 'retrying' AND d.next_attempt_at <= $3)) \
                     AND d.event_id IN (SELECT id FROM events WHERE payload_expired_at IS NULL) \
                     AND d.id NOT IN (",
                    $json_strings,
                    ") ORDER BY d.id LIMIT $6",
                    $skip_locked,
                    ") RETURNING id"
                ))
                .bind(owner)
                .bind(lease_until)
                .bind(now)
                .bind(subscription_id)
                .bind(&lead)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                let jobs = Self::jobs(&mut tx, &claimed).await?;
                tx.commit().await?;
                Ok(jobs)
            }

            async fn pending_count(&self, subscription_id: &str) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM deliveries WHERE subscription_id = $1 AND status = 'pending'",
                )
                .bind(subscription_id)
                .fetch_one(&self.reader)
                .await?;
                Ok(n)
            }

            async fn defer(&self, delivery_ids: &[String], owner: &str, next_attempt_at: i64) -> Result<()> {
                for chunk in delivery_ids.chunks(500) {
                    let mut update = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                         next_attempt_at = ",
                    );
                    update
                        .push_bind(next_attempt_at)
                        .push(", lease_owner = NULL, lease_until = NULL WHERE status = 'delivering' AND lease_owner = ")
                        .push_bind(owner)
                        .push(" AND id IN (");
                    push_ids(&mut update, chunk);
                    update.build().execute(&self.writer).await?;
                }
                Ok(())
            }

            async fn release_expired_leases(&self, now: i64) -> Result<u64> {
                let done = sqlx::query(
                    "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                     lease_owner = NULL, lease_until = NULL WHERE status = 'delivering' AND lease_until < $1",
                )
                .bind(now)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn expire(&self, cutoff: i64, now: i64, batch: i64) -> Result<(u64, u64)> {
                let attempts = sqlx::query(
                    "DELETE FROM attempts WHERE id IN (SELECT a.id FROM attempts a JOIN deliveries d ON d.id = a.delivery_id \
                     WHERE d.status IN ('succeeded', 'dead', 'cancelled') AND d.updated_at < $1 LIMIT $2)",
                )
                .bind(cutoff)
                .bind(batch)
                .execute(&self.writer)
                .await?
                .rows_affected();
                let payloads = sqlx::query(
                    "UPDATE events SET payload = 'null', payload_expired_at = $1 WHERE id IN (SELECT e.id FROM events e \
                     WHERE e.payload_expired_at IS NULL AND e.created_at < $2 AND NOT EXISTS (SELECT 1 FROM deliveries d \
                     WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying', 'delivering')) LIMIT $3)",
                )
                .bind(now)
                .bind(cutoff)
                .bind(batch)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok((attempts, payloads))
            }

            async fn release_leases_of(&self, owner: &str) -> Result<u64> {
                let done = sqlx::query(
                    "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                     lease_owner = NULL, lease_until = NULL WHERE status = 'delivering' AND lease_owner = $1",
                )
                .bind(owner)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn release_all_leases(&self) -> Result<u64> {
                let done = sqlx::query(
                    "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                     lease_owner = NULL, lease_until = NULL WHERE status = 'delivering'",
                )
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn record_attempt(&self, outcome: &AttemptOutcome) -> Result<HealthChange> {
                let change = self.writes.submit_second(outcome.clone()).await;
                // A subscription disabled by 410 Gone or locked no longer receives new events.
                if outcome.disable_subscription.is_some() || change.as_ref().is_ok_and(|c| c.locked) {
                    self.caches.subscriptions.clear();
                }
                change
            }

            async fn queue_depth(&self) -> Result<i64> {
                Ok(self.queue_by_status(None).await?.iter().map(|(_, n)| n).sum())
            }

            async fn queue_by_status(&self, account_id: Option<&str>) -> Result<Vec<(String, i64)>> {
                let mut select = sqlx::QueryBuilder::<$db>::new(
                    "SELECT status, COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying', 'delivering')",
                );
                if let Some(account_id) = account_id {
                    select.push(" AND account_id = ").push_bind(account_id);
                }
                select.push(" GROUP BY status");
                Ok(select.build_query_as().fetch_all(&self.reader).await?)
            }

            async fn list_account_attempts(
                &self,
                account_id: &str,
                app_id: Option<&str>,
                after: Option<&str>,
                limit: i64,
            ) -> Result<Vec<AttemptEntryRow>> {
                let mut select = sqlx::QueryBuilder::<$db>::new(
                    "SELECT a.id, a.delivery_id, a.attempt_no, a.started_at, a.duration_ms, a.status_code, a.error, \
                     a.response_excerpt, d.event_id, e.event_type, d.subscription_id, d.app_id, d.status AS delivery_status \
                     FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id \
                     WHERE d.account_id = ",
                );
                select.push_bind(account_id);
                if let Some(app_id) = app_id {
                    select.push(" AND d.app_id = ").push_bind(app_id);
                }
                match after {
                    Some(after) => select.push(" AND a.id > ").push_bind(after).push(" ORDER BY a.id"),
                    None => select.push(" ORDER BY a.id DESC"),
                };
                select.push(" LIMIT ").push_bind(limit);
                let mut rows: Vec<AttemptEntryRow> = select.build_query_as().fetch_all(&self.reader).await?;
                if after.is_none() {
                    rows.reverse();
                }
                Ok(rows)
            }

            async fn delivery_job(&self, account_id: &str, id: &str) -> Result<Option<DeliveryJob>> {
                Ok(sqlx::query_as(concat!("SELECT ", job_cols!(), " WHERE d.account_id = $1 AND d.id = $2"))
                    .bind(account_id)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn attempt_counts(
                &self,
                scope: $crate::store::CountScope<'_>,
                buckets: $crate::store::Buckets,
            ) -> Result<Vec<$crate::store::AttemptCount>> {
                use $crate::store::CountScope;
                let mut select = sqlx::QueryBuilder::<$db>::new("SELECT (a.started_at - ");
                select
                    .push_bind(buckets.since)
                    .push(") / ")
                    .push_bind(buckets.width_ms)
                    .push(concat!(
                        " AS bucket, SUM(CASE WHEN ", attempt_succeeded!(), " THEN 1 ELSE 0 END) AS succeeded, \
                         SUM(CASE WHEN ", attempt_succeeded!(), " THEN 0 ELSE 1 END) AS failed \
                         FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE ",
                    ));
                // Within an account or a subscription the deliveries lead and each one's attempts are found
                // by `attempts_delivery`; the time range is written so that it cannot use `attempts_started`
                // too. Right after a burst of inserts, before statistics catch up, PostgreSQL otherwise
                // intersects that whole range with every delivery's lookup (seconds for 10 000 attempts).
                let started = match scope {
                    CountScope::Server => "a.started_at",
                    _ => "(a.started_at + 0)",
                };
                select
                    .push(started)
                    .push(" >= ")
                    .push_bind(buckets.since)
                    .push(" AND ")
                    .push(started)
                    .push(" < ")
                    .push_bind(buckets.until);
                match scope {
                    CountScope::Server => {}
                    CountScope::Account(account_id) => {
                        select.push(" AND d.account_id = ").push_bind(account_id);
                    }
                    CountScope::Subscription { account_id, subscription_id } => {
                        select
                            .push(" AND d.account_id = ")
                            .push_bind(account_id)
                            .push(" AND d.subscription_id = ")
                            .push_bind(subscription_id);
                    }
                }
                select.push(" GROUP BY 1");
                Ok(select.build_query_as().fetch_all(&self.reader).await?)
            }

            async fn event_counts(
                &self,
                account_id: Option<&str>,
                buckets: $crate::store::Buckets,
            ) -> Result<Vec<(i64, i64)>> {
                let mut select = sqlx::QueryBuilder::<$db>::new("SELECT (created_at - ");
                select
                    .push_bind(buckets.since)
                    .push(") / ")
                    .push_bind(buckets.width_ms)
                    .push(" AS bucket, COUNT(*) FROM events WHERE created_at >= ")
                    .push_bind(buckets.since)
                    .push(" AND created_at < ")
                    .push_bind(buckets.until);
                if let Some(account_id) = account_id {
                    select.push(" AND account_id = ").push_bind(account_id);
                }
                select.push(" GROUP BY 1");
                Ok(select.build_query_as().fetch_all(&self.reader).await?)
            }

            async fn first_use(&self, key: &str, now: i64, expires_at: i64) -> Result<bool> {
                // A conflicting row is taken over only once it has expired; the row lock makes two
                // concurrent first uses of one nonce one success and one replay.
                let done = sqlx::query(
                    "INSERT INTO nonces (key, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE nonces.expires_at <= $3",
                )
                .bind(key)
                .bind(expires_at)
                .bind(now)
                .execute(&self.writer)
                .await
                .map_err(StoreError::from_write)?;
                // Each use drops a few expired nonces, so the table holds about the unexpired ones.
                sqlx::query(
                    "DELETE FROM nonces WHERE key IN (SELECT key FROM nonces WHERE expires_at <= $1 LIMIT 16)",
                )
                .bind(now)
                .execute(&self.writer)
                .await
                .map_err(StoreError::from_write)?;
                Ok(done.rows_affected() == 1)
            }

            async fn allow_call(&self, key: &str, per_second: u32) -> Result<bool> {
                self.count_call(key, per_second).await
            }

            async fn pace(&self, key: &str, per_second: u32) -> Result<$crate::store::guards::Slot> {
                self.pace_slot(key, per_second).await
            }
        }

        async fn insert_app<'c, E>(conn: E, app: &AppRow) -> Result<()>
        where
            E: sqlx::Executor<'c, Database = $db>,
        {
            sqlx::query(concat!("INSERT INTO apps (", app_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                .bind(&app.account_id)
                .bind(&app.id)
                .bind(&app.kind)
                .bind(&app.name)
                .bind(app.max_subscriptions)
                .bind(app.created_at)
                .bind(app.updated_at)
                .execute(conn)
                .await
                .map_err(StoreError::from_write)?;
            Ok(())
        }

        /// Writes a group of publishes and attempt records: all in one transaction when there are both, and
        /// otherwise (or if that fails) the publishes together and the records together, each falling back
        /// to one transaction per item. A fault of the storage fails the whole group at once and closes the
        /// connection, so that the next group starts on a fresh one: after an error SQLite may have rolled
        /// the transaction back by itself, and a connection whose idea of its transaction no longer matches
        /// the database's could report later commits that never happen.
        async fn write_group(
            pool: &sqlx::Pool<$db>,
            health: &$crate::store::health::StorageHealth,
            events: Vec<(EventRow, Vec<NewDelivery>)>,
            outcomes: Vec<AttemptOutcome>,
        ) -> (Vec<Result<EventInsert>>, Vec<Result<HealthChange>>) {
            let mut conn = match pool.acquire().await {
                Ok(conn) => conn,
                Err(e) => {
                    let e = StoreError::from(e);
                    health.failed(&e);
                    return (unavailable(&e, events.len()), unavailable(&e, outcomes.len()));
                }
            };
            let (inserted, recorded) = write_group_on(&mut conn, events, outcomes).await;
            let fault = inserted
                .iter()
                .filter_map(|r| r.as_ref().err())
                .chain(recorded.iter().filter_map(|r| r.as_ref().err()))
                .find(|e| e.is_unavailable());
            match fault {
                Some(e) => {
                    health.failed(e);
                    // Dropped, not returned: the pool opens a new connection for the next group.
                    let _ = conn.close().await;
                }
                // Statement errors (a duplicate idempotency key) still show a database that writes.
                None => health.succeeded(),
            }
            (inserted, recorded)
        }

        async fn write_group_on(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            events: Vec<(EventRow, Vec<NewDelivery>)>,
            outcomes: Vec<AttemptOutcome>,
        ) -> (Vec<Result<EventInsert>>, Vec<Result<HealthChange>>) {
            if !events.is_empty() && !outcomes.is_empty() {
                match write_together(conn, &events, &outcomes).await {
                    Ok(changes) => {
                        return (
                            events.iter().map(|_| Ok(EventInsert::Inserted)).collect(),
                            changes.into_iter().map(Ok).collect(),
                        )
                    }
                    Err(e) if e.is_unavailable() => return (unavailable(&e, events.len()), unavailable(&e, outcomes.len())),
                    Err(e) => tracing::debug!(error = %e, "writing publishes and attempts together failed; writing them apart"),
                }
            }
            let inserted = insert_events(conn, events).await;
            if let Some(e) = inserted.iter().filter_map(|r| r.as_ref().err()).find(|e| e.is_unavailable()) {
                let rest = unavailable(e, outcomes.len());
                return (inserted, rest);
            }
            (inserted, record_attempts(conn, outcomes).await)
        }

        async fn write_together(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            events: &[(EventRow, Vec<NewDelivery>)],
            outcomes: &[AttemptOutcome],
        ) -> Result<Vec<HealthChange>> {
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            insert_events_in(&mut tx, events).await?;
            let outcomes: Vec<&AttemptOutcome> = outcomes.iter().collect();
            let changes = record_in(&mut tx, &outcomes).await?;
            tx.commit().await?;
            Ok(changes)
        }

        /// Writes events of concurrent publishes in one transaction; if that fails, each in its own, so
        /// that a bad one (a duplicate idempotency key, a subscription deleted meanwhile) fails alone.
        async fn insert_events(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            items: Vec<(EventRow, Vec<NewDelivery>)>,
        ) -> Vec<Result<EventInsert>> {
            if items.len() > 1 {
                match insert_events_together(conn, &items).await {
                    Ok(()) => return items.iter().map(|_| Ok(EventInsert::Inserted)).collect(),
                    Err(e) if e.is_unavailable() => return unavailable(&e, items.len()),
                    Err(e) => tracing::debug!(error = %e, count = items.len(), "writing events together failed; writing each alone"),
                }
            }
            let mut results = Vec::with_capacity(items.len());
            for (event, deliveries) in &items {
                let result = insert_event_alone(conn, event, deliveries).await;
                // The rest would meet the same fault one by one.
                let rest = match &result {
                    Err(e) if e.is_unavailable() => Some(unavailable(e, items.len() - results.len() - 1)),
                    _ => None,
                };
                results.push(result);
                if let Some(rest) = rest {
                    results.extend(rest);
                    break;
                }
            }
            results
        }

        async fn insert_events_together(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            items: &[(EventRow, Vec<NewDelivery>)],
        ) -> Result<()> {
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            insert_events_in(&mut tx, items).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn insert_events_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            items: &[(EventRow, Vec<NewDelivery>)],
        ) -> Result<()> {
            let events: Vec<&EventRow> = items.iter().map(|(event, _)| event).collect();
            bulk::insert_event_rows(tx, &events).await?;
            let deliveries: Vec<(&EventRow, &NewDelivery)> = items
                .iter()
                .flat_map(|(event, deliveries)| deliveries.iter().map(move |d| (event, d)))
                .collect();
            bulk::insert_deliveries(tx, &deliveries).await
        }

        async fn insert_event_alone(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            event: &EventRow,
            deliveries: &[NewDelivery],
        ) -> Result<EventInsert> {
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            let inserted = bulk::insert_event_rows(&mut tx, &[event]).await;
            match inserted {
                Ok(_) => {}
                // The event id is fresh, so the only unique rule an insert can break is the idempotency key.
                Err(StoreError::Conflict(_)) => return Ok(EventInsert::DuplicateKey),
                Err(e) => return Err(e),
            }
            let deliveries: Vec<(&EventRow, &NewDelivery)> = deliveries.iter().map(|d| (event, d)).collect();
            bulk::insert_deliveries(&mut tx, &deliveries).await?;
            tx.commit().await?;
            Ok(EventInsert::Inserted)
        }

        /// Records the outcomes of attempts that finished together in one transaction; if that fails, each
        /// in its own.
        async fn record_attempts(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            outcomes: Vec<AttemptOutcome>,
        ) -> Vec<Result<HealthChange>> {
            if outcomes.len() > 1 {
                match record_attempts_together(conn, &outcomes).await {
                    Ok(changes) => return changes.into_iter().map(Ok).collect(),
                    Err(e) if e.is_unavailable() => return unavailable(&e, outcomes.len()),
                    Err(e) => tracing::debug!(error = %e, count = outcomes.len(), "recording attempts together failed; recording each alone"),
                }
            }
            let mut results = Vec::with_capacity(outcomes.len());
            for outcome in &outcomes {
                let result = record_attempt_alone(conn, outcome).await;
                let rest = match &result {
                    Err(e) if e.is_unavailable() => Some(unavailable(e, outcomes.len() - results.len() - 1)),
                    _ => None,
                };
                results.push(result);
                if let Some(rest) = rest {
                    results.extend(rest);
                    break;
                }
            }
            results
        }

        async fn record_attempts_together(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            outcomes: &[AttemptOutcome],
        ) -> Result<Vec<HealthChange>> {
            let all: Vec<&AttemptOutcome> = outcomes.iter().collect();
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            let changes = record_in(&mut tx, &all).await?;
            tx.commit().await?;
            Ok(changes)
        }

        async fn record_attempt_alone(conn: &mut sqlx::pool::PoolConnection<$db>, outcome: &AttemptOutcome) -> Result<HealthChange> {
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            let change = record_in(&mut tx, &[outcome]).await?;
            tx.commit().await?;
            Ok(change.into_iter().next().unwrap_or_default())
        }

        /// Stores attempts and moves their deliveries (and their subscriptions' health) on: the attempt
        /// rows and the delivery updates as multi-row statements, the health per subscription.
        async fn record_in(tx: &mut sqlx::Transaction<'_, $db>, outcomes: &[&AttemptOutcome]) -> Result<Vec<HealthChange>> {
            bulk::insert_attempts(tx, outcomes).await?;
            bulk::finish_deliveries(tx, outcomes).await?;
            // A success changes nothing for a subscription that is healthy already (no run of failures, no
            // dead deliveries counted), which is the usual case: one statement finds the others.
            let mut healthy: std::collections::HashSet<&str> = outcomes
                .iter()
                .filter(|o| o.track_health && o.status == $crate::domain::DeliveryStatus::Succeeded)
                .map(|o| o.subscription_id.as_str())
                .collect();
            if !healthy.is_empty() {
                let mut select = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id FROM subscriptions WHERE (failing_since IS NOT NULL OR dead_count > 0) AND id IN (",
                );
                push_ids(&mut select, healthy.iter().copied());
                let unhealthy: Vec<(String,)> = select.build_query_as().fetch_all(&mut **tx).await?;
                for (id,) in &unhealthy {
                    healthy.remove(id.as_str());
                }
            }
            // Subscription rows are updated in one order, so that two nodes' groups cannot deadlock on them.
            let mut order: Vec<usize> = (0..outcomes.len()).collect();
            order.sort_by(|&a, &b| outcomes[a].subscription_id.cmp(&outcomes[b].subscription_id));
            let mut changes = vec![HealthChange::default(); outcomes.len()];
            for i in order {
                let outcome = outcomes[i];
                let subscription = outcome.subscription_id.as_str();
                if outcome.disable_subscription.is_none() {
                    if !outcome.track_health {
                        continue;
                    }
                    if outcome.status == $crate::domain::DeliveryStatus::Succeeded && healthy.contains(subscription) {
                        continue;
                    }
                }
                changes[i] = health_in(tx, outcome).await?;
                if outcome.status == $crate::domain::DeliveryStatus::Succeeded {
                    healthy.insert(subscription);
                } else {
                    healthy.remove(subscription);
                }
            }
            Ok(changes)
        }

        /// Moves one attempt's subscription health on (and disables it on 410 Gone).
        async fn health_in(tx: &mut sqlx::Transaction<'_, $db>, outcome: &AttemptOutcome) -> Result<HealthChange> {
            let a = &outcome.attempt;
            let finished = a.started_at + a.duration_ms;
            if let Some(subscription) = &outcome.disable_subscription {
                sqlx::query("UPDATE subscriptions SET status = 'disabled', updated_at = $1 WHERE id = $2 AND status = 'enabled'")
                    .bind(finished)
                    .bind(subscription)
                    .execute(&mut **tx)
                    .await?;
            }
            let mut change = HealthChange::default();
            if outcome.track_health && outcome.status == $crate::domain::DeliveryStatus::Succeeded {
                change.recovered = sqlx::query(
                    "UPDATE subscriptions SET failing_since = NULL, dead_count = 0 WHERE id = $1 AND dead_count > 0",
                )
                .bind(&outcome.subscription_id)
                .execute(&mut **tx)
                .await?
                .rows_affected() > 0;
                sqlx::query("UPDATE subscriptions SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL")
                    .bind(&outcome.subscription_id)
                    .execute(&mut **tx)
                    .await?;
            } else if outcome.track_health {
                sqlx::query(
                    "UPDATE subscriptions SET failing_since = COALESCE(failing_since, $1), dead_count = dead_count + $2 WHERE id = $3",
                )
                .bind(a.started_at)
                .bind(i32::from(outcome.status == $crate::domain::DeliveryStatus::Dead))
                .bind(&outcome.subscription_id)
                .execute(&mut **tx)
                .await?;
                change.locked = sqlx::query(
                    "UPDATE subscriptions SET status = 'locked', updated_at = $1 WHERE id = $2 AND status = 'enabled' \
                     AND failing_since <= $3 AND dead_count >= $4",
                )
                .bind(finished)
                .bind(&outcome.subscription_id)
                .bind(finished.saturating_sub(outcome.lock.failing_for_ms))
                .bind(outcome.lock.min_dead)
                .execute(&mut **tx)
                .await?
                .rows_affected() > 0;
            }
            Ok(change)
        }

        /// The answer for each of `n` writes of a group that could not reach the database.
        fn unavailable<T>(error: &StoreError, n: usize) -> Vec<Result<T>> {
            let fault = $crate::store::health::Fault::of(error).unwrap_or($crate::store::health::Fault::Unreachable);
            // An error that is a group's answer already keeps its message rather than wrapping it again.
            let message = match error {
                StoreError::Unavailable { message, .. } => message.clone(),
                other => other.to_string(),
            };
            (0..n)
                .map(|_| Err(StoreError::Unavailable { fault, message: message.clone() }))
                .collect()
        }

        /// Binds `ids` as the list of the `IN (` just pushed, and closes it.
        fn push_ids<'q, S: AsRef<str> + ?Sized + 'q>(query: &mut sqlx::QueryBuilder<'q, $db>, ids: impl IntoIterator<Item = &'q S>) {
            let mut list = query.separated(", ");
            for id in ids {
                list.push_bind(id.as_ref());
            }
            query.push(")");
        }

        impl $store {
            /// The committing task(s) of the store's grouped writes, writing through `writer`; `shared`: one
            /// task commits publishes and attempt records together.
            fn group_writes(
                writer: &sqlx::Pool<$db>,
                health: &std::sync::Arc<$crate::store::health::StorageHealth>,
                shared: bool,
            ) -> Writes {
                let pool = writer.clone();
                let health = health.clone();
                GroupCommits::spawn(shared, move |events, outcomes| {
                    let pool = pool.clone();
                    let health = health.clone();
                    async move { write_group(&pool, &health, events, outcomes).await }
                })
            }

            /// The claimed deliveries with what their attempts need.
            async fn jobs(
                tx: &mut sqlx::Transaction<'_, $db>,
                claimed: &[(String,)],
            ) -> Result<Vec<DeliveryJob>> {
                if claimed.is_empty() {
                    return Ok(Vec::new());
                }
                let mut select = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", job_cols!(), " WHERE d.id IN ("));
                push_ids(&mut select, claimed.iter().map(|(id,)| id));
                select.push(" ORDER BY d.next_attempt_at, d.id");
                Ok(select.build_query_as().fetch_all(&mut **tx).await?)
            }
        }
    };
}

pub(crate) use {
    account_cols, app_cols, attempt_cols, attempt_succeeded, delivery_cols, event_cols, impl_store,
    job_cols, key_cols, subscription_cols,
};
