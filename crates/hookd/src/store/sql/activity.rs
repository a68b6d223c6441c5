//! Counts and logs over time for the console and the metrics.

macro_rules! impl_activity {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Activity for $store {
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

            async fn subscription_health(&self, account_id: Option<&str>) -> Result<Vec<$crate::store::HealthCountRow>> {
                let mut select = sqlx::QueryBuilder::<$db>::new(
                    "SELECT account_id, app_id, status, failing_since IS NOT NULL AS failing, COUNT(*) AS count FROM subscriptions",
                );
                if let Some(account_id) = account_id {
                    select.push(" WHERE account_id = ").push_bind(account_id);
                }
                select.push(" GROUP BY account_id, app_id, status, failing_since IS NOT NULL ORDER BY account_id, app_id");
                Ok(select.build_query_as().fetch_all(&self.reader).await?)
            }

            async fn failure_groups(&self, account_id: &str, subscription_id: &str, limit: i64) -> Result<Vec<$crate::store::FailureGroupRow>> {
                Ok(sqlx::query_as(
                    "SELECT last_failure AS failure, last_status_code AS status_code, last_error AS error, \
                     SUM(CASE WHEN status = 'retrying' THEN 1 ELSE 0 END) AS retrying, \
                     SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead, \
                     MAX(updated_at) AS latest_at, MAX(id) AS delivery_id \
                     FROM deliveries WHERE subscription_id = $1 AND account_id = $2 AND status IN ('retrying', 'dead') \
                     GROUP BY last_failure, last_status_code, last_error ORDER BY COUNT(*) DESC, MAX(id) DESC LIMIT $3",
                )
                .bind(subscription_id)
                .bind(account_id)
                .bind(limit)
                .fetch_all(&self.reader)
                .await?)
            }

            async fn delivery_counts(&self, account_id: &str, event_ids: &[&str]) -> Result<Vec<(String, String, i64)>> {
                if event_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut select = sqlx::QueryBuilder::<$db>::new("SELECT event_id, status, COUNT(*) FROM deliveries WHERE account_id = ");
                select.push_bind(account_id).push(" AND event_id IN (");
                let mut list = select.separated(", ");
                for id in event_ids {
                    list.push_bind(*id);
                }
                select.push(") GROUP BY event_id, status");
                Ok(select.build_query_as().fetch_all(&self.reader).await?)
            }

            async fn list_account_attempts(
                &self,
                account_id: &str,
                app_id: Option<&str>,
                after: Option<&str>,
                limit: i64,
            ) -> Result<Vec<AttemptEntryRow>> {
                let mut select = Self::account_attempts("", account_id, app_id, after, limit);
                let mut rows: Vec<AttemptEntryRow> = select.build_query_as().fetch_all(&self.reader).await?;
                if after.is_none() {
                    rows.reverse();
                }
                Ok(rows)
            }

            async fn attempt_counts(
                &self,
                scope: $crate::store::CountScope<'_>,
                buckets: $crate::store::Buckets,
            ) -> Result<Vec<$crate::store::AttemptCount>> {
                use $crate::store::CountScope;
                // Two parts, summed per bucket: the attempts of `attempts` (joined to their deliveries for the
                // scope) and the first attempts kept in their deliveries' rows, all of which succeeded.
                let mut select = sqlx::QueryBuilder::<$db>::new(
                    "SELECT bucket, CAST(SUM(succeeded) AS BIGINT) AS succeeded, CAST(SUM(failed) AS BIGINT) AS failed \
                     FROM (SELECT (a.started_at - ",
                );
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
                // The same holds for the kept first attempts and `deliveries_first_started`.
                let (started, first_started) = match scope {
                    CountScope::Server => ("a.started_at", "d.first_started_at"),
                    _ => ("(a.started_at + 0)", "(d.first_started_at + 0)"),
                };
                Self::push_count_range(&mut select, started, scope, buckets);
                select.push(" GROUP BY 1 UNION ALL SELECT (d.first_started_at - ");
                select
                    .push_bind(buckets.since)
                    .push(") / ")
                    .push_bind(buckets.width_ms)
                    .push(" AS bucket, COUNT(*) AS succeeded, 0 AS failed FROM deliveries d WHERE d.first_attempt_id IS NOT NULL AND ");
                Self::push_count_range(&mut select, first_started, scope, buckets);
                select.push(" GROUP BY 1) counts GROUP BY bucket");
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
        }

        impl $store {
            /// The account's attempt feed, after `head` (empty, or the backend's `EXPLAIN`): the attempts of
            /// `attempts` and those kept in their deliveries' rows, each part read newest first (or from the
            /// cursor on) up to the limit, then merged; newest first without a cursor, oldest first after
            /// one. The kept part is read in order through `deliveries_account_first`; the other part is
            /// found from the account's deliveries.
            fn account_attempts<'q>(
                head: &'static str,
                account_id: &'q str,
                app_id: Option<&'q str>,
                after: Option<&'q str>,
                limit: i64,
            ) -> sqlx::QueryBuilder<'q, $db> {
                let order = if after.is_some() { " ASC" } else { " DESC" };
                let mut select = sqlx::QueryBuilder::<$db>::new(head);
                select.push(
                    "SELECT * FROM (SELECT a.id, a.delivery_id, a.attempt_no, a.started_at, a.duration_ms, a.status_code, a.error, \
                     a.response_excerpt, a.failure, d.event_id, e.event_type, d.subscription_id, d.app_id, d.status AS delivery_status \
                     FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id \
                     WHERE d.account_id = ",
                );
                select.push_bind(account_id);
                if let Some(app_id) = app_id {
                    select.push(" AND d.app_id = ").push_bind(app_id);
                }
                if let Some(after) = after {
                    select.push(" AND a.id > ").push_bind(after);
                }
                select.push(" ORDER BY a.id").push(order).push(" LIMIT ").push_bind(limit);
                select.push(concat!(
                    ") kept_apart UNION ALL SELECT * FROM (SELECT ",
                    first_attempt_cols!(),
                    ", d.event_id, e.event_type, d.subscription_id, d.app_id, d.status AS delivery_status \
                     FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.first_attempt_id IS NOT NULL AND d.account_id = ",
                ));
                select.push_bind(account_id);
                if let Some(app_id) = app_id {
                    select.push(" AND d.app_id = ").push_bind(app_id);
                }
                if let Some(after) = after {
                    select.push(" AND d.first_attempt_id > ").push_bind(after);
                }
                select
                    .push(" ORDER BY d.first_attempt_id")
                    .push(order)
                    .push(" LIMIT ")
                    .push_bind(limit)
                    .push(") kept_in_delivery ORDER BY id")
                    .push(order)
                    .push(" LIMIT ")
                    .push_bind(limit);
                select
            }

            /// `started` (an attempt's start) within `buckets`, and the deliveries (`d`) within `scope`.
            fn push_count_range<'q>(
                select: &mut sqlx::QueryBuilder<'q, $db>,
                started: &str,
                scope: $crate::store::CountScope<'q>,
                buckets: $crate::store::Buckets,
            ) {
                use $crate::store::CountScope;
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
            }
        }
    };
}

pub(crate) use impl_activity;
