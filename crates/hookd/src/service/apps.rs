//! Apps: the resources that own subscriptions and receive events.

use super::{
    accounts::DEFAULT_MAX_SUBSCRIPTIONS, paged, Error, PageParams, Paged, Result, Scope, Service,
};
use crate::{
    domain::{now_ms, Action, AppId, AppKind, Invalid, SchemaValidation},
    store::{AppRow, StoreError},
    views::{App, DAY_MS},
};

/// An app's settings for its events: validation against its catalog, subscriptions kept to the catalog,
/// and its own retention. `None` leaves (or, on create, defaults) a setting; `retention_days: Some(None)`
/// returns to the server's retention.
#[derive(Debug, Clone, Default)]
pub struct AppSettings {
    pub schema_validation: Option<SchemaValidation>,
    pub catalog_only: Option<bool>,
    pub retention_days: Option<Option<u32>>,
}

/// The longest retention an app may have: ten years.
const MAX_RETENTION_DAYS: u32 = 3650;

impl AppSettings {
    fn apply(&self, row: &mut AppRow) -> Result<()> {
        if let Some(mode) = self.schema_validation {
            row.schema_validation = mode.as_str().to_owned();
        }
        if let Some(only) = self.catalog_only {
            row.catalog_only = only;
        }
        match self.retention_days {
            Some(Some(days)) if days == 0 || days > MAX_RETENTION_DAYS => {
                return Err(Invalid::new(
                    "retention_days",
                    format!("must be 1 to {MAX_RETENTION_DAYS} days, or null for the server's retention"),
                )
                .into())
            }
            Some(days) => row.retention_ms = days.map(|d| i64::from(d) * DAY_MS),
            None => {}
        }
        Ok(())
    }
}

/// The largest subscription quota an app may be given.
pub const MAX_SUBSCRIPTIONS_LIMIT: i64 = 10_000;

fn check_quota(max: i64) -> Result<i64> {
    if (1..=MAX_SUBSCRIPTIONS_LIMIT).contains(&max) {
        Ok(max)
    } else {
        Err(Invalid::new(
            "max_subscriptions",
            format!("must be between 1 and {MAX_SUBSCRIPTIONS_LIMIT}"),
        )
        .into())
    }
}

fn check_name(name: Option<&str>) -> Result<Option<String>> {
    match name {
        Some(n) if n.len() > 200 => {
            Err(Invalid::new("name", "must be at most 200 characters").into())
        }
        other => Ok(other.map(str::to_owned)),
    }
}

impl Service {
    pub async fn create_app(
        &self,
        scope: &Scope,
        id: &str,
        kind: Option<AppKind>,
        name: Option<&str>,
        max_subscriptions: Option<i64>,
        settings: &AppSettings,
    ) -> Result<App> {
        scope.require(Action::AppsWrite)?;
        let id = AppId::parse(id)?;
        let kind = kind.unwrap_or(AppKind::Native);
        if kind.is_reserved() {
            return Err(Invalid::new(
                "kind",
                format!("`{kind}` apps are created with the account; choose native, live-domain or live-rtc"),
            )
            .into());
        }
        let now = now_ms();
        let mut row = AppRow {
            account_id: scope.account_id.clone(),
            id: id.as_str().to_owned(),
            kind: kind.as_str().to_owned(),
            name: check_name(name)?,
            max_subscriptions: check_quota(max_subscriptions.unwrap_or(DEFAULT_MAX_SUBSCRIPTIONS))?,
            created_at: now,
            updated_at: now,
            schema_validation: SchemaValidation::Off.as_str().to_owned(),
            catalog_only: false,
            retention_ms: None,
        };
        settings.apply(&mut row)?;
        self.store.insert_app(&row).await.map_err(|e| match e {
            StoreError::Conflict(_) => Error::Conflict {
                code: "app_exists",
                message: format!("an app with id `{}` already exists", id.as_str()),
            },
            other => other.into(),
        })?;
        Ok(row.try_into()?)
    }

    pub(super) async fn app_row(&self, scope: &Scope, id: &str) -> Result<AppRow> {
        if !scope.sees_app(id) {
            return Err(Error::NotFound("app"));
        }
        self.store
            .get_app(&scope.account_id, id)
            .await?
            .ok_or(Error::NotFound("app"))
    }

    pub async fn get_app(&self, scope: &Scope, id: &str) -> Result<App> {
        scope.require(Action::AppsRead)?;
        Ok(self.app_row(scope, id).await?.try_into()?)
    }

    pub async fn list_apps(&self, scope: &Scope, params: &PageParams) -> Result<Paged<App>> {
        scope.require(Action::AppsRead)?;
        scope.forbid_portal("list apps")?;
        let page = params.to_page()?;
        let rows = self.store.list_apps(&scope.account_id, &page).await?;
        paged(&page, rows, |r| &r.id, App::try_from)
    }

    /// Changes the name (`Some(None)` clears it) and the subscription quota.
    pub async fn update_app(
        &self,
        scope: &Scope,
        id: &str,
        name: Option<Option<&str>>,
        max_subscriptions: Option<i64>,
        settings: &AppSettings,
    ) -> Result<App> {
        scope.require(Action::AppsWrite)?;
        let mut row = self.app_row(scope, id).await?;
        if let Some(name) = name {
            row.name = check_name(name)?;
        }
        if let Some(max) = max_subscriptions {
            row.max_subscriptions = check_quota(max)?;
        }
        settings.apply(&mut row)?;
        row.updated_at = now_ms();
        if !self.store.update_app(&row).await? {
            return Err(Error::NotFound("app"));
        }
        Ok(row.try_into()?)
    }

    pub async fn delete_app(&self, scope: &Scope, id: &str) -> Result<()> {
        scope.require(Action::AppsWrite)?;
        let row = self.app_row(scope, id).await?;
        if AppKind::parse(&row.kind).is_some_and(AppKind::is_reserved) {
            return Err(Error::Conflict {
                code: "reserved_app",
                message: format!("`{id}` is a reserved app of the account and cannot be deleted"),
            });
        }
        if self.store.delete_app(&scope.account_id, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("app"))
        }
    }
}

impl Service {
    /// An app of the scope's account, without a native policy check (dialects check their vendor action).
    pub(crate) async fn dialect_app(&self, scope: &Scope, id: &str) -> Result<Option<App>> {
        match self.store.get_app(&scope.account_id, id).await? {
            Some(row) => Ok(Some(row.try_into()?)),
            None => Ok(None),
        }
    }
}
