//! The domain operations every API surface calls: authentication, account scoping and policy checks, and
//! the rules for accounts, apps, subscriptions, events and deliveries. Business rules live here once; the
//! native API (and later the vendor dialects) only translate wire forms to these calls and back.

mod accounts;
mod activity;
mod apps;
mod catalog;
mod dialect_subscriptions;
mod event_search;
mod events;
mod health;
mod portal;
mod subscription_secrets;
mod subscriptions;

use std::sync::Arc;

use crate::{
    crypto::{constant_time_eq, Sealer},
    delivery::{sender::Sender, ssrf::Guard, Dispatcher},
    domain::{Action, Invalid, Policy, Product},
    store::{Store, StoreError},
    views::{corrupt, Corrupt},
};

pub use apps::AppSettings;
pub use catalog::{EventTypePatch, NewEventType};
pub use dialect_subscriptions::DialectSubscription;
pub use event_search::EventQuery;
pub use events::{NewEvent, Published};
pub use health::failure_kinds;
pub use portal::{
    IssuedSession, NewPortalSession, PortalGrant, PortalSession, PortalSettings,
    DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS,
};
pub use subscriptions::{NewSubscription, SubscriptionPatch};

/// Default and largest page sizes of list operations.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 250;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this key's policy does not allow `{0}`")]
    Forbidden(String),
    /// A customer-portal session asked for something outside what any portal session may do.
    #[error("a customer-portal session may not {0}")]
    PortalRefused(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("storage unavailable: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
    /// Delivery has fallen behind publishing: the store's backlog is at `delivery.max_backlog`.
    #[error(transparent)]
    Backlogged(#[from] crate::delivery::Backlogged),
    /// A payload the app's catalog refuses (`schema_validation` enforce): why, and where it fails.
    #[error("{message}")]
    SchemaViolation {
        message: String,
        violations: Vec<crate::domain::catalog::Violation>,
    },
}

impl From<crate::delivery::publish::PublishError> for Error {
    fn from(e: crate::delivery::publish::PublishError) -> Self {
        use crate::delivery::publish::PublishError as P;
        match e {
            P::Store(e) => Self::Store(e),
            P::Corrupt(e) => Self::Corrupt(e),
            P::Backlogged(e) => Self::Backlogged(e),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An access key's principal and its secret.
pub struct KeyMaterial {
    pub principal: Principal,
    pub secret: Vec<u8>,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    Admin,
    Key {
        key_id: String,
        account_id: String,
        policy: Policy,
        user_id: Option<String>,
    },
    /// A customer-portal session: one app of one account, for a while (see `portal`).
    Portal(Arc<PortalGrant>),
}

/// The account a call acts in, and what the caller may do there.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account_id: String,
    /// `None` for the admin, who may do everything.
    policy: Option<Policy>,
    /// What a customer-portal session is limited to; `None` for keys and the admin.
    portal: Option<Arc<PortalGrant>>,
}

impl Scope {
    /// The portal session's limits, when a portal session is calling.
    pub fn portal(&self) -> Option<&PortalGrant> {
        self.portal.as_deref()
    }

    /// Refuses what no portal session may do, whatever its capability.
    pub fn forbid_portal(&self, what: &'static str) -> Result<()> {
        match self.portal {
            Some(_) => Err(Error::PortalRefused(what)),
            None => Ok(()),
        }
    }

    /// Whether the caller may see the app: a portal session sees only its own.
    pub fn sees_app(&self, app_id: &str) -> bool {
        self.portal().is_none_or(|p| p.sees_app(app_id))
    }

    /// Whether the caller may see events of type `name`.
    pub fn sees_type(&self, name: &str) -> bool {
        self.portal().is_none_or(|p| p.sees_type(name))
    }

    /// Whether the caller may see a subscription with these type patterns.
    pub fn sees_subscription<S: AsRef<str>>(&self, patterns: &[S]) -> bool {
        self.portal().is_none_or(|p| p.sees_subscription(patterns))
    }

    pub fn require(&self, action: Action) -> Result<()> {
        self.require_named(action.as_str())
    }

    /// Whether the caller may do `action`: for the parts of an answer that another action guards.
    pub fn allows(&self, action: Action) -> bool {
        self.require(action).is_ok()
    }

    /// Checks a dialect action (`live:UpdateEventSub`) or a native one.
    pub fn require_named(&self, action: &str) -> Result<()> {
        match &self.policy {
            Some(policy) if !policy.allows(action) => Err(Error::Forbidden(action.to_owned())),
            _ => Ok(()),
        }
    }
}

/// A page request as the API receives it.
#[derive(Debug, Clone, Default)]
pub struct PageParams {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// One page of results and the cursor of the next, if any.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl PageParams {
    fn to_page(&self) -> Result<crate::store::Page> {
        let limit = in_range("limit", self.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        // One extra row tells whether another page exists.
        Ok(crate::store::Page {
            limit: limit + 1,
            after,
        })
    }
}

/// `value` (default `default`) when within `1..=max`; otherwise a validation error naming `field`.
fn in_range(field: &str, value: Option<i64>, default: i64, max: i64) -> Result<i64> {
    let value = value.unwrap_or(default);
    if !(1..=max).contains(&value) {
        return Err(Invalid::new(field, format!("must be between 1 and {max}")).into());
    }
    Ok(value)
}

fn decode_cursor(raw: &str) -> Result<String> {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| Invalid::new("cursor", "is not a cursor returned by this API").into())
}

fn encode_cursor(id: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    URL_SAFE_NO_PAD.encode(id)
}

/// Turns `limit + 1` rows into a page; `key` gives the row's cursor id.
fn paged<R, T>(
    page: &crate::store::Page,
    mut rows: Vec<R>,
    key: impl Fn(&R) -> &str,
    convert: impl Fn(R) -> Result<T, Corrupt>,
) -> Result<Paged<T>> {
    let limit = usize::try_from(page.limit - 1).unwrap_or(0);
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| encode_cursor(key(r)))
    } else {
        None
    };
    Ok(Paged {
        data: rows.into_iter().map(convert).collect::<Result<_, _>>()?,
        next_cursor,
    })
}

/// The core of a running hookd, shared by every API surface.
pub struct Service {
    store: Arc<dyn Store>,
    sealer: Sealer,
    guard: Guard,
    dispatcher: Dispatcher,
    sender: Arc<Sender>,
    admin_token: String,
    rotation_grace_ms: i64,
}

impl Service {
    pub fn new(
        store: Arc<dyn Store>,
        sealer: Sealer,
        guard: Guard,
        dispatcher: Dispatcher,
        sender: Arc<Sender>,
        admin_token: String,
        rotation_grace_ms: i64,
    ) -> Self {
        Self {
            store,
            sealer,
            guard,
            dispatcher,
            sender,
            admin_token,
            rotation_grace_ms,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Records a signed request's nonce `key` as used until `expires_at` (Unix ms); false when it is
    /// recorded already and not expired at `now`: a replay. Holds across all nodes on the database.
    pub async fn first_use(&self, key: &str, now: i64, expires_at: i64) -> Result<bool> {
        Ok(self.store.first_use(key, now, expires_at).await?)
    }

    /// Counts one call under `key`, unless `per_second` calls were counted under it in the last second:
    /// then false, and not counted. Holds across all nodes on the database.
    pub async fn allow_call(&self, key: &str, per_second: u32) -> Result<bool> {
        Ok(self.store.allow_call(key, per_second).await?)
    }

    /// Checks a bearer token: the admin token, or an access key written `key_id:secret`.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        if constant_time_eq(token.as_bytes(), self.admin_token.as_bytes()) {
            return Ok(Principal::Admin);
        }
        if let Some(portal) = crate::domain::portal::PortalToken::parse(token) {
            return self.authenticate_portal(&portal).await;
        }
        let invalid = Error::Unauthorized("invalid credentials");
        let Some((key_id, secret)) = token.split_once(':') else {
            return Err(invalid);
        };
        match self.access_key(key_id).await? {
            Some(key) if constant_time_eq(&key.secret, secret.as_bytes()) => Ok(key.principal),
            _ => Err(invalid),
        }
    }

    /// An access key with its secret opened, for dialects that verify HMAC signatures made with it.
    pub async fn access_key(&self, key_id: &str) -> Result<Option<KeyMaterial>> {
        let Some(row) = self.store.get_key(key_id).await? else {
            return Ok(None);
        };
        let secret = self
            .sealer
            .unseal(&row.sealed_secret)
            .map_err(|e| corrupt("key secret", e))?;
        let policy: Vec<String> =
            serde_json::from_str(&row.policy).map_err(|e| corrupt("key policy", e))?;
        Ok(Some(KeyMaterial {
            secret,
            principal: Principal::Key {
                key_id: row.id,
                account_id: row.account_id,
                policy: Policy::parse(&policy).map_err(|e| corrupt("key policy", e))?,
                user_id: row.user_id,
            },
        }))
    }

    /// Issues a random access token for `principal`'s key, bound to `account` (when a child was named),
    /// valid for `lifetime_ms`. Only its hash is stored, so it survives restarts and works on every node.
    pub async fn issue_access_token(
        &self,
        principal: &Principal,
        account: Option<&str>,
        lifetime_ms: i64,
    ) -> Result<String> {
        let Principal::Key { key_id, .. } = principal else {
            return Err(Error::Forbidden("tokens are issued to access keys".into()));
        };
        let token = crate::crypto::random_hex32();
        let hash = crate::crypto::hex(&<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
        self.store
            .insert_token(
                &hash,
                key_id,
                account,
                crate::domain::now_ms() + lifetime_ms,
            )
            .await?;
        Ok(token)
    }

    /// The principal and bound account of an unexpired token whose key still exists.
    pub async fn access_token(&self, token: &str) -> Result<Option<(Principal, Option<String>)>> {
        let hash = crate::crypto::hex(&<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
        let Some((key_id, account)) = self.store.get_token(&hash, crate::domain::now_ms()).await?
        else {
            return Ok(None);
        };
        Ok(self
            .access_key(&key_id)
            .await?
            .map(|key| (key.principal, account)))
    }

    /// Whether the account has a dialect product enabled.
    pub async fn has_product(&self, account_id: &str, product: Product) -> Result<bool> {
        let account = self.get_account(account_id).await?;
        Ok(account.products.contains(&product))
    }

    /// Whose figures a call reads: every account's (`None`) for the admin acting in no account, else the
    /// account the call acts in (as [`Service::scope`] decides), if it may take `action` there.
    pub(crate) async fn account_or_server(
        &self,
        principal: &Principal,
        requested: Option<&str>,
        action: Action,
    ) -> Result<Option<String>> {
        if let (Principal::Admin, None) = (principal, requested) {
            return Ok(None);
        }
        let scope = self.scope(principal, requested).await?;
        scope.require(action)?;
        scope.forbid_portal("read account-wide figures")?;
        Ok(Some(scope.account_id))
    }

    /// The account a call acts in. A key acts in its own account, or in a direct child account when it
    /// names one; the admin must name the account. An account the caller may not act in is reported as not
    /// found, so its existence does not leak.
    pub async fn scope(&self, principal: &Principal, requested: Option<&str>) -> Result<Scope> {
        match principal {
            Principal::Admin => {
                let id = requested.ok_or(Error::Invalid(Invalid::new(
                    "Hookd-Account",
                    "the admin token acts in an account only when the Hookd-Account header names it",
                )))?;
                self.store
                    .get_account(id)
                    .await?
                    .ok_or(Error::NotFound("account"))?;
                Ok(Scope {
                    account_id: id.to_owned(),
                    policy: None,
                    portal: None,
                })
            }
            Principal::Key {
                account_id, policy, ..
            } => {
                let target = match requested {
                    None => account_id.clone(),
                    Some(id) if id == account_id => account_id.clone(),
                    Some(id) => {
                        let child = self.store.get_account(id).await?;
                        match child {
                            Some(c) if c.parent_id.as_deref() == Some(account_id) => c.id,
                            _ => return Err(Error::NotFound("account")),
                        }
                    }
                };
                Ok(Scope {
                    account_id: target,
                    policy: Some(policy.clone()),
                    portal: None,
                })
            }
            Principal::Portal(grant) => match requested {
                Some(id) if id != grant.account_id => Err(Error::NotFound("account")),
                _ => Ok(Scope {
                    account_id: grant.account_id.clone(),
                    policy: Some(grant.policy.clone()),
                    portal: Some(grant.clone()),
                }),
            },
        }
    }

    pub fn require_admin(principal: &Principal) -> Result<()> {
        match principal {
            Principal::Admin => Ok(()),
            Principal::Key { .. } | Principal::Portal(_) => Err(Error::Forbidden("admin".into())),
        }
    }
}
