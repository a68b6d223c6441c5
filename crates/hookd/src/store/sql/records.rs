//! Reading events, deliveries and attempts back.

macro_rules! impl_records {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Records for $store {
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

            async fn delivery_job(&self, account_id: &str, id: &str) -> Result<Option<DeliveryJob>> {
                Ok(sqlx::query_as(concat!("SELECT ", job_cols!(), " WHERE d.account_id = $1 AND d.id = $2"))
                    .bind(account_id)
                    .bind(id)
                    .fetch_optional(&self.reader)
                    .await?)
            }
        }
    };
}

pub(crate) use impl_records;
