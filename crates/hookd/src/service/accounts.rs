//! Accounts (tenants) and their access keys. Operator-only operations.

use super::{paged, Error, PageParams, Paged, Result, Service};
use crate::{
    domain::{
        new_id, new_key_id, new_key_secret, now_ms, AppKind, Invalid, Policy, Product, Products,
        SchemaValidation,
    },
    store::{AccountRow, AppRow, KeyRow, StoreError},
    views::{AccessKey, Account, CreatedKey},
};

/// Subscriptions a new app may hold unless told otherwise.
pub const DEFAULT_MAX_SUBSCRIPTIONS: i64 = 100;

impl Service {
    pub async fn create_account(
        &self,
        name: &str,
        parent_id: Option<&str>,
        products: Option<Vec<Product>>,
    ) -> Result<Account> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(Invalid::new("name", "must be 1 to 200 characters").into());
        }
        if let Some(parent) = parent_id {
            if self.store.get_account(parent).await?.is_none() {
                return Err(Invalid::new(
                    "parent_id",
                    format!("account `{parent}` does not exist"),
                )
                .into());
            }
        }
        let products = products.map(Products::new).unwrap_or_else(Products::all);
        let now = now_ms();
        let row = AccountRow {
            id: new_id("acc"),
            name: name.to_owned(),
            parent_id: parent_id.map(str::to_owned),
            products: serde_json::to_string(products.as_slice()).expect("product names serialise"),
            created_at: now,
        };
        let apps: Vec<AppRow> = AppKind::RESERVED
            .iter()
            .map(|kind| AppRow {
                account_id: row.id.clone(),
                id: kind.as_str().to_owned(),
                kind: kind.as_str().to_owned(),
                name: None,
                max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
                created_at: now,
                updated_at: now,
                schema_validation: SchemaValidation::Off.as_str().to_owned(),
                catalog_only: false,
                retention_ms: None,
            })
            .collect();
        self.store.insert_account(&row, &apps).await?;
        Ok(row.try_into()?)
    }

    pub async fn get_account(&self, id: &str) -> Result<Account> {
        let row = self
            .store
            .get_account(id)
            .await?
            .ok_or(Error::NotFound("account"))?;
        Ok(row.try_into()?)
    }

    pub async fn list_accounts(&self, params: &PageParams) -> Result<Paged<Account>> {
        let page = params.to_page()?;
        let rows = self.store.list_accounts(&page).await?;
        paged(&page, rows, |r| &r.id, Account::try_from)
    }

    pub async fn create_key(
        &self,
        account_id: &str,
        policy: &[String],
        user_id: Option<&str>,
    ) -> Result<CreatedKey> {
        self.get_account(account_id).await?;
        let policy = Policy::parse(policy)?;
        let user_id = user_id
            .map(|u| crate::domain::attribute(u).map_err(|e| e.at("user_id")))
            .transpose()?;
        let secret = new_key_secret();
        let row = KeyRow {
            id: new_key_id(),
            account_id: account_id.to_owned(),
            sealed_secret: self.sealer.seal(secret.as_bytes()),
            policy: serde_json::to_string(&policy.entries().collect::<Vec<_>>())
                .expect("strings serialise"),
            user_id,
            created_at: now_ms(),
        };
        self.store.insert_key(&row).await.map_err(|e| match e {
            StoreError::Conflict(_) => Error::Conflict {
                code: "key_exists",
                message: "key id collision; try again".into(),
            },
            other => other.into(),
        })?;
        let key = AccessKey::try_from(row)?;
        Ok(CreatedKey {
            token: format!("{}:{}", key.key_id, secret),
            key,
            secret,
        })
    }

    pub async fn list_keys(
        &self,
        account_id: &str,
        params: &PageParams,
    ) -> Result<Paged<AccessKey>> {
        self.get_account(account_id).await?;
        let page = params.to_page()?;
        let rows = self.store.list_keys(account_id, &page).await?;
        paged(&page, rows, |r| &r.id, AccessKey::try_from)
    }

    pub async fn delete_key(&self, account_id: &str, key_id: &str) -> Result<()> {
        if self.store.delete_key(account_id, key_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("key"))
        }
    }
}
