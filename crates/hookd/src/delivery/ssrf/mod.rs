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
    #[error("{host} resolves to {addr}, a non-public address (loopback, private, link-local, multicast, CGNAT or reserved); the operator can allow it with HOOKD_ALLOWED_TARGETS")]
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

/// Whether an address is globally routable unicast. IPv6 forms that carry an IPv4 address at a fixed place
/// (mapped, translated, compatible, the NAT64 well-known prefix, 6to4) are judged by that address.
///
/// `tests::IANA_V4` and `tests::IANA_V6` hold the IANA special-purpose registries, every entry with its
/// "globally reachable" value; a test checks every block against this function.
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
        // IETF protocol assignments, all of it: the PCP and TURN anycast addresses (192.0.0.9, .10), which
        // the registry calls globally reachable, reach the nearest such server, usually the local gateway.
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay anycast (deprecated) and 6a44 relay
        || (a == 192 && b == 168)              // private
        || (a == 198 && (b == 18 || b == 19))  // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

/// The IPv4 address an IPv6 address carries where every host and translator reads it the same way.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match ip.segments() {
        // ::a.b.c.d IPv4-compatible (deprecated; `::` and `::1` read as 0.0.0.0 and 0.0.0.1, both
        // refused), ::ffff:a.b.c.d IPv4-mapped (a dual-stack socket connects to a.b.c.d itself) and
        // ::ffff:0:a.b.c.d IPv4-translated (RFC 2765 SIIT, which a translator sends to a.b.c.d).
        [0, 0, 0, 0, 0, 0 | 0xffff, hi, lo] | [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(v4(hi, lo)),
        // 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052).
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        // 2002::/16 6to4 (RFC 3056): the relay tunnels to the IPv4 address after the prefix.
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        _ => None,
    }
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    // Only 2000::/3 is global unicast; the rest of the address space is reserved, unique-local,
    // link-local or multicast. That also refuses the special-purpose blocks outside 2000::/3: the
    // local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) as a whole, because where the IPv4 address sits in
    // it depends on the prefix length the local translator was given (/48 to /96, RFC 6052 §2.2), so an
    // address public at one reading can be private at another; discard-only 100::/64, dummy
    // 100:0:0:1::/64 and SRv6 SIDs 5f00::/16. An operator with a local NAT64 may allow its prefix.
    if seg[0] & 0xe000 != 0x2000 {
        return false;
    }
    if seg[0] == 0x2001 && seg[1] < 0x200 {
        // IETF protocol assignments 2001::/23 (Teredo, benchmarking, deprecated ORCHID, the rest
        // unassigned): only the blocks the registry calls globally reachable. Not the PCP, TURN and DNS-SD
        // anycast addresses 2001:1::1-3, which reach the nearest such server, usually a local one.
        return seg[1] == 3                        // AMT 2001:3::/32
            || (seg[1] == 4 && seg[2] == 0x112)   // AS112-v6 2001:4:112::/48
            || (0x20..0x40).contains(&seg[1]); // ORCHIDv2 2001:20::/28, DETs 2001:30::/28
    }
    !((seg[0] == 0x2001 && seg[1] == 0xdb8)      // documentation 2001:db8::/32
        || (seg[0] == 0x3fff && seg[1] < 0x1000)) // documentation 3fff::/20
}

#[cfg(test)]
mod tests;
