//! The grouped writes: publishes and attempt records submitted to the store's committing task(s), which
//! write each group in as few transactions as it can (see `store/group.rs`). The multi-row statements
//! differ per backend: each backend's `bulk` module has them.

macro_rules! impl_group_writes {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::GroupWrites for $store {
            async fn insert_event(&self, event: &EventRow, deliveries: &[NewDelivery]) -> Result<EventInsert> {
                self.writes.submit_first((event.clone(), deliveries.to_vec())).await
            }

            async fn record_attempt(&self, outcome: &AttemptOutcome) -> Result<HealthChange> {
                let change = self.writes.submit_second(outcome.clone()).await;
                // A subscription disabled by 410 Gone or locked no longer receives new events.
                if outcome.disable_subscription.is_some() || change.as_ref().is_ok_and(|c| c.locked) {
                    self.caches.subscriptions.clear();
                }
                change
            }
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
            let events = event_refs(events);
            let outcomes: Vec<&AttemptOutcome> = outcomes.iter().collect();
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            let changes = write_rows_in(&mut tx, &events, &outcomes).await?;
            tx.commit().await?;
            Ok(changes)
        }

        fn event_refs(items: &[(EventRow, Vec<NewDelivery>)]) -> Vec<(&EventRow, &[NewDelivery])> {
            items.iter().map(|(event, deliveries)| (event, deliveries.as_slice())).collect()
        }

        /// Writes events of concurrent publishes in one transaction; if that fails, each in its own, so
        /// that a bad one (a duplicate idempotency key, a subscription deleted meanwhile) fails alone.
        async fn insert_events(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            items: Vec<(EventRow, Vec<NewDelivery>)>,
        ) -> Vec<Result<EventInsert>> {
            if items.len() > 1 {
                match insert_events_on(conn, &event_refs(&items)).await {
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

        /// Writes events and their deliveries, all or none: in one statement where the backend's is atomic
        /// by itself, otherwise in a transaction.
        async fn insert_events_on(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            events: &[(&EventRow, &[NewDelivery])],
        ) -> Result<()> {
            if bulk::ATOMIC_STATEMENT {
                bulk::write_rows(&mut **conn, events, &[], &[]).await?;
                return Ok(());
            }
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            write_rows_in(&mut tx, events, &[]).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn insert_event_alone(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            event: &EventRow,
            deliveries: &[NewDelivery],
        ) -> Result<EventInsert> {
            match insert_events_on(conn, &[(event, deliveries)]).await {
                Ok(()) => Ok(EventInsert::Inserted),
                // The event's and its deliveries' ids are fresh, so the only unique rule the insert can
                // break is the idempotency key.
                Err(StoreError::Conflict(_)) => Ok(EventInsert::DuplicateKey),
                Err(e) => Err(e),
            }
        }

        /// Records the outcomes of attempts that finished together in one transaction; if that fails, each
        /// in its own.
        async fn record_attempts(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            outcomes: Vec<AttemptOutcome>,
        ) -> Vec<Result<HealthChange>> {
            if outcomes.len() > 1 {
                match record_on(conn, &outcomes.iter().collect::<Vec<_>>()).await {
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

        async fn record_attempt_alone(conn: &mut sqlx::pool::PoolConnection<$db>, outcome: &AttemptOutcome) -> Result<HealthChange> {
            let change = record_on(conn, &[outcome]).await?;
            Ok(change.into_iter().next().unwrap_or_default())
        }

        /// Records attempts. Where the backend writes them in one atomic statement and every one of them can
        /// change its subscription's health only by a recovery (a success, or an attempt that does not count),
        /// that statement needs no transaction around it; the recoveries it finds (rare: a subscription
        /// that was failing) follow in a transaction of their own. Otherwise all goes in one transaction.
        async fn record_on(
            conn: &mut sqlx::pool::PoolConnection<$db>,
            outcomes: &[&AttemptOutcome],
        ) -> Result<Vec<HealthChange>> {
            let recoveries_only = outcomes.iter().all(|o| {
                o.disable_subscription.is_none()
                    && (!o.track_health || o.status == $crate::domain::DeliveryStatus::Succeeded)
            });
            if bulk::ATOMIC_STATEMENT && recoveries_only {
                let healthy = write_rows_on(&mut **conn, &[], outcomes).await?;
                // Only successes count here, so a counted attempt whose subscription is healthy moves nothing.
                if outcomes.iter().all(|o| !o.track_health || healthy.contains(o.subscription_id.as_str())) {
                    return Ok(vec![HealthChange::default(); outcomes.len()]);
                }
                // The attempts are recorded whatever happens next: were an error here reported as theirs,
                // they would be recorded again. A recovery missed now comes with the subscription's next
                // success.
                let recovered = async {
                    let mut tx = sqlx::Connection::begin(&mut **conn).await?;
                    let changes = health_in_order(&mut tx, outcomes, healthy).await?;
                    tx.commit().await?;
                    Result::<Vec<HealthChange>>::Ok(changes)
                };
                return Ok(match recovered.await {
                    Ok(changes) => changes,
                    Err(e) => {
                        tracing::warn!(error = %e, "attempts recorded, but their subscriptions' recovery was not; the next success will");
                        vec![HealthChange::default(); outcomes.len()]
                    }
                });
            }
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            let changes = write_rows_in(&mut tx, &[], outcomes).await?;
            tx.commit().await?;
            Ok(changes)
        }

        /// Writes events with their deliveries and stores attempts, moving their deliveries (and their
        /// subscriptions' health) on: the rows through the backend's `bulk::write_rows`, the health per
        /// subscription.
        async fn write_rows_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            events: &[(&EventRow, &[NewDelivery])],
            outcomes: &[&AttemptOutcome],
        ) -> Result<Vec<HealthChange>> {
            let healthy = write_rows_on(&mut **tx, events, outcomes).await?;
            health_in_order(tx, outcomes, healthy).await
        }

        /// Writes the rows through the backend's `bulk::write_rows` and returns the subscriptions of the
        /// attempts that succeeded and count towards health which are healthy already (no run of failures,
        /// no dead deliveries counted): the usual case, in which a success changes nothing.
        async fn write_rows_on<'o>(
            conn: &mut <$db as sqlx::Database>::Connection,
            events: &[(&EventRow, &[NewDelivery])],
            outcomes: &[&'o AttemptOutcome],
        ) -> Result<std::collections::HashSet<&'o str>> {
            let mut healthy: std::collections::HashSet<&str> = outcomes
                .iter()
                .filter(|o| o.track_health && o.status == $crate::domain::DeliveryStatus::Succeeded)
                .map(|o| o.subscription_id.as_str())
                .collect();
            let succeeded: Vec<&str> = healthy.iter().copied().collect();
            for id in bulk::write_rows(conn, events, outcomes, &succeeded).await? {
                healthy.remove(id.as_str());
            }
            Ok(healthy)
        }

        /// Moves the subscriptions' health on for `outcomes`, in their order; `healthy`: the subscriptions
        /// known healthy, whose successes change nothing.
        async fn health_in_order<'o>(
            tx: &mut sqlx::Transaction<'_, $db>,
            outcomes: &[&'o AttemptOutcome],
            mut healthy: std::collections::HashSet<&'o str>,
        ) -> Result<Vec<HealthChange>> {
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

        }
    };
}

pub(crate) use impl_group_writes;
