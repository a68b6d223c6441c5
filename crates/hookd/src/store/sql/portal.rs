//! Customer-portal sessions and settings. Sessions are read on every call a portal token makes, by
//! primary key; they are never cached, so that a revocation holds at once on every node.

macro_rules! portal_session_cols {
    () => {
        "id, account_id, app_id, secret_hash, capability, event_types, description, created_at, expires_at, revoked_at"
    };
}

macro_rules! impl_portals {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Portals for $store {
            async fn insert_portal_session(&self, row: &$crate::store::PortalSessionRow) -> Result<()> {
                const DAY_MS: i64 = 86_400_000;
                let mut tx = self.writer.begin().await?;
                sqlx::query("DELETE FROM portal_sessions WHERE expires_at < $1 OR revoked_at < $1")
                    .bind(row.created_at - DAY_MS)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(concat!(
                    "INSERT INTO portal_sessions (", portal_session_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(&row.id)
                .bind(&row.account_id)
                .bind(&row.app_id)
                .bind(&row.secret_hash)
                .bind(&row.capability)
                .bind(&row.event_types)
                .bind(&row.description)
                .bind(row.created_at)
                .bind(row.expires_at)
                .bind(row.revoked_at)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_portal_session(&self, id: &str) -> Result<Option<$crate::store::PortalSessionRow>> {
                Ok(sqlx::query_as(concat!("SELECT ", portal_session_cols!(), " FROM portal_sessions WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }

            async fn list_portal_sessions(&self, account_id: &str, app_id: &str, now: i64) -> Result<Vec<$crate::store::PortalSessionRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", portal_session_cols!(), " FROM portal_sessions WHERE account_id = $1 AND app_id = $2 \
                     AND expires_at > $3 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1000"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(now)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn revoke_portal_session(&self, account_id: &str, app_id: &str, id: &str, now: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE portal_sessions SET revoked_at = $1 WHERE account_id = $2 AND app_id = $3 AND id = $4 \
                     AND revoked_at IS NULL AND expires_at > $1",
                )
                .bind(now)
                .bind(account_id)
                .bind(app_id)
                .bind(id)
                .execute(&self.writer)
                .await
                .map_err(StoreError::from_write)?;
                Ok(done.rows_affected() > 0)
            }

            async fn get_portal_settings(&self, account_id: &str) -> Result<Option<$crate::store::PortalSettingsRow>> {
                Ok(sqlx::query_as(
                    "SELECT account_id, allowed_origins, product_name, logo_url, primary_color, updated_at \
                     FROM portal_settings WHERE account_id = $1",
                )
                .bind(account_id)
                .fetch_optional(&self.reader)
                .await?)
            }

            async fn put_portal_settings(&self, row: &$crate::store::PortalSettingsRow) -> Result<()> {
                sqlx::query(
                    "INSERT INTO portal_settings (account_id, allowed_origins, product_name, logo_url, primary_color, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account_id) DO UPDATE SET \
                     allowed_origins = excluded.allowed_origins, product_name = excluded.product_name, \
                     logo_url = excluded.logo_url, primary_color = excluded.primary_color, updated_at = excluded.updated_at",
                )
                .bind(&row.account_id)
                .bind(&row.allowed_origins)
                .bind(&row.product_name)
                .bind(&row.logo_url)
                .bind(&row.primary_color)
                .bind(row.updated_at)
                .execute(&self.writer)
                .await
                .map_err(StoreError::from_write)?;
                Ok(())
            }
        }
    };
}

pub(crate) use {impl_portals, portal_session_cols};
