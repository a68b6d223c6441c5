//! Reading events, deliveries and attempts back.

macro_rules! impl_records {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Records for $store {
            async fn get_event(&self, account_id: &str, app_id: &str, id: &str) -> Result<Option<EventRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_read_cols!(), " FROM events WHERE account_id = $1 AND app_id = $2 AND id = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?)
            }

            async fn get_event_by_idempotency_key(&self, account_id: &str, app_id: &str, key: &str) -> Result<Option<EventRow>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT ", event_read_cols!(), " FROM events WHERE account_id = $1 AND app_id = $2 AND idempotency_key = $3"
                ))
                .bind(account_id)
                .bind(app_id)
                .bind(key)
                .fetch_optional(&self.writer)
                .await?)
            }

            async fn search_events(&self, account_id: &str, app_id: &str, search: &EventSearch, page: &Page) -> Result<Vec<EventRow>> {
                let mut query = Self::event_search(account_id, app_id, search, page, concat!("SELECT ", event_read_cols!()));
                Ok(query.build_query_as().fetch_all(&self.reader).await?)
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
                    "SELECT ", attempt_cols!(), " FROM attempts WHERE delivery_id = $1 UNION ALL SELECT ",
                    first_attempt_cols!(),
                    " FROM deliveries d WHERE d.id = $1 AND d.first_attempt_id IS NOT NULL ORDER BY attempt_no, id"
                ))
                .bind(delivery_id)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn delivery_job(&self, account_id: &str, id: &str) -> Result<Option<DeliveryJob>> {
                let row: Option<$crate::store::JobRow> =
                    sqlx::query_as(concat!("SELECT ", job_cols!(), " WHERE d.account_id = $1 AND d.id = $2"))
                        .bind(account_id)
                        .bind(id)
                        .fetch_optional(&self.reader)
                        .await?;
                Ok(row.and_then(|row| $crate::store::jobs_of(vec![row]).pop()))
            }
        }

        impl $store {
            /// The search's statement: `select` and the conditions `search` asks for, newest first. Times
            /// bound the id too (ids begin with their creation time, `new_id`), so that a time range reads a
            /// range of the app's index rather than filtering all of it.
            fn event_search<'q>(
                account_id: &'q str,
                app_id: &'q str,
                search: &'q EventSearch,
                page: &'q Page,
                select: &'static str,
            ) -> sqlx::QueryBuilder<'q, $db> {
                let mut query = sqlx::QueryBuilder::<$db>::new(select);
                query.push(" FROM events WHERE account_id = ").push_bind(account_id);
                query.push(" AND app_id = ").push_bind(app_id);
                if let Some(t) = &search.event_type {
                    query.push(" AND event_type = ").push_bind(t.as_str());
                }
                if let Some((low, high)) = &search.type_range() {
                    query.push(" AND event_type >= ").push_bind(low.clone());
                    query.push(" AND event_type < ").push_bind(high.clone());
                }
                if let Some(c) = &search.channel_id {
                    query.push(" AND channel_id = ").push_bind(c.as_str());
                }
                if let Some(after) = search.after {
                    query.push(" AND created_at >= ").push_bind(after);
                    query.push(" AND id >= ").push_bind(EventSearch::id_bound(after - EventSearch::ID_MARGIN_MS));
                }
                if let Some(before) = search.before {
                    query.push(" AND created_at < ").push_bind(before);
                    query.push(" AND id < ").push_bind(EventSearch::id_bound(before + EventSearch::ID_MARGIN_MS));
                }
                for (path, value) in &search.payload {
                    query.push(" AND ");
                    Self::push_payload_text(&mut query, path);
                    query.push(" = ").push_bind(value.as_str());
                }
                if let Some(after) = &page.after {
                    query.push(" AND id < ").push_bind(after.as_str());
                }
                query.push(" ORDER BY id DESC LIMIT ").push_bind(page.limit);
                query
            }
        }
    };
}

pub(crate) use impl_records;
