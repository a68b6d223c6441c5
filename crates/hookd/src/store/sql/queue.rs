//! The delivery queue: leasing due deliveries, returning them, requeueing, and retention.
//! The statements on the claim path name their sets of ids with one parameter (`push_id_set`, per
//! backend), so that their text does not change with the number of ids and each is prepared once.
//! `$skip_locked` locks the leased rows, skipping rows others hold; `$stored_order` is the column that
//! orders deliveries as they were stored.

/// Retention's rule for a delivery (`d`) whose attempt log goes: finished, and last changed longer ago
/// than its app keeps logs (`$3` now, `$4` the server's default) and than any app does (`$1`). Both parts of
/// a log use it: the rows of `attempts` and the first attempt kept in the delivery's row.
macro_rules! log_expired {
    () => {
        "LEFT JOIN apps p ON p.account_id = d.account_id AND p.id = d.app_id \
         WHERE d.status IN ('succeeded', 'dead', 'cancelled') AND d.updated_at < $1 \
         AND d.updated_at < $3 - COALESCE(p.retention_ms, $4)"
    };
}

/// The deliveries a replay sends again: the account's (`$account`) dead and retrying deliveries of one
/// subscription (`$sub`) created at or after `$since`, whose payload is still there. Replay and its dry
/// run select by this one condition, so the count shown is what is queued.
macro_rules! replayable {
    ($account:literal, $sub:literal, $since:literal) => {
        concat!(
            "account_id = ",
            $account,
            " AND subscription_id = ",
            $sub,
            " AND status IN ('dead', 'retrying') AND created_at >= ",
            $since,
            " AND event_id IN (SELECT id FROM events WHERE payload_expired_at IS NULL)"
        )
    };
}

macro_rules! impl_queue {
    ($store:ty, $db:ty, skip_locked = $skip_locked:literal, stored_order = $stored_order:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Queue for $store {
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
                    concat!(
                        "UPDATE deliveries SET status = CASE WHEN attempts = 0 THEN 'pending' ELSE 'retrying' END, \
                         next_attempt_at = $1, updated_at = $1 WHERE ",
                        replayable!("$2", "$3", "$4")
                    ),
                )
                .bind(now)
                .bind(account_id)
                .bind(subscription_id)
                .bind(since)
                .execute(&self.writer)
                .await?;
                Ok(done.rows_affected())
            }

            async fn count_failed(&self, account_id: &str, subscription_id: &str, since: i64) -> Result<u64> {
                let (count,): (i64,) = sqlx::query_as(concat!(
                    "SELECT COUNT(*) FROM deliveries WHERE ",
                    replayable!("$1", "$2", "$3")
                ))
                .bind(account_id)
                .bind(subscription_id)
                .bind(since)
                .fetch_one(&self.reader)
                .await?;
                Ok(u64::try_from(count).unwrap_or(0))
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
                let full: Vec<&String> = room.iter().filter(|(_, n)| **n <= 0).map(|(id, _)| id).collect();
                // While some subscriptions are at their cap, the backend may read the due work of those with
                // room by subscription rather than walk past the others' backlog.
                let by_subscription = if full.is_empty() {
                    None
                } else {
                    self.due_with_room(&mut tx, room, now, limit).await?
                };
                let candidates = match by_subscription {
                    Some(candidates) => candidates,
                    None => {
                        // The oldest due deliveries of subscriptions with free attempt slots (of a fifo
                        // subscription only its oldest unfinished one). A plain index walk: the ranking is
                        // done here, not in SQL, because planners turned a ranking subquery into a scan per
                        // row once backlogs grew.
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
                        if !full.is_empty() {
                            select.push(" AND d.subscription_id");
                            push_id_set(&mut select, false, full);
                        }
                        select.push(" ORDER BY d.next_attempt_at, d.id LIMIT ").push_bind(limit.saturating_mul(4));
                        select.build_query_as().fetch_all(&mut *tx).await?
                    }
                };
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
                    .push(" AND d.id");
                push_id_set(&mut lease, true, chosen);
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
                let mut tx = self.writer.begin().await?;
                let mut lease = sqlx::QueryBuilder::<$db>::new("UPDATE deliveries SET status = 'delivering', lease_owner = ");
                lease
                    .push_bind(owner)
                    .push(", lease_until = ")
                    .push_bind(lease_until)
                    .push(", updated_at = ")
                    .push_bind(now)
                    .push(" WHERE id IN (SELECT d.id FROM deliveries d WHERE d.subscription_id = ")
                    .push_bind(subscription_id)
                    .push(" AND (d.status = 'pending' OR (d.status = 'retrying' AND d.next_attempt_at <= ")
                    .push_bind(now)
                    .push(")) AND d.event_id IN (SELECT id FROM events WHERE payload_expired_at IS NULL) AND d.id");
                push_id_set(&mut lease, false, lead);
                lease
                    .push(" ORDER BY d.id LIMIT ")
                    .push_bind(limit)
                    .push($skip_locked)
                    .push(") RETURNING id");
                let claimed: Vec<(String,)> = lease.build_query_as().fetch_all(&mut *tx).await?;
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

            async fn waiting_count(&self, now: i64, cap: i64) -> Result<i64> {
                // Counted through `deliveries_due`, and no further than `cap`: a large backlog costs no
                // more to look at than the bound does.
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE status IN ('pending', 'retrying') \
                     AND next_attempt_at <= $1 LIMIT $2) AS waiting",
                )
                .bind(now)
                .bind(cap)
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
                        .push(" AND id");
                    push_id_set(&mut update, true, chunk);
                    update.build().execute(&self.writer).await?;
                }
                Ok(())
            }

            async fn refresh_statistics(&self) -> Result<Vec<String>> {
                self.analyze_stale().await
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

            async fn expire(&self, keep_ms: i64, now: i64, batch: i64) -> Result<(u64, u64)> {
                // The shortest retention of any app bounds which events can be due at all (an index range).
                let (shortest,): (Option<i64>,) = sqlx::query_as("SELECT MIN(retention_ms) FROM apps")
                    .fetch_one(&self.reader)
                    .await?;
                let oldest_kept = now.saturating_sub(shortest.map_or(keep_ms, |s| s.min(keep_ms)));
                // One batch of each part of the logs: the rows of `attempts`, and the first attempts kept in
                // their deliveries' rows.
                let mut attempts = 0;
                for statement in [
                    concat!(
                        "DELETE FROM attempts WHERE id IN (SELECT a.id FROM attempts a JOIN deliveries d ON d.id = a.delivery_id ",
                        log_expired!(),
                        " LIMIT $2)"
                    ),
                    concat!(
                        "UPDATE deliveries SET first_attempt_id = NULL, first_started_at = NULL, first_duration_ms = NULL, \
                         first_status_code = NULL, first_response_excerpt = NULL WHERE id IN (SELECT d.id FROM deliveries d ",
                        log_expired!(),
                        " AND d.first_attempt_id IS NOT NULL LIMIT $2)"
                    ),
                ] {
                    attempts += sqlx::query(statement)
                        .bind(oldest_kept)
                        .bind(batch)
                        .bind(now)
                        .bind(keep_ms)
                        .execute(&self.writer)
                        .await?
                        .rows_affected();
                }
                let payloads = sqlx::query(
                    "UPDATE events SET payload = 'null', schema_violations = NULL, payload_expired_at = $1 WHERE id IN (SELECT e.id FROM events e \
                     LEFT JOIN apps p ON p.account_id = e.account_id AND p.id = e.app_id \
                     WHERE e.payload_expired_at IS NULL AND e.created_at < $2 AND e.created_at < $1 - COALESCE(p.retention_ms, $4) \
                     AND NOT EXISTS (SELECT 1 FROM deliveries d \
                     WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying', 'delivering')) LIMIT $3)",
                )
                .bind(now)
                .bind(oldest_kept)
                .bind(batch)
                .bind(keep_ms)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok((attempts, payloads))
            }

            async fn erase_event(&self, account_id: &str, app_id: &str, id: &str, now: i64) -> Result<Option<EventRow>> {
                let mut tx = self.writer.begin().await.map_err(StoreError::from_write)?;
                let erased = sqlx::query(
                    "UPDATE events SET payload = 'null', schema_violations = NULL, erased_at = COALESCE(erased_at, $1), \
                     payload_expired_at = COALESCE(payload_expired_at, $1) WHERE account_id = $2 AND app_id = $3 AND id = $4",
                )
                .bind(now)
                .bind(account_id)
                .bind(app_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_write)?
                .rows_affected();
                if erased == 0 {
                    return Ok(None);
                }
                // The receivers' answers may quote the payload: both parts of the attempt logs lose them.
                for statement in [
                    "UPDATE attempts SET response_excerpt = NULL WHERE response_excerpt IS NOT NULL \
                     AND delivery_id IN (SELECT id FROM deliveries WHERE event_id = $1)",
                    "UPDATE deliveries SET first_response_excerpt = NULL WHERE event_id = $1 AND first_response_excerpt IS NOT NULL",
                ] {
                    sqlx::query(statement)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from_write)?;
                }
                let event = sqlx::query_as(concat!("SELECT ", event_read_cols!(), " FROM events WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await.map_err(StoreError::from_write)?;
                Ok(event)
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

            async fn queue_depth(&self) -> Result<i64> {
                Ok($crate::store::Activity::queue_by_status(self, None).await?.iter().map(|(_, n)| n).sum())
            }
        }

        impl $store {
            /// The claimed deliveries with what their attempts need.
            async fn jobs(
                tx: &mut sqlx::Transaction<'_, $db>,
                claimed: &[(String,)],
            ) -> Result<Vec<DeliveryJob>> {
                if claimed.is_empty() {
                    return Ok(Vec::new());
                }
                let mut select = sqlx::QueryBuilder::<$db>::new(concat!("SELECT ", job_cols!(), " WHERE d.id"));
                push_id_set(&mut select, true, claimed.iter().map(|(id,)| id));
                select.push(" ORDER BY d.next_attempt_at, d.id");
                let rows: Vec<$crate::store::JobRow> = select.build_query_as().fetch_all(&mut **tx).await?;
                Ok($crate::store::jobs_of(rows))
            }
        }
    };
}

pub(crate) use {impl_queue, log_expired, replayable};
