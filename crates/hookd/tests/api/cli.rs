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
        let (ok, out, err) = hookd(&[args, &["--output", "json"]].concat(), &env);
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
        !ok && out.is_empty() && err.contains("account_not_found") && err.contains("404"),
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

/// The operating commands against a running server, as an access key (`HOOKD_TOKEN`), in both outputs:
/// subscriptions from creation to deletion, events, deliveries with a failure retried and replayed, a
/// live tail, paging, errors; then the completions and man pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operating_commands_reach_every_resource() {
    let storage = Storage::new(Backend::Sqlite).await.unwrap();
    let receiver = Receiver::start().await;
    let (mut child, base) = start_child(&storage);
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut child).await;
    let admin = [
        ("HOOKD_SERVER", base.as_str()),
        ("HOOKD_ADMIN_TOKEN", ADMIN_TOKEN),
    ];
    let text = |args: &[&str], envs: &[(&str, &str)]| {
        let (ok, out, err) = hookd(args, envs);
        assert!(ok, "hookd {args:?}: {out} {err}");
        out
    };
    let json = |args: &[&str], envs: &[(&str, &str)]| {
        let out = text(&[args, &["--output", "json"]].concat(), envs);
        serde_json::from_str::<Value>(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    let id = |value: &Value| value["id"].as_str().unwrap().to_owned();

    let account = id(&json(&["account", "create", "--name", "ops"], &admin));
    let token = json(&["key", "create", "--account", &account], &admin)["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = text(&["key", "list", "--account", &account], &admin);
    assert!(
        keys.starts_with("KEY") && keys.contains(token.split(':').next().unwrap()),
        "{keys}"
    );
    let key = [
        ("HOOKD_SERVER", base.as_str()),
        ("HOOKD_TOKEN", token.as_str()),
    ];

    // Apps and subscriptions, with the key (its own account: no --account).
    json(&["app", "create", "--id", "shop", "--name", "Shop"], &key);
    let apps = text(&["app", "list"], &key);
    assert!(
        apps.starts_with("ID") && apps.lines().any(|l| l.starts_with("shop ")),
        "{apps}"
    );
    let sub = json(
        &[
            "subscription",
            "create",
            "--app",
            "shop",
            "--url",
            &receiver.url,
            "--event-type",
            "order.*",
            "--header",
            "x-tenant=acme",
            "--description",
            "orders",
        ],
        &key,
    );
    let sub_id = id(&sub);
    let first_secret = sub["secret"].as_str().unwrap().to_owned();
    let shown = text(&["subscription", "get", &sub_id, "--app", "shop"], &key);
    assert!(
        shown.starts_with("id ") && shown.contains(&sub_id),
        "{shown}"
    );
    assert!(
        shown.contains(&receiver.url) && !shown.contains("acme"),
        "{shown}"
    );
    let listed = text(&["subscription", "list", "--app", "shop"], &key);
    assert!(
        listed.starts_with("ID") && listed.contains("order.*"),
        "{listed}"
    );
    let updated = json(
        &[
            "subscription",
            "update",
            &sub_id,
            "--app",
            "shop",
            "--rate-limit",
            "50",
            "--event-type",
            "order.created",
            "--event-type",
            "order.paid",
        ],
        &key,
    );
    assert_eq!(updated["rate_limit"], 50);
    assert_eq!(
        updated["event_types"],
        serde_json::json!(["order.created", "order.paid"])
    );
    let updated = json(
        &[
            "subscription",
            "update",
            &sub_id,
            "--app",
            "shop",
            "--no-rate-limit",
        ],
        &key,
    );
    assert_eq!(updated["rate_limit"], Value::Null);
    let (ok, _, err) = hookd(&["subscription", "update", &sub_id, "--app", "shop"], &key);
    assert!(!ok && err.contains("nothing to change"), "{err}");
    let disabled = json(&["subscription", "disable", &sub_id, "--app", "shop"], &key);
    assert_eq!(disabled["status"], "disabled", "{disabled}");
    let enabled = json(&["subscription", "enable", &sub_id, "--app", "shop"], &key);
    assert_eq!(enabled["status"], "enabled", "{enabled}");
    let secrets = json(&["subscription", "secret", &sub_id, "--app", "shop"], &key);
    assert_eq!(secrets["secret"], first_secret.as_str());
    assert_eq!(secrets["headers"]["x-tenant"], "acme");
    let rotated = json(
        &["subscription", "rotate-secret", &sub_id, "--app", "shop"],
        &key,
    );
    assert!(rotated["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_ne!(rotated["secret"], first_secret.as_str());

    // Events: an idempotent publish, the test event, lists and one event.
    let publish = |key_value: &str| {
        json(
            &[
                "event",
                "publish",
                "--app",
                "shop",
                "--type",
                "order.created",
                "--payload",
                r#"{"order":1}"#,
                "--idempotency-key",
                key_value,
            ],
            &key,
        )
    };
    let event = publish("k-1");
    assert_eq!(
        id(&publish("k-1")),
        id(&event),
        "the same key is the same event"
    );
    assert_eq!(event["deliveries"].as_array().unwrap().len(), 1);
    let test = json(&["subscription", "test", &sub_id, "--app", "shop"], &key);
    assert_eq!(test["type"], "hookd.test");
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "the event and the test event arrive");
    let events = json(
        &["event", "list", "--app", "shop", "--type", "order.created"],
        &key,
    );
    assert_eq!(events["data"].as_array().unwrap().len(), 1);
    let one = json(&["event", "get", &id(&event), "--app", "shop"], &key);
    assert_eq!(one["payload"], serde_json::json!({"order": 1}));
    let page = hookd(&["event", "list", "--app", "shop", "--limit", "1"], &key);
    assert!(page.0 && page.2.contains("more: --cursor"), "{page:?}");
    let all = json(
        &["event", "list", "--app", "shop", "--limit", "1", "--all"],
        &key,
    );
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    assert_eq!(all["next_cursor"], Value::Null);

    // A failed delivery: listed, shown with its attempt, retried to a success; another replayed.
    receiver.respond_with(&[503]);
    let failing = publish("k-2");
    let delivery = id(&failing["deliveries"][0]);
    let status_of = |delivery: &str| {
        json(&["delivery", "get", delivery], &key)["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_of(&delivery) != "retrying" {
        assert!(Instant::now() < deadline, "the delivery did not fail");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let detail = text(&["delivery", "get", &delivery], &key);
    assert!(
        detail.contains("retrying") && detail.contains("STARTED"),
        "{detail}"
    );
    assert!(
        detail
            .lines()
            .any(|l| l.starts_with("1 ") && l.contains(" 503")),
        "{detail}"
    );
    let listed = text(
        &[
            "delivery",
            "list",
            "--app",
            "shop",
            "--subscription",
            &sub_id,
            "--status",
            "retrying",
        ],
        &key,
    );
    assert!(listed.contains(&delivery), "{listed}");
    let of_event = json(
        &[
            "delivery",
            "list",
            "--app",
            "shop",
            "--event",
            &id(&failing),
        ],
        &key,
    );
    assert_eq!(id(&of_event["data"][0]), delivery);
    let (ok, _, err) = hookd(&["delivery", "list", "--app", "shop"], &key);
    assert!(!ok && err.contains("--subscription"), "{err}");
    json(&["delivery", "retry", &delivery], &key);
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_of(&delivery) != "succeeded" {
        assert!(
            Instant::now() < deadline,
            "the retried delivery did not succeed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    receiver.respond_with(&[503]);
    let again = publish("k-3");
    let failed = id(&again["deliveries"][0]);
    while status_of(&failed) != "retrying" {
        assert!(
            Instant::now() < deadline + Duration::from_secs(10),
            "no failure"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dry = text(
        &[
            "replay",
            "--app",
            "shop",
            "--subscription",
            &sub_id,
            "--dry-run",
        ],
        &key,
    );
    assert!(
        dry.starts_with("1 failed deliveries would be sent again"),
        "{dry}"
    );
    let replayed = json(
        &["replay", "--app", "shop", "--subscription", &sub_id],
        &key,
    );
    assert_eq!(replayed["requeued"], 1, "{replayed}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while status_of(&failed) != "succeeded" {
        assert!(
            Instant::now() < deadline,
            "the replayed delivery did not succeed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // tail: the newest attempt first, then the next one as it happens, then it stops by itself.
    let tail = Command::new(env!("CARGO_BIN_EXE_hookd"))
        .args([
            "tail",
            "--app",
            "shop",
            "-n",
            "1",
            "--count",
            "1",
            "--interval-ms",
            "200",
        ])
        .envs(key.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let tailed = publish("k-4");
    let output = tokio::task::spawn_blocking(move || tail.wait_with_output().unwrap());
    let output = tokio::time::timeout(Duration::from_secs(15), output)
        .await
        .expect("tail --count 1 stops")
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "heading, one old attempt, one new: {out}");
    assert!(
        lines[0].starts_with("STARTED") && lines[0].contains("RESULT"),
        "{out}"
    );
    assert!(
        lines[2].contains(&id(&tailed["deliveries"][0])) && lines[2].contains("ok 200"),
        "{out}"
    );

    // A refusal says what and why, with the request id, on stderr; nothing on stdout.
    let (ok, out, err) = hookd(
        &["subscription", "get", "sub_missing", "--app", "shop"],
        &key,
    );
    assert!(!ok && out.is_empty(), "{out}");
    assert!(
        err.contains("404") && err.contains("subscription_not_found") && err.contains("[request "),
        "{err}"
    );
    let (ok, _, err) = hookd(
        &[
            "subscription",
            "create",
            "--app",
            "shop",
            "--url",
            "ftp://x/",
        ],
        &key,
    );
    assert!(
        !ok && err.contains("422") && err.contains("(field `url`)"),
        "{err}"
    );

    let deleted = text(&["subscription", "delete", &sub_id, "--app", "shop"], &key);
    assert_eq!(deleted.trim(), format!("subscription {sub_id} deleted"));
    let (ok, _, err) = hookd(&["subscription", "get", &sub_id, "--app", "shop"], &key);
    assert!(!ok && err.contains("404"), "{err}");
    // JSON output of a deletion is empty, as the server's answer is.
    let removed = text(&["app", "delete", "shop", "--output", "json"], &key);
    assert_eq!(removed, "");

    // Completions and man pages come from the same definitions.
    let bash = text(&["completions", "bash"], &[]);
    assert!(
        bash.contains("rotate-secret") && bash.contains("--output"),
        "bash completion"
    );
    let man = text(&["man"], &[]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH hookd"),
        "{}",
        &man[..200.min(man.len())]
    );
    let pages = tempfile::tempdir().unwrap();
    text(&["man", "--dir", pages.path().to_str().unwrap()], &[]);
    let page =
        std::fs::read_to_string(pages.path().join("hookd-subscription-rotate-secret.1")).unwrap();
    assert!(page.contains("rotation grace period"), "{page}");

    child.kill().ok();
    child.wait().ok();
}
