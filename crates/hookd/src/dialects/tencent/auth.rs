//! Authentication of ESS requests: TC3-HMAC-SHA256 (`X-TC-Action`, POST JSON or GET query) and the
//! parameter signature (HmacSHA1/HmacSHA256), each over the host as sent or without its port, and the
//! action's input they carry.

use axum::{
    body::Bytes,
    http::{HeaderMap, Method, Uri},
};
use serde_json::{json, Value};

use super::{err, header, tc3, v1, TcError, ACTION, MAX_SKEW_SECS, SOURCE};
use crate::{
    dialects::DialectState,
    domain::now_ms,
    service::{self, Principal},
};

/// A request whose signature holds: the key's principal, the action and version it names, and the
/// action's input (the JSON body, or the parameters unflattened: `Operator.UserId=u` is
/// `{"Operator":{"UserId":"u"}}`).
pub(super) struct Signed {
    pub principal: Principal,
    pub action: String,
    pub version: String,
    pub input: Value,
}

/// The host values a signature may cover: the `Host` header as sent and, when it carries a port, the
/// same host without it (tencentcloud-sdk-nodejs signs the host name but sends `host:port`). A host with
/// any other port is not among them.
fn signable_hosts(headers: &HeaderMap) -> Result<Vec<String>, TcError> {
    let host = header(headers, "host").ok_or_else(|| {
        err(
            "AuthFailure.InvalidAuthorization",
            "the request carries no Host header",
        )
    })?;
    let mut hosts = vec![host.to_owned()];
    if let Some(bare) = without_port(host) {
        hosts.push(bare.to_owned());
    }
    Ok(hosts)
}

/// `name:port` or `[v6]:port` without `:port`; `None` when there is no port.
fn without_port(host: &str) -> Option<&str> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        (&host[..=end], host[end + 1..].strip_prefix(':')?)
    } else {
        let (name, port) = host.rsplit_once(':')?;
        (name, port)
    };
    port.parse::<u16>().ok()?;
    Some(name)
}

/// `X-TC-Timestamp`/`Timestamp` within five minutes of now.
fn check_fresh(timestamp: i64) -> Result<(), TcError> {
    if (now_ms() / 1000).abs_diff(timestamp) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(err(
            "AuthFailure.SignatureExpire",
            format!(
                "the signature expired: its timestamp {timestamp} is more than 5 minutes from now"
            ),
        ));
    }
    Ok(())
}

async fn key(state: &DialectState, secret_id: &str) -> Result<service::KeyMaterial, TcError> {
    state
        .service
        .access_key(secret_id)
        .await
        .map_err(TcError::from)?
        .ok_or_else(|| {
            err(
                "AuthFailure.SecretIdNotFound",
                "the SecretId does not exist",
            )
        })
}

/// Verifies a TC3-HMAC-SHA256 request: the Authorization header, the timestamp, the credential's
/// service (`ess`, or the first label of the host the request was sent to, which is what the SDKs derive
/// from a custom endpoint, as Tencent's own endpoints `ess.tencentcloudapi.com` give `ess`), then the
/// signature over the host as sent or without its port.
pub(super) async fn authenticate_tc3(
    state: &DialectState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Signed, TcError> {
    let auth = header(headers, "authorization")
        .and_then(tc3::Authorization::parse)
        .ok_or_else(|| {
            err(
                "AuthFailure.InvalidAuthorization",
                "the Authorization header is not `TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders=…, Signature=…`",
            )
        })?;
    let signed_headers: Vec<String> = auth
        .signed_headers
        .split(';')
        .map(str::to_ascii_lowercase)
        .collect();
    for required in ["content-type", "host"] {
        if !signed_headers.iter().any(|h| h == required) {
            return Err(err(
                "AuthFailure.InvalidAuthorization",
                format!("SignedHeaders must include {required}"),
            ));
        }
    }
    if header(headers, "x-tc-content-sha256")
        .is_some_and(|v| v.eq_ignore_ascii_case("UNSIGNED-PAYLOAD"))
    {
        return Err(err(
            "AuthFailure.InvalidAuthorization",
            "X-TC-Content-SHA256: UNSIGNED-PAYLOAD is not accepted; sign the body",
        ));
    }
    let timestamp: i64 = header(headers, "x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| {
            err(
                "AuthFailure.InvalidAuthorization",
                "X-TC-Timestamp is missing or not a number",
            )
        })?;
    check_fresh(timestamp)?;
    let hosts = signable_hosts(headers)?;
    let first_label = |h: &String| h.split('.').next().unwrap_or_default().to_owned();
    if auth.service != SOURCE && !hosts.iter().map(first_label).any(|l| l == auth.service) {
        return Err(err(
            "AuthFailure.InvalidAuthorization",
            format!(
                "the credential scope names the service `{}`; sign with `{SOURCE}` or `{}`, the first label of the host this request was sent to",
                auth.service,
                first_label(&hosts[0])
            ),
        ));
    }
    let key = key(state, auth.secret_id).await?;
    let query = uri.query().unwrap_or("");
    let mut shown = None;
    let mut matched = false;
    for host in &hosts {
        let input = tc3::tc3_input(
            method.as_str(),
            query,
            headers,
            host,
            body,
            &auth,
            timestamp,
        )
        .map_err(|why| match why {
            tc3::Unsignable::Date(date) => err(
                "AuthFailure.SignatureFailure",
                format!(
                    "the credential date {} is not {date}, the UTC date of X-TC-Timestamp",
                    auth.date
                ),
            ),
            tc3::Unsignable::MissingHeader(name) => err(
                "AuthFailure.SignatureFailure",
                format!("SignedHeaders names {name}, which the request does not carry"),
            ),
        })?;
        let expected = tc3::signature(&key.secret, auth.date, auth.service, &input.string_to_sign);
        if crate::crypto::constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            matched = true;
            break;
        }
        shown.get_or_insert(input);
    }
    if !matched {
        let input = shown.expect("at least one host was tried");
        return Err(err(
            "AuthFailure.SignatureFailure",
            format!(
                "the request signature does not match. hookd's canonical request is:{:?} and its string to sign is:{:?} (with the Host header as sent; the host without its port was tried as well)",
                input.canonical_request, input.string_to_sign
            ),
        ));
    }
    let input = if *method == Method::GET {
        unflatten(url::form_urlencoded::parse(query.as_bytes()).into_owned())?
    } else if body.is_empty() {
        json!({})
    } else {
        let kind = header(headers, "content-type").unwrap_or("");
        if !kind.starts_with("application/json") {
            return Err(err(
                "InvalidParameter.ParamError",
                format!("a TC3 POST body must be application/json for {ACTION}, not `{kind}`"),
            ));
        }
        serde_json::from_slice(body).map_err(|e| {
            err(
                "InvalidParameter.ParamError",
                format!("the request body is not valid JSON: {e}"),
            )
        })?
    };
    Ok(Signed {
        principal: key.principal,
        action: header(headers, "x-tc-action")
            .unwrap_or_default()
            .to_owned(),
        version: header(headers, "x-tc-version")
            .unwrap_or_default()
            .to_owned(),
        input,
    })
}

/// The common parameters of the parameter signature, which are not the action's input.
const COMMON: &[&str] = &[
    "Action",
    "Version",
    "Region",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Token",
    "Language",
    "RequestClient",
];

/// Verifies a request signed with the parameter signature: every parameter in the query string (GET) or a
/// form body (POST, with the query's parameters, if any, signed alike), the timestamp, the signature over
/// the host as sent or without its port, and that it is the first use of the request (its signature: the
/// SDKs' nonces are small random numbers, so two different requests may share one).
pub(super) async fn authenticate_v1(
    state: &DialectState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Signed, TcError> {
    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned();
    let form: Vec<(String, String)> = if body.is_empty() {
        Vec::new()
    } else if crate::dialects::is_form(headers) {
        url::form_urlencoded::parse(body).into_owned().collect()
    } else {
        return Err(err(
            "InvalidParameter.ParamError",
            "with the parameter signature a body must be application/x-www-form-urlencoded",
        ));
    };
    let params = crate::dialects::merge_parameters(query.chain(form))
        .map_err(|e| err("InvalidParameter.ParamError", e.to_string()))?;
    let required = |name: &str| {
        params
            .get(name)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
            .ok_or_else(|| {
                err(
                    "MissingParameter",
                    format!("the request is missing the required parameter {name}"),
                )
            })
    };
    let signature = required("Signature")?;
    let sign_method = v1::Method::parse(params.get("SignatureMethod").map(String::as_str))
        .ok_or_else(|| {
            err(
                "InvalidParameterValue",
                "SignatureMethod must be HmacSHA1 or HmacSHA256 (or send TC3-HMAC-SHA256 in the Authorization header)",
            )
        })?;
    let timestamp: i64 = required("Timestamp")?.parse().map_err(|_| {
        err(
            "InvalidParameterValue",
            "Timestamp must be a Unix time in seconds",
        )
    })?;
    required("Nonce")?;
    check_fresh(timestamp)?;
    let key = key(state, required("SecretId")?).await?;
    let hosts = signable_hosts(headers)?;
    let strings: Vec<String> = hosts
        .iter()
        .map(|host| v1::string_to_sign(method.as_str(), host, uri.path(), &params))
        .collect();
    let matched = strings.iter().any(|sts| {
        crate::crypto::constant_time_eq(
            v1::sign(&key.secret, sign_method, sts).as_bytes(),
            signature.as_bytes(),
        )
    });
    if !matched {
        return Err(err(
            "AuthFailure.SignatureFailure",
            format!(
                "the request signature does not match. hookd's string to sign is:{:?} (with the Host header as sent; the host without its port was tried as well)",
                strings[0]
            ),
        ));
    }
    let Principal::Key { key_id, .. } = &key.principal else {
        return Err(err(
            "AuthFailure.InvalidAuthorization",
            "only access keys may call this API",
        ));
    };
    let now = now_ms();
    let first = state
        .service
        .first_use(
            &format!("tc1:{key_id}:{signature}"),
            now,
            now + 2 * MAX_SKEW_SECS * 1000,
        )
        .await
        .map_err(TcError::from)?;
    if !first {
        return Err(err(
            "AuthFailure.SignatureFailure",
            "this signed request was already accepted: each is accepted once (sign every request anew, with a new Nonce)",
        ));
    }
    let (action, version) = (
        required("Action")?.to_owned(),
        required("Version")?.to_owned(),
    );
    let input = unflatten(
        params
            .into_iter()
            .filter(|(k, _)| !COMMON.contains(&k.as_str())),
    )?;
    Ok(Signed {
        principal: key.principal,
        action,
        version,
        input,
    })
}

/// Dotted parameter names as nested objects: `CallbackInfo.CallbackUrl=u` is
/// `{"CallbackInfo":{"CallbackUrl":"u"}}`; every value stays text.
fn unflatten(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Value, TcError> {
    let conflict = |name: &str| {
        err(
            "InvalidParameter.ParamError",
            format!("the parameter {name} is both a value and an object"),
        )
    };
    let mut root = serde_json::Map::new();
    for (name, value) in pairs {
        let mut parts: Vec<&str> = name.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut node = &mut root;
        for part in parts {
            node = node
                .entry(part.to_owned())
                .or_insert_with(|| Value::Object(serde_json::Map::new()))
                .as_object_mut()
                .ok_or_else(|| conflict(&name))?;
        }
        if node.contains_key(last) {
            return Err(conflict(&name));
        }
        node.insert(last.to_owned(), Value::String(value));
    }
    Ok(Value::Object(root))
}
