//! Replay, rate and pacing guards. Nonces are stored; call counting and pacing are the backend's own
//! (`count_call`, `pace_slot`: in memory for SQLite, in the database for PostgreSQL).

macro_rules! impl_guards {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Guards for $store {
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
    };
}

pub(crate) use impl_guards;
