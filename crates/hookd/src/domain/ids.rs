//! Identifier and clock helpers. Generated ids are a short type prefix plus a ULID, so they sort by
//! creation time; cursor pagination relies on that order, and so does FIFO delivery on SQLite (one
//! process). Within one millisecond a process keeps it too: its ULIDs come from one monotonic generator.
//! Across PostgreSQL nodes, whose clocks differ, FIFO follows a database sequence instead.

use std::sync::Mutex;

use rand::distributions::{Alphanumeric, DistString};

static GENERATOR: Mutex<ulid::Generator> = Mutex::new(ulid::Generator::new());

/// A fresh id such as `evt_01JD…`, greater than every id this process made before.
pub fn new_id(prefix: &str) -> String {
    let ulid = GENERATOR
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .generate()
        // The random part overflowed within one millisecond (2^80 ids): take a fresh one.
        .unwrap_or_else(|_| ulid::Ulid::new());
    with_prefix(prefix, ulid)
}

/// The least id `new_id(prefix)` can make at `ms` (Unix ms): ids made then sort at or after it, ids made
/// earlier before it.
pub fn least_id_at(prefix: &str, ms: i64) -> String {
    let ms = u64::try_from(ms).unwrap_or(0);
    with_prefix(prefix, ulid::Ulid::from_parts(ms, 0))
}

/// `{prefix}_{ulid}` in lower case, written into one allocation: an event, each of its deliveries and
/// each attempt get one.
fn with_prefix(prefix: &str, ulid: ulid::Ulid) -> String {
    let mut text = [0; ulid::ULID_LEN];
    let encoded = ulid.array_to_str(&mut text);
    encoded.make_ascii_lowercase();
    let mut id = String::with_capacity(prefix.len() + 1 + ulid::ULID_LEN);
    id.push_str(prefix);
    id.push('_');
    id.push_str(encoded);
    id
}

/// A fresh access-key id: letters and digits only, because vendor SDKs put it in signed headers.
pub fn new_key_id() -> String {
    format!("HK{}", ulid::Ulid::new())
}

/// A fresh access-key secret: 40 letters and digits (about 238 bits).
pub fn new_key_secret() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 40)
}

/// Milliseconds since the Unix epoch, the unit every stored time uses.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_sort_by_time() {
        let a = new_id("evt");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id("evt");
        assert!(a.starts_with("evt_") && a.len() == 30, "{a}");
        assert!(a < b);
    }

    #[test]
    fn an_id_sorts_between_the_bounds_of_its_time() {
        let before = now_ms();
        let id = new_id("evt");
        let after = now_ms();
        assert!(least_id_at("evt", before) <= id, "{id}");
        assert!(id < least_id_at("evt", after + 1), "{id}");
        assert_eq!(least_id_at("evt", -5), least_id_at("evt", 0));
    }

    #[test]
    fn an_id_is_its_prefix_and_its_ulid_in_lower_case() {
        for ulid in [
            ulid::Ulid::nil(),
            ulid::Ulid::from(u128::MAX),
            ulid::Ulid::new(),
        ] {
            let expected = format!("dlv_{}", ulid.to_string().to_ascii_lowercase());
            assert_eq!(with_prefix("dlv", ulid), expected);
        }
    }

    #[test]
    fn ids_made_in_one_millisecond_still_sort() {
        let ids: Vec<String> = (0..1000).map(|_| new_id("dlv")).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn key_ids_and_secrets_are_alphanumeric() {
        let id = new_key_id();
        let secret = new_key_secret();
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        assert_eq!(secret.len(), 40);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
