//! The customer portal's sessions and settings. A platform creates a session for one of its customers'
//! apps and hands the customer the link; the session's token then acts in that app only, with the
//! capability's actions, optionally only for some event types (`PortalGrant`, carried by the `Scope` of
//! every call it makes and checked where apps, subscriptions, events, deliveries and event types are read).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{corrupt, Error, Principal, Result, Scope, Service};
use crate::{
    crypto::{constant_time_eq, hex},
    domain::{
        now_ms,
        portal::{self, Capability, PortalToken, TypeScope},
        Action, Invalid, Policy,
    },
    store::{PortalSessionRow, PortalSettingsRow},
};

/// Default and longest lifetime of a session.
pub const DEFAULT_TTL_SECONDS: u64 = 3600;
pub const MAX_TTL_SECONDS: u64 = 86_400;
const MIN_TTL_SECONDS: u64 = 60;

/// What one portal session may reach, as authenticated from its token on every call.
#[derive(Debug)]
pub struct PortalGrant {
    pub session_id: String,
    pub account_id: String,
    pub app_id: String,
    pub capability: Capability,
    /// `None`: every event type of the app.
    pub types: Option<TypeScope>,
    pub expires_at: i64,
    pub policy: Policy,
}

impl PortalGrant {
    pub fn sees_app(&self, app_id: &str) -> bool {
        self.app_id == app_id
    }

    pub fn sees_type(&self, name: &str) -> bool {
        self.types.as_ref().is_none_or(|t| t.sees(name))
    }

    /// Whether a subscription with these type patterns (empty: every type) is the customer's to see.
    pub fn sees_subscription<S: AsRef<str>>(&self, patterns: &[S]) -> bool {
        self.types.as_ref().is_none_or(|t| t.covers_all(patterns))
    }

    /// Refuses a subscription's new type list that would reach past the session's types.
    pub fn check_subscription_types<S: AsRef<str>>(&self, patterns: &[S]) -> Result<()> {
        match &self.types {
            Some(types) if !types.covers_all(patterns) => Err(Invalid::new(
                "event_types",
                format!(
                    "this portal session covers only the event types {}: list one or more of them",
                    types.entries().collect::<Vec<_>>().join(", ")
                ),
            )
            .into()),
            _ => Ok(()),
        }
    }
}

/// A session as the platform sees it (never its token, except once when created).
pub struct PortalSession {
    pub row: PortalSessionRow,
    pub types: Option<Vec<String>>,
}

/// A new session and its token.
pub struct IssuedSession {
    pub session: PortalSession,
    pub token: String,
}

pub struct NewPortalSession {
    pub capability: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub ttl_seconds: Option<u64>,
    pub description: Option<String>,
}

/// An account's portal embedding and theme, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortalSettings {
    pub allowed_origins: Vec<String>,
    pub product_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
}

impl PortalSettings {
    pub fn parse(
        allowed_origins: &[String],
        product_name: Option<&str>,
        logo_url: Option<&str>,
        primary_color: Option<&str>,
    ) -> std::result::Result<Self, Invalid> {
        Ok(Self {
            allowed_origins: portal::parse_origins(allowed_origins)?,
            product_name: product_name.map(portal::parse_product_name).transpose()?,
            logo_url: logo_url
                .map(|u| portal::parse_logo_url(u).map(|(url, _)| url))
                .transpose()?,
            primary_color: primary_color.map(portal::parse_color).transpose()?,
        })
    }

    fn from_row(row: Option<PortalSettingsRow>) -> Result<Self> {
        let Some(row) = row else {
            return Ok(Self::default());
        };
        Ok(Self {
            allowed_origins: serde_json::from_str(&row.allowed_origins)
                .map_err(|e| corrupt("portal origins", e))?,
            product_name: row.product_name,
            logo_url: row.logo_url,
            primary_color: row.primary_color,
        })
    }

    /// The portal page's Content-Security-Policy: its own files and API only, framed only by the allowed
    /// origins, showing the logo from its origin.
    pub fn content_security_policy(&self) -> String {
        let ancestors = if self.allowed_origins.is_empty() {
            "'none'".to_owned()
        } else {
            self.allowed_origins.join(" ")
        };
        let logo = self
            .logo_url
            .as_deref()
            .and_then(|u| portal::parse_logo_url(u).ok())
            .map(|(_, origin)| format!(" {origin}"))
            .unwrap_or_default();
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self' data:{logo}; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
        )
    }
}

fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn parse_types(raw: Option<&str>) -> Result<Option<TypeScope>> {
    raw.map(|json| {
        let list: Vec<String> =
            serde_json::from_str(json).map_err(|e| corrupt("portal session types", e))?;
        TypeScope::parse(&list).map_err(|e| Error::Corrupt(corrupt("portal session types", e)))
    })
    .transpose()
}

impl PortalSession {
    fn from_row(row: PortalSessionRow) -> Result<Self> {
        let types = parse_types(row.event_types.as_deref())?
            .map(|t| t.entries().map(str::to_owned).collect());
        Ok(Self { row, types })
    }
}

impl Service {
    /// Opens a session of `app_id` for an end customer. The caller needs `hookd:portal.write` and every
    /// action the session's capability holds: a session never grants more than its maker may do.
    pub async fn create_portal_session(
        &self,
        scope: &Scope,
        app_id: &str,
        new: NewPortalSession,
    ) -> Result<IssuedSession> {
        scope.require(Action::PortalWrite)?;
        scope.forbid_portal("open portal sessions")?;
        let app = self.app_row(scope, app_id).await?;
        let capability = new
            .capability
            .as_deref()
            .map(Capability::parse)
            .transpose()?
            .unwrap_or(Capability::Manage);
        for action in capability.actions() {
            scope.require(*action)?;
        }
        let types = new
            .event_types
            .as_deref()
            .map(TypeScope::parse)
            .transpose()?;
        let ttl = new.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
        if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl) {
            return Err(Invalid::new(
                "ttl_seconds",
                format!("must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS} (24 hours)"),
            )
            .into());
        }
        let description = new
            .description
            .map(|d| {
                let d = d.trim().to_owned();
                if d.chars().count() > 200 || d.chars().any(char::is_control) {
                    Err(Invalid::new(
                        "description",
                        "at most 200 characters without control characters",
                    ))
                } else {
                    Ok(d)
                }
            })
            .transpose()?;
        let token = PortalToken::generate();
        let now = now_ms();
        let row = PortalSessionRow {
            id: token.session_id.clone(),
            account_id: scope.account_id.clone(),
            app_id: app.id,
            secret_hash: secret_hash(&token.secret),
            capability: capability.as_str().to_owned(),
            event_types: types.as_ref().map(|t| {
                serde_json::to_string(&t.entries().collect::<Vec<_>>())
                    .expect("a list of strings serialises")
            }),
            description,
            created_at: now,
            expires_at: now + i64::try_from(ttl).unwrap_or(0) * 1000,
            revoked_at: None,
        };
        self.store.insert_portal_session(&row).await?;
        Ok(IssuedSession {
            session: PortalSession::from_row(row)?,
            token: token.expose(),
        })
    }

    pub async fn list_portal_sessions(
        &self,
        scope: &Scope,
        app_id: &str,
    ) -> Result<Vec<PortalSession>> {
        scope.require(Action::PortalRead)?;
        scope.forbid_portal("list portal sessions")?;
        self.app_row(scope, app_id).await?;
        self.store
            .list_portal_sessions(&scope.account_id, app_id, now_ms())
            .await?
            .into_iter()
            .map(PortalSession::from_row)
            .collect()
    }

    /// Ends a session now: its token is refused from the next call on, on every node.
    pub async fn revoke_portal_session(&self, scope: &Scope, app_id: &str, id: &str) -> Result<()> {
        scope.require(Action::PortalWrite)?;
        scope.forbid_portal("revoke portal sessions")?;
        self.app_row(scope, app_id).await?;
        if !self
            .store
            .revoke_portal_session(&scope.account_id, app_id, id, now_ms())
            .await?
        {
            return Err(Error::NotFound("portal_session"));
        }
        Ok(())
    }

    pub async fn portal_settings(&self, scope: &Scope) -> Result<PortalSettings> {
        scope.require(Action::PortalRead)?;
        scope.forbid_portal("read the portal's settings")?;
        PortalSettings::from_row(self.store.get_portal_settings(&scope.account_id).await?)
    }

    pub async fn set_portal_settings(
        &self,
        scope: &Scope,
        settings: PortalSettings,
    ) -> Result<PortalSettings> {
        scope.require(Action::PortalWrite)?;
        scope.forbid_portal("change the portal's settings")?;
        self.store
            .put_portal_settings(&PortalSettingsRow {
                account_id: scope.account_id.clone(),
                allowed_origins: serde_json::to_string(&settings.allowed_origins)
                    .expect("a list of strings serialises"),
                product_name: settings.product_name.clone(),
                logo_url: settings.logo_url.clone(),
                primary_color: settings.primary_color.clone(),
                updated_at: now_ms(),
            })
            .await?;
        Ok(settings)
    }

    /// The theme a portal session shows (its account's settings); no action needed beyond the session.
    pub async fn portal_theme(&self, grant: &PortalGrant) -> Result<PortalSettings> {
        PortalSettings::from_row(self.store.get_portal_settings(&grant.account_id).await?)
    }

    /// The settings that serve the portal page of session `id`, if that session exists (expired and
    /// revoked ones too, so that their page can say so inside the platform's frame).
    pub async fn portal_page_settings(&self, id: &str) -> Result<Option<PortalSettings>> {
        let Some(row) = self.store.get_portal_session(id).await? else {
            return Ok(None);
        };
        PortalSettings::from_row(self.store.get_portal_settings(&row.account_id).await?).map(Some)
    }

    /// The grant of a live portal token: its session exists, is neither expired nor revoked, and its app
    /// still exists. Checked against the database on every call.
    pub(super) async fn authenticate_portal(&self, token: &PortalToken) -> Result<Principal> {
        let invalid = Error::Unauthorized("invalid credentials");
        let Some(row) = self.store.get_portal_session(&token.session_id).await? else {
            return Err(invalid);
        };
        if !constant_time_eq(
            secret_hash(&token.secret).as_bytes(),
            row.secret_hash.as_bytes(),
        ) {
            return Err(invalid);
        }
        if row.revoked_at.is_some() {
            return Err(Error::Unauthorized("this portal session was revoked"));
        }
        if row.expires_at <= now_ms() {
            return Err(Error::Unauthorized("this portal session has expired"));
        }
        if self
            .store
            .get_app(&row.account_id, &row.app_id)
            .await?
            .is_none()
        {
            return Err(invalid);
        }
        let capability = Capability::parse(&row.capability)
            .map_err(|e| Error::Corrupt(corrupt("portal capability", e)))?;
        Ok(Principal::Portal(Arc::new(PortalGrant {
            types: parse_types(row.event_types.as_deref())?,
            session_id: row.id,
            account_id: row.account_id,
            app_id: row.app_id,
            capability,
            expires_at: row.expires_at,
            policy: capability.policy(),
        })))
    }
}

impl Service {
    /// Keeps the items a portal session limited to some event types may see: of a type inside its scope
    /// (or test events), sent through a subscription it sees (items of other sessions and keys pass untouched). `of` gives an
    /// item's event type and subscription id.
    pub(super) async fn retain_visible<T>(
        &self,
        scope: &Scope,
        app_id: &str,
        items: &mut Vec<T>,
        of: impl Fn(&T) -> (&str, &str),
    ) -> Result<()> {
        let Some(grant) = scope.portal().filter(|g| g.types.is_some()) else {
            return Ok(());
        };
        let mut seen: std::collections::HashMap<String, bool> = Default::default();
        let mut kept = Vec::with_capacity(items.len());
        for item in items.drain(..) {
            let (event_type, subscription_id) = of(&item);
            // A test event goes to one subscription whatever its types: visible with that subscription.
            if !grant.sees_type(event_type) && event_type != super::events::TEST_EVENT {
                continue;
            }
            let visible = match seen.get(subscription_id) {
                Some(visible) => *visible,
                None => {
                    let visible = match self.subscription_row(scope, app_id, subscription_id).await
                    {
                        Ok(_) => true,
                        Err(Error::NotFound(_)) => false,
                        Err(e) => return Err(e),
                    };
                    seen.insert(subscription_id.to_owned(), visible);
                    visible
                }
            };
            if visible {
                kept.push(item);
            }
        }
        *items = kept;
        Ok(())
    }

    /// A delivery of the scope's account that the caller may see (for a portal session: of its app, and
    /// visible by [`Service::retain_visible`]).
    pub(super) async fn visible_delivery(
        &self,
        scope: &Scope,
        id: &str,
    ) -> Result<crate::store::DeliveryRow> {
        let row = self
            .store
            .get_delivery(&scope.account_id, id)
            .await?
            .filter(|row| scope.sees_app(&row.app_id))
            .ok_or(Error::NotFound("delivery"))?;
        let app_id = row.app_id.clone();
        let mut one = vec![row];
        self.retain_visible(scope, &app_id, &mut one, |d| {
            (d.event_type.as_str(), d.subscription_id.as_str())
        })
        .await?;
        one.pop().ok_or(Error::NotFound("delivery"))
    }
}
