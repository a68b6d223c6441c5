//! TC3-HMAC-SHA256, Tencent Cloud API 3.0's request signature, computed the way a server checks it.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::crypto::hex;

/// The parts of `Authorization: TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
/// SignedHeaders=<h1;h2>, Signature=<hex>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub secret_id: &'a str,
    pub date: &'a str,
    pub service: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

impl<'a> Authorization<'a> {
    pub fn parse(raw: &'a str) -> Option<Self> {
        let rest = raw.strip_prefix("TC3-HMAC-SHA256 ")?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            match k {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed_headers = Some(v),
                "Signature" => signature = Some(v),
                _ => {}
            }
        }
        let mut scope = credential?.split('/');
        let (secret_id, date, service, terminator) =
            (scope.next()?, scope.next()?, scope.next()?, scope.next()?);
        if terminator != "tc3_request" || scope.next().is_some() {
            return None;
        }
        Some(Self {
            secret_id,
            date,
            service,
            signed_headers: signed_headers?,
            signature: signature?,
        })
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// What a TC3 signature is computed over, kept so that a refusal can show it.
#[derive(Debug, PartialEq, Eq)]
pub struct Tc3Input {
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// Why no TC3 input can be computed.
#[derive(Debug, PartialEq, Eq)]
pub enum Unsignable {
    /// The credential's date is not the UTC date of `X-TC-Timestamp` (this one).
    Date(String),
    /// A header named in `SignedHeaders` is absent or not text.
    MissingHeader(String),
}

/// The canonical request and string to sign of a TC3 request, with `host` as the value of the `host`
/// header (the caller tries the header as sent and without its port). The canonical query string is the
/// request's query string as sent (empty for the SDKs' POST requests).
pub fn tc3_input(
    method: &str,
    query: &str,
    headers: &HeaderMap,
    host: &str,
    body: &[u8],
    auth: &Authorization<'_>,
    timestamp: i64,
) -> Result<Tc3Input, Unsignable> {
    let date = chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    if date != auth.date {
        return Err(Unsignable::Date(date));
    }
    let mut canonical_headers = String::new();
    for name in auth.signed_headers.split(';') {
        let name = name.to_ascii_lowercase();
        let value = if name == "host" {
            host
        } else {
            headers
                .get(&name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Unsignable::MissingHeader(name.clone()))?
        };
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim().to_ascii_lowercase()));
    }
    // Always the body's own hash: an `UNSIGNED-PAYLOAD` signature (X-TC-Content-SHA256) would let the body
    // change after signing, so the request is refused before it gets here.
    let payload_hash = sha256_hex(body);
    let canonical_request = format!(
        "{method}\n/\n{query}\n{canonical_headers}\n{}\n{payload_hash}",
        auth.signed_headers
    );
    let scope = format!("{}/{}/tc3_request", auth.date, auth.service);
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    Ok(Tc3Input {
        canonical_request,
        string_to_sign,
    })
}

/// The signature the request should carry (with its `Host` header as sent), or `None` if a signed header
/// is absent or the credential date is not the UTC date of `timestamp`.
pub fn expected_signature(
    secret_key: &[u8],
    method: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    auth: &Authorization<'_>,
    timestamp: i64,
) -> Option<String> {
    let host = headers.get("host").and_then(|v| v.to_str().ok())?;
    let input = tc3_input(method, query, headers, host, body, auth, timestamp).ok()?;
    Some(signature(
        secret_key,
        auth.date,
        auth.service,
        &input.string_to_sign,
    ))
}

/// hex(HMAC(HMAC(HMAC(HMAC("TC3"+key, date), service), "tc3_request"), string_to_sign)).
pub fn signature(secret_key: &[u8], date: &str, service: &str, string_to_sign: &str) -> String {
    let mut k = b"TC3".to_vec();
    k.extend_from_slice(secret_key);
    let k_date = hmac(&k, date.as_bytes());
    let k_service = hmac(&k_date, service.as_bytes());
    let k_signing = hmac(&k_service, b"tc3_request");
    hex(&hmac(&k_signing, string_to_sign.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from tencentcloud-sdk-python-ess 3.1.194 calling ModifyApplicationCallbackInfo.
    #[test]
    fn known_answer_from_the_python_sdk() {
        let body = br#"{"Operator": {"UserId": "yDwFmUUckpstqfvzUE1h3jo1f3cqjMKn"}, "OperateType": 1, "CallbackInfo": {"CallbackUrl": "https://hooks.example.com/ess?a=1", "CallbackKey": "0123456789abcdef0123456789abcdef", "CallbackToken": "tok_ABC"}, "Agent": {"ProxyOrganizationId": "org_123"}}"#;
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("host", "127.0.0.1:44299".parse().unwrap());
        let raw = "TC3-HMAC-SHA256 Credential=AKIDtestSecretId0000000000000000/2026-11-23/ess/tc3_request, SignedHeaders=content-type;host, Signature=6f9e28c6778b5f6abe84aed5e246e46e60ebbbc4c64ac30398cd7264ccadd605";
        let auth = Authorization::parse(raw).unwrap();
        assert_eq!(auth.secret_id, "AKIDtestSecretId0000000000000000");
        assert_eq!(auth.service, "ess");
        let got = expected_signature(
            b"testSecretKey00000000000000000000",
            "POST",
            "",
            &headers,
            body,
            &auth,
            1795434023,
        );
        assert_eq!(got.as_deref(), Some(auth.signature));
        // Any change to the body, the key or the time breaks it.
        assert_ne!(
            expected_signature(
                b"testSecretKey00000000000000000001",
                "POST",
                "",
                &headers,
                body,
                &auth,
                1795434023
            )
            .as_deref(),
            Some(auth.signature)
        );
        assert_ne!(
            expected_signature(
                b"testSecretKey00000000000000000000",
                "POST",
                "",
                &headers,
                &body[1..],
                &auth,
                1795434023
            )
            .as_deref(),
            Some(auth.signature)
        );
        assert_eq!(
            expected_signature(
                b"testSecretKey00000000000000000000",
                "POST",
                "",
                &headers,
                body,
                &auth,
                1795434023 + 86400
            ),
            None
        );
    }

    /// Captured from tencentcloud-sdk-nodejs 4.1.313 (`ess` 2020-11-11) against the endpoint
    /// `127.0.0.1:41343`: it sends `Host: 127.0.0.1:41343` but signs `host:127.0.0.1`, with the service
    /// `127` (the endpoint's first label); POST with a JSON body, and GET with the parameters in the query.
    #[test]
    fn known_answers_from_the_node_sdk() {
        let post_body = br#"{"Operator":{"UserId":"u1"},"OperateType":1,"CallbackInfo":{"CallbackUrl":"https://hooks.example.com/ess?a=1"}}"#;
        for (method, query, content_type, body, raw) in [
            (
                "POST",
                "",
                "application/json",
                &post_body[..],
                "TC3-HMAC-SHA256 Credential=AKIDtestSecretId0000000000000000/2026-12-02/127/tc3_request, SignedHeaders=content-type;host, Signature=acd787c6ab800ab58be1af608dad060af8df95008beae1f9b6282496e57e2f7d",
            ),
            (
                "GET",
                "Operator.UserId=u1&OperateType=1&CallbackInfo.CallbackUrl=https%3A%2F%2Fhooks.example.com%2Fess%3Fa%3D1",
                "application/x-www-form-urlencoded",
                &b""[..],
                "TC3-HMAC-SHA256 Credential=AKIDtestSecretId0000000000000000/2026-12-02/127/tc3_request, SignedHeaders=content-type;host, Signature=eb52bc25cf99e1ba2496bd05da4057109f4497d8631d8f621376e3e6e333eda3",
            ),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert("content-type", content_type.parse().unwrap());
            headers.insert("host", "127.0.0.1:41343".parse().unwrap());
            let auth = Authorization::parse(raw).unwrap();
            let sign_with = |host: &str, body: &[u8]| {
                let input = tc3_input(method, query, &headers, host, body, &auth, 1796244249).unwrap();
                signature(b"testSecretKey00000000000000000000", auth.date, auth.service, &input.string_to_sign)
            };
            assert_eq!(sign_with("127.0.0.1", body), auth.signature, "{method}");
            // The Host header as sent, another port or another body do not give it.
            assert_ne!(sign_with("127.0.0.1:41343", body), auth.signature);
            assert_ne!(sign_with("127.0.0.1:41344", body), auth.signature);
            assert_ne!(sign_with("127.0.0.1", b"{}"), auth.signature);
        }
    }

    #[test]
    fn malformed_authorization_is_refused() {
        assert!(Authorization::parse(
            "TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=host, Signature=x"
        )
        .is_none());
        assert!(Authorization::parse("HMAC Credential=a/b/c/tc3_request").is_none());
        assert!(
            Authorization::parse("TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=x")
                .is_none()
        );
    }
}
