//! The web console: static files built from `console/` (see console/README.md) and embedded in the binary.
//!
//! The console holds no data and no credentials of its own. Every file here is the same for every
//! caller, so these routes need no authorization; everything the console shows it fetches from the
//! native API with the signed-in token, under the API's own authorization.

use std::sync::LazyLock;

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use sha2::{Digest, Sha256};

/// One embedded file: where it is served and what it is.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Every file of the console build (`console/dist`), by the path it is served at. The build names its
/// outputs without hashes (console/vite.config.ts) so that this list is fixed; a test checks that it
/// matches the build directory.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/console/",
        content_type: "text/html; charset=utf-8",
        bytes: include_bytes!("../../../console/dist/index.html"),
    },
    Asset {
        path: "/console/assets/console.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../console/dist/assets/console.js"),
    },
    Asset {
        path: "/console/assets/console.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../console/dist/assets/console.css"),
    },
];

/// The page may load only its own script and stylesheet and talk only to its own origin.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.bytes);
            let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
            let tag = format!("\"{hex}\"");
            HeaderValue::from_str(&tag).expect("a hex ETag is a valid header value")
        })
        .collect()
});

/// `/console/…` for the files, and `/console` leading to them. (`/` belongs to the Alibaba RPC dialect.)
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new().route("/console", get(|| async { Redirect::to("/console/") }));
    for (i, asset) in ASSETS.iter().enumerate() {
        router = router.route(
            asset.path,
            get(move |request: Request| async move { serve(i, request.headers()) }),
        );
    }
    router
}

fn serve(index: usize, request: &HeaderMap) -> Response {
    let asset = &ASSETS[index];
    let etag = &ETAGS[index];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, etag.clone());
    // Revalidated on every load (cheap: 304), so a new binary's console is picked up at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded list is the whole build: a file the build adds cannot be left out silently.
    #[test]
    fn assets_are_exactly_the_build_output() {
        let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console/dist");
        let mut built = Vec::new();
        let mut dirs = vec![dist.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("console/dist is readable") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let relative = path
                        .strip_prefix(&dist)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    built.push(if relative == "index.html" {
                        "/console/".to_owned()
                    } else {
                        format!("/console/{relative}")
                    });
                }
            }
        }
        built.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(built, embedded);
        for asset in ASSETS {
            let relative = asset.path.trim_start_matches("/console/");
            let file = if relative.is_empty() {
                "index.html"
            } else {
                relative
            };
            assert_eq!(
                std::fs::read(dist.join(file)).unwrap(),
                asset.bytes,
                "{} is embedded from the current build",
                asset.path
            );
        }
    }

    #[test]
    fn the_page_loads_the_embedded_script_and_stylesheet() {
        let html = std::str::from_utf8(ASSETS[0].bytes).unwrap();
        for asset in &ASSETS[1..] {
            assert!(
                html.contains(asset.path),
                "index.html refers to {}",
                asset.path
            );
        }
    }
}
