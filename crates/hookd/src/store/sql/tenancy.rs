//! Accounts, keys, access tokens, apps and subscriptions, and the read caches in front of them.
//! `$for_update` locks a row for the rest of the transaction.

macro_rules! impl_tenancy {
    ($store:ty, $db:ty, for_update = $for_update:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Tenancy for $store {
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
                    "UPDATE apps SET name = $1, max_subscriptions = $2, updated_at = $3, schema_validation = $6, catalog_only = $7, \
                     retention_ms = $8 WHERE account_id = $4 AND id = $5",
                )
                .bind(&app.name)
                .bind(app.max_subscriptions)
                .bind(app.updated_at)
                .bind(&app.account_id)
                .bind(&app.id)
                .bind(&app.schema_validation)
                .bind(app.catalog_only)
                .bind(app.retention_ms)
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
                    "INSERT INTO subscriptions (", subscription_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
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
                .bind(&sub.payload_filter)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
                tx.commit().await?;
                self.caches.subscriptions.clear();
                Ok(())
            }

            async fn get_subscription(&self, account_id: &str, app_id: &str, id: &str) -> Result<Option<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_read_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND id = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?)
            }

            async fn list_subscriptions(&self, account_id: &str, app_id: &str, page: &Page) -> Result<Vec<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_read_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn enabled_subscriptions(&self, account_id: &str, app_id: &str) -> Result<std::sync::Arc<$crate::store::AppSubscriptions>> {
                let cache_key = cache_key(account_id, app_id);
                self.caches.subscriptions.get_or_load(&cache_key, |expired| async move {
                    use futures_util::TryStreamExt as _;
                    // Row by row, each unchanged one replaced at once by what the expired entry holds.
                    let mut rows = sqlx::query_as::<_, SubscriptionRow>(concat!(
                        "SELECT ", subscription_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 AND status = 'enabled' ORDER BY id"
                    ))
                    .bind(account_id)
                    .bind(app_id)
                    .fetch(&self.reader);
                    let mut read_again = $crate::store::AppSubscriptions::read_again(expired.as_deref());
                    let mut all = Vec::with_capacity(expired.as_ref().map_or(0, |e| e.len()));
                    while let Some(row) = rows.try_next().await? {
                        all.push(read_again(row));
                    }
                    Ok(all.into())
                }).await
            }

            async fn subscriptions_by_source(&self, account_id: &str, app_id: &str, prefix: &str) -> Result<Vec<SubscriptionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", subscription_read_cols!(), " FROM subscriptions WHERE account_id = $1 AND app_id = $2 \
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
                     retry = $12, timeout_ms = $13, public_key = $14, rate_limit = $15, ordering = $16, batch = $17, \
                     payload_filter = $21 WHERE account_id = $18 AND app_id = $19 AND id = $20",
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
                .bind(&sub.payload_filter)
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
        }

        async fn insert_app<'c, E>(conn: E, app: &AppRow) -> Result<()>
        where
            E: sqlx::Executor<'c, Database = $db>,
        {
            sqlx::query(concat!("INSERT INTO apps (", app_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
                .bind(&app.account_id)
                .bind(&app.id)
                .bind(&app.kind)
                .bind(&app.name)
                .bind(app.max_subscriptions)
                .bind(app.created_at)
                .bind(app.updated_at)
                .bind(&app.schema_validation)
                .bind(app.catalog_only)
                .bind(app.retention_ms)
                .execute(conn)
                .await
                .map_err(StoreError::from_write)?;
            Ok(())
        }
    };
}

pub(crate) use impl_tenancy;
