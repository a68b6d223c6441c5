//! Callback URL validation and the SSRF address classifier: any string is parsed as a callback URL
//! without a panic; an accepted URL with a literal address is judged the same however the address is
//! written (IPv4 in its IPv4-mapped and IPv4-compatible IPv6 forms, and 6to4/NAT64 embeddings agree with
//! the plain address), and redaction never leaves a password in place.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hookd::delivery::ssrf::{is_public, Guard};
use hookd::domain::CallbackUrl;
use libfuzzer_sys::fuzz_target;

fn embeddings(v4: Ipv4Addr) -> [Ipv6Addr; 3] {
    let [a, b, c, d] = v4.octets();
    let hi = u16::from_be_bytes([a, b]);
    let lo = u16::from_be_bytes([c, d]);
    [
        v4.to_ipv6_mapped(),
        Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
        Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
    ]
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let redacted = hookd::domain::url::redact(raw);
    if let Ok(parsed) = url::Url::parse(raw) {
        if let Some(password) = parsed.password() {
            if password != "****" {
                let again = url::Url::parse(&redacted).expect("redaction keeps a valid URL");
                assert_eq!(
                    again.password(),
                    Some("****"),
                    "{raw} redacted to {redacted}"
                );
            }
        }
    }
    let Ok(url) = CallbackUrl::parse(raw) else {
        return;
    };
    let guard = Guard::default();
    let literal = match url.host() {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    };
    if let Some(ip) = literal {
        assert_eq!(guard.check_ip("h", ip).is_ok(), is_public(ip), "{raw}");
        if let IpAddr::V4(v4) = ip {
            for v6 in embeddings(v4) {
                assert_eq!(
                    is_public(IpAddr::V6(v6)),
                    is_public(ip),
                    "{v4} and {v6} are judged differently"
                );
            }
        }
        if let IpAddr::V6(v6) = ip {
            if let Some(v4) = v6.to_ipv4_mapped() {
                assert_eq!(is_public(ip), is_public(IpAddr::V4(v4)), "{raw}");
            }
        }
    }
});
