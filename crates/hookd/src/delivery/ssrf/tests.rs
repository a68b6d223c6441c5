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
        ("::ffff:0:7f00:1", false),
        ("::ffff:0:a00:1", false),
        ("::ffff:0:808:808", true),
        ("::127.0.0.1", false),
        ("64:ff9b::10.0.0.1", false),
        ("64:ff9b::8.8.8.8", true),
        ("64:ff9b:1::7f00:1", false),
        ("64:ff9b:1::808:808", false),
        ("64:ff9b:2::808:808", false),
        ("2002:7f00:1::", false),
        ("2002:0808:0808::", true),
        ("fd00:ec2::254", false),
        ("fe80::1", false),
        ("fec0::1", false),
        ("ff02::1", false),
        ("2001:db8::1", false),
        ("2001::1", false),
        ("2001:1::1", false),
        ("2001:2::1", false),
        ("2001:5::1", false),
        ("2001:10::1", false),
        ("2001:3::1", true),
        ("2001:20::1", true),
        ("2620:4f:8000::1", true),
        ("3fff::1", false),
        ("3fff:1000::1", true),
        ("5f00::1", false),
        ("100::1", false),
        ("100:0:0:1::1", false),
        ("4000::1", false),
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
    // Allowing an IPv4 network does not allow the IPv6 forms of its addresses.
    assert!(!guard.permits("::ffff:0:7f00:1".parse().unwrap()));
    // A local NAT64 prefix is refused as a whole unless the operator allows it.
    let nat64: IpAddr = "64:ff9b:1::808:808".parse().unwrap();
    assert!(!Guard::default().permits(nat64));
    assert!(Guard::new(vec!["64:ff9b:1::/48".parse().unwrap()]).permits(nat64));
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
    assert!(guard
        .check_url(&url("http://[::ffff:0:7f00:1]/"))
        .await
        .is_err());
    assert!(guard.check_url(&url("http://0x7f.1/")).await.is_err());
    assert!(guard.check_url(&url("http://localhost/")).await.is_err());
    // IDNA maps these to `localhost` and `127.0.0.1` before anything looks at the host.
    let fullwidth =
        url("http://\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}:9/");
    assert_eq!(fullwidth.host(), url::Host::Domain("localhost"));
    assert!(guard.check_url(&fullwidth).await.is_err());
    let circled = url("http://\u{2460}\u{2461}\u{2466}.0.0.1/");
    assert_eq!(circled.host(), url::Host::<&str>::Ipv4(Ipv4Addr::LOCALHOST));
    assert!(guard.check_url(&circled).await.is_err());
    assert!(guard.check_url(&url("http://93.184.215.14/")).await.is_ok());
}

/// What hookd does with the addresses of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Refused,
    Public,
    /// Judged by the IPv4 address in the 32 bits right after the prefix.
    Embedded,
}
use Want::{Embedded, Public, Refused};

/// A block, its name, its "Globally Reachable" value in the registry (`None` for N/A, and for the
/// blank cells of a terminated entry), and what hookd does with it. An address is judged by the most
/// specific block that holds it.
type Block = (&'static str, &'static str, Option<bool>, Want);

/// The IANA IPv4 Special-Purpose Address Registry, every entry (as published 2026-07, unchanged
/// since 2020-09 but for references).
const IANA_V4: &[Block] = &[
    ("0.0.0.0/8", "\"This network\"", Some(false), Refused),
    (
        "0.0.0.0/32",
        "\"This host on this network\"",
        Some(false),
        Refused,
    ),
    ("10.0.0.0/8", "Private-Use", Some(false), Refused),
    (
        "100.64.0.0/10",
        "Shared Address Space",
        Some(false),
        Refused,
    ),
    ("127.0.0.0/8", "Loopback", Some(false), Refused),
    ("169.254.0.0/16", "Link Local", Some(false), Refused),
    ("172.16.0.0/12", "Private-Use", Some(false), Refused),
    (
        "192.0.0.0/24",
        "IETF Protocol Assignments",
        Some(false),
        Refused,
    ),
    (
        "192.0.0.0/29",
        "IPv4 Service Continuity Prefix",
        Some(false),
        Refused,
    ),
    ("192.0.0.8/32", "IPv4 dummy address", Some(false), Refused),
    // Anycast to the nearest PCP or TURN server, which is usually the local gateway.
    (
        "192.0.0.9/32",
        "Port Control Protocol Anycast",
        Some(true),
        Refused,
    ),
    (
        "192.0.0.10/32",
        "Traversal Using Relays around NAT Anycast",
        Some(true),
        Refused,
    ),
    (
        "192.0.0.170/32",
        "NAT64/DNS64 Discovery",
        Some(false),
        Refused,
    ),
    (
        "192.0.0.171/32",
        "NAT64/DNS64 Discovery",
        Some(false),
        Refused,
    ),
    (
        "192.0.2.0/24",
        "Documentation (TEST-NET-1)",
        Some(false),
        Refused,
    ),
    ("192.31.196.0/24", "AS112-v4", Some(true), Public),
    ("192.52.193.0/24", "AMT", Some(true), Public),
    (
        "192.88.99.0/24",
        "Deprecated (6to4 Relay Anycast)",
        None,
        Refused,
    ),
    (
        "192.88.99.2/32",
        "6a44-relay anycast address",
        Some(false),
        Refused,
    ),
    ("192.168.0.0/16", "Private-Use", Some(false), Refused),
    (
        "192.175.48.0/24",
        "Direct Delegation AS112 Service",
        Some(true),
        Public,
    ),
    ("198.18.0.0/15", "Benchmarking", Some(false), Refused),
    (
        "198.51.100.0/24",
        "Documentation (TEST-NET-2)",
        Some(false),
        Refused,
    ),
    (
        "203.0.113.0/24",
        "Documentation (TEST-NET-3)",
        Some(false),
        Refused,
    ),
    ("240.0.0.0/4", "Reserved", Some(false), Refused),
    (
        "255.255.255.255/32",
        "Limited Broadcast",
        Some(false),
        Refused,
    ),
];

/// The IANA IPv6 Special-Purpose Address Registry, every entry (as published 2026-07).
const IANA_V6: &[Block] = &[
    ("::1/128", "Loopback Address", Some(false), Refused),
    ("::/128", "Unspecified Address", Some(false), Refused),
    // Never on the wire: a dual-stack socket connects to the IPv4 address itself.
    (
        "::ffff:0:0/96",
        "IPv4-mapped Address",
        Some(false),
        Embedded,
    ),
    ("64:ff9b::/96", "IPv4-IPv6 Translat.", Some(true), Embedded),
    // Local-use: where the IPv4 address sits depends on the local translator's prefix length.
    (
        "64:ff9b:1::/48",
        "IPv4-IPv6 Translat.",
        Some(false),
        Refused,
    ),
    (
        "100::/64",
        "Discard-Only Address Block",
        Some(false),
        Refused,
    ),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", Some(false), Refused),
    (
        "2001::/23",
        "IETF Protocol Assignments",
        Some(false),
        Refused,
    ),
    ("2001::/32", "TEREDO", None, Refused),
    // Anycast to the nearest such server, which is usually a local one.
    (
        "2001:1::1/128",
        "Port Control Protocol Anycast",
        Some(true),
        Refused,
    ),
    (
        "2001:1::2/128",
        "Traversal Using Relays around NAT Anycast",
        Some(true),
        Refused,
    ),
    (
        "2001:1::3/128",
        "DNS-SD Service Registration Protocol Anycast",
        Some(true),
        Refused,
    ),
    ("2001:2::/48", "Benchmarking", Some(false), Refused),
    ("2001:3::/32", "AMT", Some(true), Public),
    ("2001:4:112::/48", "AS112-v6", Some(true), Public),
    (
        "2001:10::/28",
        "Deprecated (previously ORCHID)",
        None,
        Refused,
    ),
    ("2001:20::/28", "ORCHIDv2", Some(true), Public),
    (
        "2001:30::/28",
        "Drone Remote ID Protocol Entity Tags (DETs) Prefix",
        Some(true),
        Public,
    ),
    ("2001:db8::/32", "Documentation", Some(false), Refused),
    ("2002::/16", "6to4", None, Embedded),
    (
        "2620:4f:8000::/48",
        "Direct Delegation AS112 Service",
        Some(true),
        Public,
    ),
    ("3fff::/20", "Documentation", Some(false), Refused),
    (
        "5f00::/16",
        "Segment Routing (SRv6) SIDs",
        Some(false),
        Refused,
    ),
    ("fc00::/7", "Unique-Local", Some(false), Refused),
    ("fe80::/10", "Link-Local Unicast", Some(false), Refused),
];

/// What the special-purpose registries leave out: IPv4 unicast and multicast (the IPv4 Address Space
/// registry); every top-level block of the IPv6 Address Space registry, of which only 2000::/3 is
/// global unicast; and the IPv4-compatible (RFC 4291) and IPv4-translated (RFC 2765) forms.
const OTHER_V4: &[Block] = &[
    (
        "0.0.0.0/0",
        "Unicast, allocated to the RIRs",
        Some(true),
        Public,
    ),
    ("224.0.0.0/4", "Multicast", None, Refused),
];
const OTHER_V6: &[Block] = &[
    ("::/8", "Reserved by IETF", None, Refused),
    ("::/96", "IPv4-compatible (deprecated)", None, Embedded),
    ("::ffff:0:0:0/96", "IPv4-translated", None, Embedded),
    ("100::/8", "Reserved by IETF", None, Refused),
    ("200::/7", "Reserved by IETF", None, Refused),
    ("400::/6", "Reserved by IETF", None, Refused),
    ("800::/5", "Reserved by IETF", None, Refused),
    ("1000::/4", "Reserved by IETF", None, Refused),
    ("2000::/3", "Global Unicast", Some(true), Public),
    ("4000::/3", "Reserved by IETF", None, Refused),
    ("6000::/3", "Reserved by IETF", None, Refused),
    ("8000::/3", "Reserved by IETF", None, Refused),
    ("a000::/3", "Reserved by IETF", None, Refused),
    ("c000::/3", "Reserved by IETF", None, Refused),
    ("e000::/4", "Reserved by IETF", None, Refused),
    ("f000::/5", "Reserved by IETF", None, Refused),
    ("f800::/6", "Reserved by IETF", None, Refused),
    ("fe00::/9", "Reserved by IETF", None, Refused),
    (
        "fec0::/10",
        "Reserved by IETF (deprecated site-local)",
        None,
        Refused,
    ),
    ("ff00::/8", "Multicast", None, Refused),
];

fn blocks() -> impl Iterator<Item = &'static Block> {
    IANA_V4
        .iter()
        .chain(IANA_V6)
        .chain(OTHER_V4)
        .chain(OTHER_V6)
}

fn net(block: &Block) -> IpNet {
    block.0.parse().unwrap()
}

/// The tables' verdict, written independently of the code above: the most specific block decides.
fn reference(ip: IpAddr) -> bool {
    let block = blocks()
        .filter(|b| net(b).contains(&ip))
        .max_by_key(|b| net(b).prefix_len())
        .expect("the tables cover every address");
    match (block.3, ip) {
        (Refused, _) => false,
        (Public, _) => true,
        (Embedded, IpAddr::V6(v6)) => {
            let v4 = u128::from(v6) >> (96 - net(block).prefix_len());
            reference(IpAddr::V4(Ipv4Addr::from(v4 as u32)))
        }
        (Embedded, IpAddr::V4(_)) => unreachable!("only IPv6 blocks embed"),
    }
}

/// The first, a middle and the last address of a block.
fn samples(net: IpNet) -> [IpAddr; 3] {
    match net {
        IpNet::V4(n) => {
            let (lo, hi) = (u32::from(n.network()), u32::from(n.broadcast()));
            [lo, lo + (hi - lo) / 2, hi].map(|a| IpAddr::V4(a.into()))
        }
        IpNet::V6(n) => {
            let (lo, hi) = (u128::from(n.network()), u128::from(n.broadcast()));
            [lo, lo + (hi - lo) / 2, hi].map(|a| IpAddr::V6(a.into()))
        }
    }
}

/// Every block of both registries: a block the registry does not call globally reachable is never
/// public as such, and its first, middle and last addresses are judged as the tables say. An
/// operator who allows a refused block's CIDR gets its addresses.
#[test]
fn every_special_purpose_block_is_judged_as_the_registries_say() {
    for block in blocks() {
        let (cidr, name, reachable, want) = *block;
        assert!(
            reachable == Some(true) || want != Public,
            "{cidr} ({name}) is not globally reachable"
        );
        let allowing = Guard::new(vec![net(block)]);
        for ip in samples(net(block)) {
            assert_eq!(is_public(ip), reference(ip), "{ip} in {cidr} ({name})");
            assert!(allowing.permits(ip), "{ip} in allowed {cidr}");
        }
        if want == Refused {
            let [first, middle, last] = samples(net(block));
            let refused = |ip| !Guard::default().permits(ip);
            assert!(
                refused(first) && refused(middle) && refused(last),
                "{cidr} ({name}) must be refused by default"
            );
        }
    }
}

/// Addresses near the edges of every block of `blocks`, and anywhere.
fn edges(blocks: &[Block]) -> Vec<u128> {
    blocks
        .iter()
        .flat_map(|b| {
            let [lo, _, hi] = samples(net(b)).map(|ip| match ip {
                IpAddr::V4(v4) => u128::from(u32::from(v4)),
                IpAddr::V6(v6) => u128::from(v6),
            });
            [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)]
        })
        .collect()
}

fn any_v4() -> impl proptest::strategy::Strategy<Value = Ipv4Addr> {
    use proptest::prelude::*;
    let edges: Vec<u32> = edges(IANA_V4)
        .into_iter()
        .chain(edges(OTHER_V4))
        .map(|e| e as u32)
        .collect();
    prop_oneof![
        any::<u32>(),
        (proptest::sample::select(edges), -2i32..=2).prop_map(|(e, d)| e.wrapping_add_signed(d)),
    ]
    .prop_map(Ipv4Addr::from)
}

fn any_v6() -> impl proptest::strategy::Strategy<Value = Ipv6Addr> {
    use proptest::prelude::*;
    let edges: Vec<u128> = edges(IANA_V6).into_iter().chain(edges(OTHER_V6)).collect();
    let embedding: Vec<u128> = blocks()
        .filter(|b| b.3 == Embedded)
        .map(|b| u128::from(b.0.parse::<ipnet::Ipv6Net>().unwrap().network()))
        .collect();
    prop_oneof![
        any::<u128>(),
        (proptest::sample::select(edges), -2i64..=2)
            .prop_map(|(e, d)| e.wrapping_add_signed(i128::from(d))),
        // An IPv4 address near a block's edge in every embedding form and a few neighbours.
        (proptest::sample::select(embedding), any_v4(), any::<bool>()).prop_map(
            |(prefix, v4, low)| {
                let v4 = u128::from(u32::from(v4));
                if prefix >> 112 == 0x2002 {
                    prefix | (v4 << 80) | u128::from(low)
                } else {
                    prefix | v4
                }
            }
        ),
    ]
    .prop_map(Ipv6Addr::from)
}

proptest::proptest! {
    #[test]
    fn ipv4_agrees_with_the_registries(ip in any_v4()) {
        proptest::prop_assert_eq!(is_public(IpAddr::V4(ip)), reference(IpAddr::V4(ip)), "{}", ip);
    }

    #[test]
    fn ipv6_agrees_with_the_registries(ip in any_v6()) {
        proptest::prop_assert_eq!(is_public(IpAddr::V6(ip)), reference(IpAddr::V6(ip)), "{}", ip);
    }

    /// An IPv4 address is judged the same in every IPv6 form that carries it at a fixed place, the
    /// local-use NAT64 prefix refuses it wherever it sits, and the way a URL spells it (decimal, hex,
    /// octal, dotted) does not matter either.
    #[test]
    fn embedded_and_respelled_ipv4_is_judged_as_ipv4(ip in any_v4()) {
        let v4 = is_public(IpAddr::V4(ip));
        let [a, b, c, d] = ip.octets();
        let (hi, lo) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        for v6 in [
            ip.to_ipv6_mapped(),
            ip.to_ipv6_compatible(),
            Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, hi, lo),
            Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
            Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
        ] {
            proptest::prop_assert_eq!(is_public(IpAddr::V6(v6)), v4, "{} as {}", ip, v6);
        }
        for v6 in [
            Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, hi, lo),
            Ipv6Addr::new(0x64, 0xff9b, 1, hi, 0, lo, 0, 0),
        ] {
            proptest::prop_assert!(!is_public(IpAddr::V6(v6)), "{} as {}", ip, v6);
        }
        let n = u32::from(ip);
        for spelled in [format!("{n}"), format!("0x{n:x}"), format!("0{n:o}"), format!("{a}.{b}.{}", u16::from_be_bytes([c, d]))] {
            let url = CallbackUrl::parse(&format!("http://{spelled}/")).unwrap();
            proptest::prop_assert_eq!(url.host(), url::Host::<&str>::Ipv4(ip), "{}", spelled);
        }
    }
}
