//! The `hookd` command line, run as a real process: `config`, `migrate`, the admin commands against a
//! running server, and graceful shutdown on SIGTERM.

use std::{
    process::Command,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::helpers::{start_child, wait_ready, Backend, Receiver, Storage, ADMIN_TOKEN};

fn hookd(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hookd"))
        .args(args)
        .env_remove("HOOKD_TEST_DATABASE_URL")
        .envs(envs.iter().copied())
        .output()
        .expect("run hookd");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_is_printed_with_secrets_redacted() {
    let (ok, out, err) = hookd(
        &["config"],
        &[
            ("HOOKD_ADMIN_TOKEN", "very-secret-admin-token"),
            (
                "HOOKD_DATABASE_URL",
                "postgres://hookd:pa55word@db.internal/hookd",
            ),
            ("HOOKD_ALLOWED_TARGETS", "127.0.0.0/8,10.0.0.0/8"),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("admin_token = \"<redacted>\""), "{out}");
    assert!(
        !out.contains("very-secret-admin-token") && !out.contains("pa55word"),
        "{out}"
    );
    assert!(
        out.contains("postgres://hookd:****@db.internal/hookd"),
        "{out}"
    );
    assert!(out.contains("10.0.0.0/8"), "{out}");

    let (ok, _, err) = hookd(&["config"], &[("HOOKD_LISTEN", "not-an-address")]);
    assert!(!ok);
    assert!(err.contains("listen") || err.contains("LISTEN"), "{err}");
    let (ok, _, err) = hookd(&["config"], &[("HOOKD_DELIVERY__CONCURRENCY", "0")]);
    assert!(!ok);
    assert!(err.contains("delivery.concurrency"), "{err}");
}

/// A client command needs only the admin token: it never generates secrets or a data directory where it
/// runs (one such run once left a master key in the repository).
#[test]
fn client_commands_leave_no_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = |envs: &[(&str, &str)]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hookd"))
            .args(["account", "list", "--server", "http://127.0.0.1:9"])
            .current_dir(dir.path())
            .env_remove("HOOKD_ADMIN_TOKEN")
            .env_remove("HOOKD_DATA_DIR")
            .envs(envs.iter().copied())
            .output()
            .expect("run hookd");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&[]);
    assert!(
        err.contains("no admin token: set HOOKD_ADMIN_TOKEN"),
        "{err}"
    );
    let err = run(&[("HOOKD_ADMIN_TOKEN", ADMIN_TOKEN)]);
    assert!(err.contains("cannot reach hookd"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "a client command left {left:?}");
}

#[test]
fn migrate_creates_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (ok, out, err) = hookd(&["migrate"], &[("HOOKD_DATA_DIR", data)]);
    assert!(ok, "{err}");
    assert!(out.contains("migrations applied (sqlite)"), "{out}");
    assert!(dir.path().join("hookd.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_and_graceful_shutdown() {
    let storage = Storage::new(Backend::Sqlite).await.unwrap();
    let receiver = Receiver::start().await;
    let (mut child, base) = start_child(&storage);
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut child).await;
    let env = [
        ("HOOKD_SERVER", base.as_str()),
        ("HOOKD_ADMIN_TOKEN", ADMIN_TOKEN),
    ];
    let (ok, out, err) = hookd(&["health", "--server", &base], &[]);
    assert!(ok && out.trim() == "ready", "{out} {err}");
    let (ok, _, err) = hookd(&["health", "--server", "http://127.0.0.1:9"], &[]);
    assert!(!ok && err.contains("cannot reach hookd"), "{err}");
    let json = |args: &[&str]| {
        let (ok, out, err) = hookd(args, &env);
        assert!(ok, "hookd {args:?}: {out} {err}");
        serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };

    let account = json(&["account", "create", "--name", "cli"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = json(&["key", "create", "--account", &account]);
    assert!(key["token"]
        .as_str()
        .unwrap()
        .starts_with(key["key_id"].as_str().unwrap()));
    json(&["app", "create", "--account", &account, "--id", "shop"]);
    let sub = json(&[
        "subscription",
        "create",
        "--account",
        &account,
        "--app",
        "shop",
        "--url",
        &receiver.url,
    ]);
    assert!(sub["secret"].as_str().unwrap().starts_with("whsec_"));
    let list = json(&[
        "subscription",
        "list",
        "--account",
        &account,
        "--app",
        "shop",
    ]);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let event = json(&[
        "event",
        "publish",
        "--account",
        &account,
        "--app",
        "shop",
        "--payload",
        r#"{"n":1}"#,
    ]);
    assert_eq!(event["type"], "hookd.test");
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].body[..], br#"{"n":1}"#);

    // A portal link: the URL alone on stdout (for scripts), the session on stderr; it opens the portal.
    let (ok, out, err) = hookd(
        &[
            "portal-link",
            "shop",
            "--account",
            &account,
            "--capability",
            "read-only",
            "--event-type",
            "hookd.*",
            "--ttl",
            "600",
        ],
        &env,
    );
    assert!(ok, "{out} {err}");
    let link = out.trim();
    assert!(
        link.starts_with(&format!("{base}/portal/ps_")) && link.contains("/#token=hkp_"),
        "{link}"
    );
    assert!(err.contains("read-only") && err.contains("until"), "{err}");
    let token = link.split("#token=").nth(1).unwrap();
    let me: Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["kind"], "portal");
    assert_eq!(me["event_types"], serde_json::json!(["hookd.*"]));
    let (ok, _, err) = hookd(
        &["portal-link", "shop", "--account", &account, "--ttl", "5"],
        &env,
    );
    assert!(!ok && err.contains("ttl_seconds"), "{err}");

    // A failing command explains itself and exits non-zero.
    let (ok, out, err) = hookd(
        &["app", "create", "--account", "acc_missing", "--id", "x"],
        &env,
    );
    assert!(
        !ok && out.contains("account_not_found") && err.contains("404"),
        "{out} {err}"
    );

    // SIGTERM: stop accepting, finish, exit 0.
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "hookd did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
