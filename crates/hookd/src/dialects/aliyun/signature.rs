//! Alibaba Cloud request signatures, checked the way the server must: ACS3-HMAC-SHA256 (the SDKs'
//! default, in the `Authorization` header) and the older RPC signature (HMAC-SHA1 in the `Signature`
//! query parameter).

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::crypto::hex;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (a space as `%20`).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// `k=v` pairs sorted by key (then value), each side RFC 3986-encoded, joined with `&`.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        pairs.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
#[derive(Debug, PartialEq, Eq)]
pub struct Acs3<'a> {
    pub access_key_id: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

impl<'a> Acs3<'a> {
    pub fn parse(raw: &'a str) -> Option<Self> {
        let rest = raw.strip_prefix("ACS3-HMAC-SHA256 ")?;
        let (mut id, mut signed, mut sig) = (None, None, None);
        for part in rest.split(',') {
            match part.trim().split_once('=')? {
                ("Credential", v) => id = Some(v),
                ("SignedHeaders", v) => signed = Some(v),
                ("Signature", v) => sig = Some(v),
                _ => {}
            }
        }
        Some(Self {
            access_key_id: id?,
            signed_headers: signed?,
            signature: sig?,
        })
    }
}

/// What an ACS3 signature is computed over, kept so that a refusal can show it.
#[derive(Debug, PartialEq, Eq)]
pub struct Acs3Input {
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// A header named in `SignedHeaders` that the request does not carry (or not as text).
#[derive(Debug, PartialEq, Eq)]
pub struct MissingHeader(pub String);

/// The canonical request and string to sign of an ACS3 request.
pub fn acs3_input(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    signed_headers: &str,
    content_sha256: &str,
) -> Result<Acs3Input, MissingHeader> {
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let mut values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().map(str::trim))
            .collect::<Result<_, _>>()
            .map_err(|_| MissingHeader(name.to_owned()))?;
        if values.is_empty() {
            return Err(MissingHeader(name.to_owned()));
        }
        values.sort_unstable();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let canonical_request = format!(
        "{method}\n{path}\n{}\n{canonical_headers}\n{signed_headers}\n{content_sha256}",
        canonical_query(query)
    );
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    Ok(Acs3Input {
        canonical_request,
        string_to_sign,
    })
}

/// hex(HMAC-SHA256(secret, string_to_sign)).
pub fn acs3_sign(secret: &[u8], string_to_sign: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The ACS3 signature the request should carry; `None` if a signed header is missing.
pub fn acs3_signature(
    secret: &[u8],
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &HeaderMap,
    signed_headers: &str,
    content_sha256: &str,
) -> Option<String> {
    let input = acs3_input(method, path, query, headers, signed_headers, content_sha256).ok()?;
    Some(acs3_sign(secret, &input.string_to_sign))
}

/// The RPC (v1) string to sign: `METHOD&%2F&enc(canonical query)` over every parameter except
/// `Signature`, wherever the request carried it (query string or form body).
pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let signed: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    format!("{method}&%2F&{}", encode(&canonical_query(&signed)))
}

/// base64(HMAC-SHA1(secret + "&", string_to_sign)).
pub fn rpc_sign(secret: &[u8], string_to_sign: &str) -> String {
    let mut key = secret.to_vec();
    key.push(b'&');
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(&key).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The RPC (v1) signature of `params` (the `Signature` parameter itself excluded).
pub fn rpc_signature(secret: &[u8], method: &str, params: &[(String, String)]) -> String {
    rpc_sign(secret, &rpc_string_to_sign(method, params))
}

pub fn sha256_hex(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"TestSecretKey0123456789abcdefABCDEF";

    fn query(raw: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect()
    }

    /// Captured from alibabacloud-cams20200606 5.3.1 (UpdateAccountWebhook) and alibabacloud-live20161101
    /// 3.0.2 (CreateEventSub, with list parameters).
    #[test]
    fn acs3_known_answers_from_the_python_sdks() {
        for (action, version, nonce, raw_query, expected) in [
            (
                "UpdateAccountWebhook",
                "2020-06-06",
                "a1e2a06124f64546b75abcf3786ada18",
                "CustSpaceId=cams-abc123&HttpFlag=Y&QueueFlag=N&StatusCallbackUrl=https%3A%2F%2Fhooks.example.com%2Fcams%2Fstatus%3Fx%3D1%26y%3Da+b",
                "47ee373a0d71cc5e4983d6fbb404af793a0cc94d0232a4c39204a5909f874d36",
            ),
            (
                "CreateEventSub",
                "2016-11-01",
                "f4f2622819a12d7ad30498da2ebbd5af",
                "AppId=app01&CallbackUrl=http%3A%2F%2Fcb.example.com%2Fev&ChannelId=ch1&Events.1=ChannelClosed&Events.2=UserJoined&Users.1=u1&Users.2=u2",
                "c9d81352afc7b5c8b4071b723b13607011277ef79469dadda9135f490dbec857",
            ),
        ] {
            let mut headers = HeaderMap::new();
            for (k, v) in [
                ("host", "127.0.0.1:43787"),
                ("x-acs-version", version),
                ("x-acs-action", action),
                ("user-agent", "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"),
                ("x-acs-date", "2026-11-23T11:39:50Z"),
                ("x-acs-signature-nonce", nonce),
                ("accept", "application/json"),
                ("x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                ("x-acs-credentials-provider", "static_ak"),
            ] {
                headers.insert(k, v.parse().unwrap());
            }
            let signed = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";
            let got = acs3_signature(SECRET, "POST", "/", &query(raw_query), &headers, signed, &sha256_hex(b""));
            assert_eq!(got.as_deref(), Some(expected), "{action}");
            let other = acs3_signature(b"other", "POST", "/", &query(raw_query), &headers, signed, &sha256_hex(b""));
            assert_ne!(other.as_deref(), Some(expected));
        }
    }

    #[test]
    fn rpc_v1_known_answer_from_the_python_sdk() {
        let raw = "Action=CreateEventSub&Format=json&Version=2016-11-01&Timestamp=2026-11-23T11%3A39%3A51Z&SignatureNonce=63ff62e0d66b27e8ddb09f959a91dcf6&AppId=app01&CallbackUrl=http%3A%2F%2Fcb.example.com%2Fev&ChannelId=ch1&Events.1=ChannelClosed&Users.1=u1&Users.2=u2&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=LTAI5tTESTAKID0000000000&Signature=Vwju3lVjUTtIcprUKRkvckbBByU%3D";
        assert_eq!(
            rpc_signature(SECRET, "POST", &query(raw)),
            "Vwju3lVjUTtIcprUKRkvckbBByU="
        );
    }

    /// Captured from the Node.js clients: @alicloud/pop-core 1.8.0 with `method: 'POST'` (everything in a
    /// form body, no query) and with its default GET (everything in the query), and
    /// @alicloud/openapi-client 0.4.15 with `signatureAlgorithm: 'v2'` and a form body (common parameters
    /// and the signature in the query, action parameters in the body: the signature covers both).
    #[test]
    fn rpc_known_answers_from_the_node_clients() {
        for (method, query_part, body_part, expected) in [
            (
                "POST",
                "",
                "AccessKeyId=LTAI5tTESTAKID0000000000&Action=UpdateAccountWebhook&CustSpaceId=cams-abc123&Format=JSON&HttpFlag=Y&QueueFlag=N&SignatureMethod=HMAC-SHA1&SignatureNonce=fd460839a55a8c7a08255b215c3a63f2&SignatureVersion=1.0&StatusCallbackUrl=https%3A%2F%2Fhooks.example.com%2Fcams%2Fstatus%3Fx%3D1%26y%3Da%20b&Timestamp=2026-12-02T20%3A44%3A09Z&Version=2020-06-06&Signature=WxKc3wsCYRXTf39aJWuKmhSpTHw%3D",
                "WxKc3wsCYRXTf39aJWuKmhSpTHw=",
            ),
            (
                "GET",
                "AccessKeyId=LTAI5tTESTAKID0000000000&Action=UpdateAccountWebhook&CustSpaceId=cams-abc123&Format=JSON&HttpFlag=Y&SignatureMethod=HMAC-SHA1&SignatureNonce=9bfbbff4dddb178f67a2c6368d1ae749&SignatureVersion=1.0&Timestamp=2026-12-02T20%3A44%3A09Z&Version=2020-06-06&Signature=zFCf5FEu9qSTkTYs56hvD58wdos%3D",
                "",
                "zFCf5FEu9qSTkTYs56hvD58wdos=",
            ),
            (
                "POST",
                "Action=UpdateAccountWebhook&Format=json&Version=2020-06-06&Timestamp=2026-12-02T20%3A44%3A17Z&SignatureNonce=8c27117779d1e76f434d63dc0696286c&CustSpaceId=cams-abc123&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=LTAI5tTESTAKID0000000000&Signature=fyRpTvya9Ki9lrdwttd4rSrUAqo%3D",
                "HttpFlag=Y&StatusCallbackUrl=https%3A%2F%2Fhooks.example.com%2Fx",
                "fyRpTvya9Ki9lrdwttd4rSrUAqo=",
            ),
        ] {
            let mut all = query(query_part);
            all.extend(query(body_part));
            assert_eq!(rpc_signature(SECRET, method, &all), expected, "{method} {query_part}");
            // Leaving the body out, or changing any value, breaks it.
            if !body_part.is_empty() && !query_part.is_empty() {
                assert_ne!(rpc_signature(SECRET, method, &query(query_part)), expected);
            }
            let mut changed = all.clone();
            changed.retain(|(k, _)| k != "HttpFlag");
            changed.push(("HttpFlag".into(), "N".into()));
            assert_ne!(rpc_signature(SECRET, method, &changed), expected);
            let other_method = if method == "GET" { "POST" } else { "GET" };
            assert_ne!(rpc_signature(SECRET, other_method, &all), expected);
        }
    }

    /// Captured from @alicloud/cams20200606 1.4.2 (query parameters, empty body) and from
    /// @alicloud/openapi-client 0.4.15's generic `callApi` with action parameters in a form body (covered
    /// by `x-acs-content-sha256`, not by the canonical query).
    #[test]
    fn acs3_known_answers_from_the_node_clients() {
        for (port, query_part, body, date, nonce, content_type, expected) in [
            (
                "41343",
                "CustSpaceId=cams-abc123&HttpFlag=Y&QueueFlag=N&StatusCallbackUrl=https%3A%2F%2Fhooks.example.com%2Fx",
                "",
                "2026-12-02T20:44:09Z",
                "fa073dd135eec7063d560b451f282d16",
                None,
                "1fe83f3dfca41af1a54f0866dd08b9cf4b62ea4ebf1c87447a74889d03f5f986",
            ),
            (
                "34551",
                "CustSpaceId=cams-abc123",
                "HttpFlag=Y&StatusCallbackUrl=https%3A%2F%2Fhooks.example.com%2Fx",
                "2026-12-02T20:44:17Z",
                "b96e5a5cb164102dcf36747b7d388a26",
                Some("application/x-www-form-urlencoded"),
                "33b943dee20c1cad6045f3181bc80930983c2ded41392e854327bc8475dd3bb8",
            ),
        ] {
            let content_sha256 = sha256_hex(body.as_bytes());
            let mut headers = HeaderMap::new();
            let host = format!("127.0.0.1:{port}");
            for (k, v) in [
                ("host", host.as_str()),
                ("x-acs-version", "2020-06-06"),
                ("x-acs-action", "UpdateAccountWebhook"),
                ("x-acs-date", date),
                ("x-acs-signature-nonce", nonce),
                ("x-acs-content-sha256", content_sha256.as_str()),
                ("x-acs-credentials-provider", "static_ak"),
            ] {
                headers.insert(k, v.parse().unwrap());
            }
            let mut signed = "host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version".to_owned();
            if let Some(kind) = content_type {
                headers.insert("content-type", kind.parse().unwrap());
                signed = format!("content-type;{signed}");
            }
            let got = acs3_signature(SECRET, "POST", "/", &query(query_part), &headers, &signed, &content_sha256);
            assert_eq!(got.as_deref(), Some(expected), "{query_part}");
            let changed = sha256_hex(format!("{body}&x=1").as_bytes());
            let other = acs3_signature(SECRET, "POST", "/", &query(query_part), &headers, &signed, &changed);
            assert_ne!(other.as_deref(), Some(expected));
        }
    }

    #[test]
    fn parses_the_authorization_header() {
        let a = Acs3::parse(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=host;x-acs-date,Signature=abc",
        )
        .unwrap();
        assert_eq!(
            (a.access_key_id, a.signed_headers, a.signature),
            ("AK", "host;x-acs-date", "abc")
        );
        assert!(Acs3::parse("ACS3-HMAC-SHA256 Credential=AK").is_none());
        assert!(Acs3::parse("TC3-HMAC-SHA256 Credential=AK,SignedHeaders=h,Signature=s").is_none());
    }
}
