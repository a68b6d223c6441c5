//! Apps' event-type catalogs, and each app's catalog compiled for publishing (cached like the app's
//! subscriptions: cleared by a write through this store, trusted for `cache::TTL` otherwise).

macro_rules! impl_catalogs {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Catalogs for $store {
            async fn insert_event_type(&self, row: &$crate::store::EventTypeRow) -> Result<()> {
                sqlx::query(concat!(
                    "INSERT INTO event_types (", event_type_cols!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(&row.account_id)
                .bind(&row.app_id)
                .bind(&row.name)
                .bind(&row.description)
                .bind(&row.group_name)
                .bind(row.deprecated)
                .bind(row.archived_at)
                .bind(&row.versions)
                .bind(row.created_at)
                .bind(row.updated_at)
                .execute(&self.writer)
                .await
                .map_err(StoreError::from_write)?;
                self.caches.catalogs.clear();
                Ok(())
            }

            async fn get_event_type(&self, account_id: &str, app_id: &str, name: &str) -> Result<Option<$crate::store::EventTypeRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_type_cols!(), " FROM event_types WHERE account_id = $1 AND app_id = $2 AND name = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(name)
                .fetch_optional(&self.reader)
                .await?)
            }

            async fn list_event_types(&self, account_id: &str, app_id: &str, archived: bool, page: &Page) -> Result<Vec<$crate::store::EventTypeRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_type_cols!(), " FROM event_types WHERE account_id = $1 AND app_id = $2 \
                     AND ($3 OR archived_at IS NULL) AND ($4 IS NULL OR name > $4) ORDER BY name LIMIT $5"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(archived)
                .bind(&page.after)
                .bind(page.limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn update_event_type(&self, row: &$crate::store::EventTypeRow, was: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE event_types SET description = $1, group_name = $2, deprecated = $3, archived_at = $4, \
                     versions = $5, updated_at = $6 WHERE account_id = $7 AND app_id = $8 AND name = $9 AND updated_at = $10",
                )
                .bind(&row.description)
                .bind(&row.group_name)
                .bind(row.deprecated)
                .bind(row.archived_at)
                .bind(&row.versions)
                .bind(row.updated_at)
                .bind(&row.account_id)
                .bind(&row.app_id)
                .bind(&row.name)
                .bind(was)
                .execute(&self.writer)
                .await
                .map_err(StoreError::from_write)?;
                self.caches.catalogs.clear();
                Ok(done.rows_affected() > 0)
            }

            async fn catalog(&self, account_id: &str, app_id: &str) -> Result<std::sync::Arc<$crate::domain::catalog::Catalog>> {
                let cache_key = cache_key(account_id, app_id);
                let generation = match self.caches.catalogs.get(&cache_key) {
                    Ok(catalog) => return Ok(catalog),
                    Err(generation) => generation,
                };
                let rows: Vec<$crate::store::EventTypeRow> = sqlx::query_as(concat!(
                    "SELECT ", event_type_cols!(), " FROM event_types WHERE account_id = $1 AND app_id = $2"
                ))
                .bind(account_id)
                .bind(app_id)
                .fetch_all(&self.reader)
                .await?;
                let mut catalog = $crate::domain::catalog::Catalog::default();
                for row in rows {
                    let versions = row.versions()?;
                    catalog.insert(row.name, row.archived_at.is_some(), row.deprecated, &versions);
                }
                Ok(self.caches.catalogs.put(cache_key, catalog, generation))
            }
        }
    };
}

pub(crate) use impl_catalogs;
