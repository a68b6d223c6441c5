//! Meeting sign-in: App ID authentication (`POST /v2/usg/acs/auth/appauth`, HMAC-SHA256 over
//! `appId[:corpId]:userId:expireTime:nonce`) and account sign-in (`POST /v1/usg/acs/auth/account`, Basic),
//! both answering with an access token.

use axum::{body::Bytes, extract::State, http::HeaderMap, Json};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use super::{err, HwError, MAX_EXPIRE_AHEAD_SECS, TOKEN_LIFETIME_SECS};
use crate::{
    crypto::{constant_time_eq, hex},
    dialects::DialectState,
    domain::now_ms,
    service,
};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppAuth {
    app_id: String,
    user_id: Option<String>,
    corp_id: Option<String>,
    expire_time: i64,
    nonce: String,
    client_type: Option<i64>,
}

/// `Authorization: HMAC-SHA256 signature=<HEX>,access=<base64(appId)>`.
fn parse_authorization(raw: &str) -> Option<(String, String)> {
    let rest = raw.strip_prefix("HMAC-SHA256 ")?;
    let (mut signature, mut access) = (None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=')? {
            ("signature", v) => signature = Some(v.to_owned()),
            ("access", v) => access = Some(v.to_owned()),
            _ => {}
        }
    }
    let access = String::from_utf8(STANDARD.decode(access?).ok()?).ok()?;
    Some((signature?, access))
}

/// upper(hex(HMAC-SHA256(app_key, data))).
pub fn app_auth_signature(app_key: &[u8], data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_key).expect("HMAC accepts keys of any length");
    mac.update(data.as_bytes());
    hex(&mac.finalize().into_bytes()).to_uppercase()
}

/// The 401 `USG.000000004` of a sign-in flow, saying why.
fn refusal(flow: &'static str) -> impl Fn(&str) -> HwError {
    move |why| err(401, "USG.000000004", format!("{flow} failed: {why}"))
}

pub(super) async fn app_auth(
    State(state): State<DialectState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, HwError> {
    let unauthorized = refusal("App ID authentication");
    let (signature, access) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_authorization)
        .ok_or_else(|| {
            unauthorized("the Authorization header is not `HMAC-SHA256 signature=…,access=…`")
        })?;
    let auth: AppAuth = serde_json::from_slice(&body)
        .map_err(|e| err(400, "USG.000000001", format!("invalid body: {e}")))?;
    if access != auth.app_id {
        return Err(unauthorized("access does not name the body's appId"));
    }
    if !(32..=64).contains(&auth.nonce.len()) {
        return Err(err(
            400,
            "USG.000000001",
            "nonce must be 32 to 64 characters",
        ));
    }
    let now_secs = now_ms() / 1000;
    if auth.expire_time <= now_secs || auth.expire_time > now_secs + MAX_EXPIRE_AHEAD_SECS {
        return Err(unauthorized(
            "expireTime is in the past or more than 24 hours ahead",
        ));
    }
    let key = state
        .service
        .access_key(&auth.app_id)
        .await?
        .ok_or_else(|| unauthorized("unknown appId"))?;
    let user = auth.user_id.as_deref().unwrap_or("");
    let (expire, nonce) = (auth.expire_time, &auth.nonce);
    // A single-tenant client may send a corpId it did not sign, so both forms are tried.
    let mut candidates = vec![format!("{}:{user}:{expire}:{nonce}", auth.app_id)];
    if let Some(corp) = &auth.corp_id {
        candidates.push(format!("{}:{corp}:{user}:{expire}:{nonce}", auth.app_id));
    }
    let matches = candidates.iter().any(|data| {
        constant_time_eq(
            app_auth_signature(&key.secret, data).as_bytes(),
            signature.to_uppercase().as_bytes(),
        )
    });
    if !matches {
        return Err(unauthorized(&format!(
            "the signature does not match; hookd signed {}",
            candidates
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(" and ")
        )));
    }
    let first = state
        .service
        .first_use(
            &format!("hw:{}:{nonce}", auth.app_id),
            now_ms(),
            (expire + 60) * 1000,
        )
        .await?;
    if !first {
        return Err(unauthorized("the nonce was already used"));
    }
    grant(
        &state,
        &key,
        user,
        auth.corp_id.as_deref(),
        auth.client_type,
        unauthorized,
    )
    .await
}

/// The token answer of both sign-in flows, once the key is authenticated: the user it acts as (a key bound
/// to a user is that user, and may not name another), the account (`corpId`, when given, must be the key's
/// account or a child of it), a new token.
async fn grant(
    state: &DialectState,
    key: &service::KeyMaterial,
    named_user: &str,
    corp: Option<&str>,
    client_type: Option<i64>,
    unauthorized: impl Fn(&str) -> HwError,
) -> Result<Json<Value>, HwError> {
    let user = match (&key.principal, named_user) {
        (
            service::Principal::Key {
                user_id: Some(bound),
                ..
            },
            "",
        ) => bound.as_str(),
        (
            service::Principal::Key {
                user_id: Some(bound),
                ..
            },
            named,
        ) if named != bound => {
            return Err(unauthorized(&format!(
                "this key is bound to another user and may not authenticate as userId {named}"
            )));
        }
        (_, named) => named,
    };
    let service::Principal::Key { key_id, .. } = &key.principal else {
        return Err(unauthorized("only access keys may sign in"));
    };
    let corp = corp.filter(|c| !c.is_empty());
    let scope = state
        .service
        .scope(&key.principal, corp)
        .await
        .map_err(|e| match e {
            service::Error::NotFound(_) => err(
                403,
                "USG.000000005",
                "corpId is not this app's enterprise or a child of it",
            ),
            other => other.into(),
        })?;
    let created = now_ms();
    let bound = corp.map(|_| scope.account_id.as_str());
    let token = state
        .service
        .issue_access_token(&key.principal, bound, TOKEN_LIFETIME_SECS * 1000)
        .await?;
    Ok(Json(json!({
        "accessToken": token,
        "tokenIp": "",
        "validPeriod": TOKEN_LIFETIME_SECS,
        "expireTime": created / 1000 + TOKEN_LIFETIME_SECS,
        "createTime": created,
        "clientType": client_type.unwrap_or(72),
        "tokenType": 0,
        "firstLogin": false,
        "pwdExpired": false,
        "delayDelete": false,
        "user": { "appId": key_id, "userId": user, "corpId": scope.account_id },
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountAuth {
    account: Option<String>,
    client_type: Option<i64>,
}

/// Account sign-in (`POST /v1/usg/acs/auth/account`, the SDK's default when no App ID is set):
/// `Authorization: Basic base64(account:password)` with the key id as the account and the key secret as
/// the password. A key bound to a user signs in as that user.
pub(super) async fn account_auth(
    State(state): State<DialectState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, HwError> {
    let unauthorized = refusal("account authentication");
    let (account, password) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v.trim()).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.split_once(':').map(|(a, p)| (a.to_owned(), p.to_owned())))
        .ok_or_else(|| {
            unauthorized("the Authorization header is not `Basic base64(account:password)`")
        })?;
    let request: AccountAuth = if body.is_empty() {
        AccountAuth {
            account: None,
            client_type: None,
        }
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| err(400, "USG.000000001", format!("invalid body: {e}")))?
    };
    if request
        .account
        .as_deref()
        .is_some_and(|a| !a.is_empty() && a != account)
    {
        return Err(unauthorized(
            "the body's account is not the account of the Authorization header",
        ));
    }
    let key = state.service.access_key(&account).await?;
    // Compared even for an unknown account, so that the answer's timing does not tell which exist.
    let secret = key.as_ref().map_or(&[][..], |k| k.secret.as_slice());
    let password_ok = constant_time_eq(secret, password.as_bytes());
    let key = key
        .filter(|_| password_ok)
        .ok_or_else(|| unauthorized("the account or the password is wrong"))?;
    grant(&state, &key, "", None, request.client_type, unauthorized).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from huaweicloudsdkmeeting 3.1.219 (single tenant, then multi-tenant).
    #[test]
    fn app_auth_known_answers_from_the_python_sdk() {
        let key = b"AppKey0123456789abcdefABCDEF0123456789abcd";
        assert_eq!(
            app_auth_signature(key, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6:user01:1795434650:44514051-7119-4111-b113-1a3338cd2a1d"),
            "A2627BB03C75EBDA96C7B1DE952976749B7800BC94B603F4FEA65424A4421B2B"
        );
        assert_eq!(
            app_auth_signature(key, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6:corp01:user01:1795434651:8dfba125-0361-45cc-8e9d-6cc0019a01d1"),
            "21F41F848576E2A6B14ECD4D342A02BAEF317D726EDAFEF84AF56E02A37BFCCF"
        );
    }

    #[test]
    fn parses_the_authorization_header() {
        let (sig, access) = parse_authorization(
            "HMAC-SHA256 signature=ABC,access=YTFiMmMzZDRlNWY2YTdiOGM5ZDBlMWYyYTNiNGM1ZDY=",
        )
        .unwrap();
        assert_eq!(
            (sig.as_str(), access.as_str()),
            ("ABC", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6")
        );
        assert!(parse_authorization("HMAC-SHA256 signature=ABC").is_none());
    }
}
