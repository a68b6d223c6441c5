//! The SSRF guard: callbacks go only to public addresses, unless the operator allowed a network
//! (`HOOKD_ALLOWED_TARGETS`). Checked when a URL is saved (friendly 422) and again for every connection:
//! the HTTP client resolves names through `GuardedResolver`, so it connects only to addresses that passed
//! the check (a DNS answer that changes between save and send cannot slip through).

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use ipnet::IpNet;

use crate::domain::CallbackUrl;

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Blocked {
    #[error("{host} resolves to {addr}, a non-public address (loopback, private, link-local, multicast, CGNAT or reserved); allow it with HOOKD_ALLOWED_TARGETS")]
    NonPublic { host: String, addr: IpAddr },
    #[error("{host} could not be resolved: {reason}")]
    Unresolvable { host: String, reason: String },
}

#[derive(Debug, Clone, Default)]
pub struct Guard {
    allowed: Arc<Vec<IpNet>>,
}

impl Guard {
    pub fn new(allowed: Vec<IpNet>) -> Self {
        Self {
            allowed: Arc::new(allowed),
        }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|net| net.contains(&ip)) || is_public(ip)
    }

    /// Save-time check. An IP literal must be permitted; a name must not resolve to anything refused. A
    /// name that does not resolve (yet) is accepted: the connect-time check still applies.
    pub async fn check_url(&self, url: &CallbackUrl) -> Result<(), Blocked> {
        match url.host() {
            url::Host::Ipv4(v4) => self.check_ip(&v4.to_string(), IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => self.check_ip(&v6.to_string(), IpAddr::V6(v6)),
            url::Host::Domain(name) => {
                let lookup = tokio::net::lookup_host((name, url.port()));
                match tokio::time::timeout(Duration::from_secs(3), lookup).await {
                    Ok(Ok(addrs)) => {
                        for addr in addrs {
                            self.check_ip(name, addr.ip())?;
                        }
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// Connect-time check of an address.
    pub fn check_ip(&self, host: &str, addr: IpAddr) -> Result<(), Blocked> {
        if self.permits(addr) {
            Ok(())
        } else {
            Err(Blocked::NonPublic {
                host: host.to_owned(),
                addr,
            })
        }
    }
}

/// Resolves names for the HTTP client and keeps only permitted addresses.
pub struct GuardedResolver {
    pub guard: Guard,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Blocked::Unresolvable {
                    host: host.clone(),
                    reason: e.to_string(),
                })?
                .collect();
            let mut first_refusal = None;
            let permitted: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| match guard.check_ip(&host, a.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        first_refusal.get_or_insert(e);
                        false
                    }
                })
                .collect();
            if permitted.is_empty() {
                let err = first_refusal.unwrap_or(Blocked::Unresolvable {
                    host,
                    reason: "no addresses".into(),
                });
                return Err(Box::new(err) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(permitted.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether an address is globally routable unicast. IPv6 forms that embed an IPv4 address (mapped,
/// compatible, NAT64, 6to4) are judged by the embedded address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                   // "this network"
        || a == 10                             // private
        || a == 127                            // loopback
        || (a == 100 && (64..128).contains(&b)) // CGNAT (and Alibaba's metadata service)
        || (a == 169 && b == 254)              // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))  // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay anycast
        || (a == 192 && b == 168)              // private
        || (a == 198 && (b == 18 || b == 19))  // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if seg[..6] == [0; 6] {
        // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        return !ip.is_unspecified()
            && !ip.is_loopback()
            && is_public_v4(embedded_v4(seg[6], seg[7]));
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(seg[6], seg[7])); // NAT64
    }
    if seg[0] == 0x2002 {
        return is_public_v4(embedded_v4(seg[1], seg[2])); // 6to4
    }
    !((seg[0] == 0x64 && seg[1] == 0xff9b) // local-use NAT64 64:ff9b:1::/48
        || (seg[0] == 0x100 && seg[1..4] == [0, 0, 0]) // discard-only
        || (seg[0] == 0x2001 && seg[1] == 0)           // Teredo
        || (seg[0] == 0x2001 && seg[1] == 0xdb8)       // documentation
        || (seg[0] & 0xfe00) == 0xfc00                 // unique local
        || (seg[0] & 0xffc0) == 0xfe80                 // link-local
        || (seg[0] & 0xffc0) == 0xfec0                 // site-local (deprecated)
        || (seg[0] & 0xff00) == 0xff00) // multicast
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_against_reference_table() {
        let table = [
            ("8.8.8.8", true),
            ("1.1.1.1", true),
            ("100.63.255.255", true),
            ("100.64.0.1", false),
            ("100.100.100.200", false),
            ("127.0.0.1", false),
            ("0.0.0.0", false),
            ("10.1.2.3", false),
            ("172.15.0.1", true),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("169.254.169.254", false),
            ("192.168.1.1", false),
            ("198.18.0.1", false),
            ("224.0.0.1", false),
            ("255.255.255.255", false),
            ("2606:4700:4700::1111", true),
            ("::1", false),
            ("::", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:8.8.8.8", true),
            ("::127.0.0.1", false),
            ("64:ff9b::10.0.0.1", false),
            ("64:ff9b::8.8.8.8", true),
            ("2002:7f00:1::", false),
            ("2002:0808:0808::", true),
            ("fd00:ec2::254", false),
            ("fe80::1", false),
            ("ff02::1", false),
            ("2001:db8::1", false),
            ("2001::1", false),
        ];
        for (ip, public) in table {
            assert_eq!(is_public(ip.parse().unwrap()), public, "{ip}");
        }
    }

    #[test]
    fn allowed_networks_override() {
        let guard = Guard::new(vec!["127.0.0.0/8".parse().unwrap()]);
        assert!(guard.permits("127.0.0.1".parse().unwrap()));
        assert!(!guard.permits("10.0.0.1".parse().unwrap()));
        assert!(!guard.permits("::1".parse().unwrap()));
    }

    #[tokio::test]
    async fn save_time_check_covers_literals_and_names() {
        let guard = Guard::default();
        let url = |s| CallbackUrl::parse(s).unwrap();
        assert!(guard.check_url(&url("http://127.0.0.1:9/")).await.is_err());
        assert!(guard
            .check_url(&url("http://[::ffff:7f00:1]/"))
            .await
            .is_err());
        assert!(guard.check_url(&url("http://0x7f.1/")).await.is_err());
        assert!(guard.check_url(&url("http://localhost/")).await.is_err());
        // IDNA maps these to `localhost` and `127.0.0.1` before anything looks at the host.
        let fullwidth = url(
            "http://\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}:9/",
        );
        assert_eq!(fullwidth.host(), url::Host::Domain("localhost"));
        assert!(guard.check_url(&fullwidth).await.is_err());
        let circled = url("http://\u{2460}\u{2461}\u{2466}.0.0.1/");
        assert_eq!(circled.host(), url::Host::<&str>::Ipv4(Ipv4Addr::LOCALHOST));
        assert!(guard.check_url(&circled).await.is_err());
        assert!(guard.check_url(&url("http://93.184.215.14/")).await.is_ok());
    }

    /// The reference: IPv4 ranges that are not globally routable unicast, written as CIDRs from the IANA
    /// special-purpose registry (plus CGNAT, multicast and the reserved block), independently of the
    /// octet arithmetic above.
    const NOT_PUBLIC_V4: &[&str] = &[
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    ];

    fn reference_v4(ip: Ipv4Addr) -> bool {
        !NOT_PUBLIC_V4
            .iter()
            .any(|net| net.parse::<ipnet::Ipv4Net>().unwrap().contains(&ip))
    }

    /// Addresses near the reference table's edges, and anywhere.
    fn any_v4() -> impl proptest::strategy::Strategy<Value = Ipv4Addr> {
        use proptest::prelude::*;
        let edges: Vec<u32> = NOT_PUBLIC_V4
            .iter()
            .flat_map(|net| {
                let net: ipnet::Ipv4Net = net.parse().unwrap();
                let (lo, hi) = (u32::from(net.network()), u32::from(net.broadcast()));
                [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)]
            })
            .collect();
        prop_oneof![
            any::<u32>(),
            (proptest::sample::select(edges), -2i64..=2)
                .prop_map(|(edge, d)| (i64::from(edge) + d).clamp(0, i64::from(u32::MAX)) as u32),
        ]
        .prop_map(Ipv4Addr::from)
    }

    proptest::proptest! {
        #[test]
        fn ipv4_agrees_with_the_reference_table(ip in any_v4()) {
            proptest::prop_assert_eq!(is_public(IpAddr::V4(ip)), reference_v4(ip), "{}", ip);
        }

        /// An IPv4 address is judged the same in every IPv6 form that embeds it, and the way a URL spells
        /// it (decimal, hex, octal, dotted) does not matter either.
        #[test]
        fn embedded_and_respelled_ipv4_is_judged_as_ipv4(ip in any_v4()) {
            let v4 = is_public(IpAddr::V4(ip));
            let [a, b, c, d] = ip.octets();
            let (hi, lo) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
            for v6 in [
                ip.to_ipv6_mapped(),
                Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
                Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
            ] {
                proptest::prop_assert_eq!(is_public(IpAddr::V6(v6)), v4, "{} as {}", ip, v6);
            }
            let n = u32::from(ip);
            for spelled in [format!("{n}"), format!("0x{n:x}"), format!("0{n:o}"), format!("{a}.{b}.{}", u16::from_be_bytes([c, d]))] {
                let url = CallbackUrl::parse(&format!("http://{spelled}/")).unwrap();
                proptest::prop_assert_eq!(url.host(), url::Host::<&str>::Ipv4(ip), "{}", spelled);
            }
        }
    }
}
