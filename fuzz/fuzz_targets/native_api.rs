//! The native API's request handling: any method, a route of the API (with the account's real ids, or
//! mangled ones), any query string, headers and body, as the account's key, another credential or none.
//! hookd must answer every one without an internal error.
#![no_main]

use arbitrary::Arbitrary;
use hookd_fuzz::{assert_no_internal_error, Harness, ADMIN_TOKEN};
use libfuzzer_sys::fuzz_target;

const METHODS: &[&str] = &["GET", "POST", "PATCH", "PUT", "DELETE"];
const ROUTES: &[&str] = &[
    "/api/v1/accounts",
    "/api/v1/accounts/{account}",
    "/api/v1/accounts/{account}/keys",
    "/api/v1/accounts/{account}/keys/{key}",
    "/api/v1/apps",
    "/api/v1/apps/{app}",
    "/api/v1/apps/{app}/events",
    "/api/v1/apps/{app}/events/{event}",
    "/api/v1/apps/{app}/events/{event}/deliveries",
    "/api/v1/apps/{app}/subscriptions",
    "/api/v1/apps/{app}/subscriptions/{sub}",
    "/api/v1/apps/{app}/subscriptions/{sub}/deliveries",
    "/api/v1/apps/{app}/subscriptions/{sub}/disable",
    "/api/v1/apps/{app}/subscriptions/{sub}/enable",
    "/api/v1/apps/{app}/subscriptions/{sub}/replay",
    "/api/v1/apps/{app}/subscriptions/{sub}/rotate-secret",
    "/api/v1/apps/{app}/subscriptions/{sub}/secret",
    "/api/v1/apps/{app}/subscriptions/{sub}/test",
    "/api/v1/deliveries/{delivery}",
    "/api/v1/deliveries/{delivery}/retry",
    "/api/v1/openapi.json",
];

#[derive(Arbitrary, Debug)]
struct Call<'a> {
    method: u8,
    route: u8,
    /// Appended to the path: a query string, more segments, or noise.
    suffix: &'a str,
    credential: u8,
    headers: Vec<(&'a str, &'a str)>,
    body: &'a [u8],
}

fuzz_target!(|call: Call<'_>| {
    let h = Harness::get();
    let method = METHODS[call.method as usize % METHODS.len()];
    let path = h.fill(ROUTES[call.route as usize % ROUTES.len()]) + call.suffix;
    let token = match call.credential % 4 {
        0 | 1 => h.token.as_str(),
        2 => ADMIN_TOKEN,
        _ => "",
    };
    let headers: Vec<(String, String)> = call
        .headers
        .iter()
        .take(8)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let answer = h.call(method, &path, token, &headers, call.body);
    assert_no_internal_error(&format!("{method} {path}"), &answer);
});
