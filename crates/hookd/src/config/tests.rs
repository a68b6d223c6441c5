//! figment's test jail returns its own large error type.
#![allow(clippy::result_large_err)]

use super::*;

#[test]
fn environment_overrides_defaults() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_LISTEN", "127.0.0.1:0");
        jail.set_env("HOOKD_ALLOWED_TARGETS", "127.0.0.0/8, ::1");
        jail.set_env("HOOKD_DELIVERY__CONCURRENCY", "7");
        jail.set_env("HOOKD_ADMIN_TOKEN", "s3cret-token");
        let c = Config::load(None).expect("loads");
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.allowed_targets.len(), 2);
        assert_eq!(c.delivery.concurrency, 7);
        let shown = c.to_redacted_toml().expect("renders");
        assert!(!shown.contains("s3cret-token"), "{shown}");
        assert!(shown.contains("admin_token = \"<redacted>\""), "{shown}");
        Ok(())
    });
}

#[test]
fn file_sets_dialect_rate_limits() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "hookd.toml",
            "listen = \"127.0.0.1:9999\"\n[dialect_rate_limits]\n\"cams:UpdateAccountWebhook\" = 20\n",
        )?;
        let c = Config::load(Some(std::path::Path::new("hookd.toml"))).expect("loads");
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.dialect_rate_limits["cams:UpdateAccountWebhook"], 20);
        assert!(Config::load(Some(std::path::Path::new("missing.toml"))).is_err());
        jail.create_file("typo.toml", "lisen = \"x\"\n")?;
        let err = Config::load(Some(std::path::Path::new("typo.toml"))).unwrap_err();
        assert!(format!("{err:#}").contains("lisen"), "{err:#}");
        Ok(())
    });
}

#[test]
fn otlp_endpoint_is_off_by_default_and_must_be_a_url() {
    figment::Jail::expect_with(|jail| {
        assert_eq!(Config::load(None).expect("loads").otlp_endpoint, None);
        jail.set_env("HOOKD_OTLP_ENDPOINT", "collector:4318");
        let err = Config::load(None).unwrap_err();
        assert!(format!("{err:#}").contains("otlp_endpoint"), "{err:#}");
        jail.set_env("HOOKD_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        let c = Config::load(None).expect("loads");
        assert_eq!(c.otlp_endpoint.as_deref(), Some("http://127.0.0.1:4318"));
        Ok(())
    });
}

#[test]
fn bad_values_are_reported() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_ALLOWED_TARGETS", "not-a-net");
        let err = Config::load(None).unwrap_err();
        assert!(format!("{err:#}").contains("not-a-net"), "{err:#}");
        Ok(())
    });
}

#[test]
fn cams_queue_must_be_a_queue_and_is_shown_redacted() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("HOOKD_CAMS_QUEUE", "https://example.com/cams");
        let err = Config::load(None).unwrap_err();
        assert!(format!("{err:#}").contains("queue destination"), "{err:#}");
        jail.set_env("HOOKD_CAMS_QUEUE", "amqp://app:pw@mq/?exchange=cams");
        let c = Config::load(None).expect("loads");
        let shown = c.to_redacted_toml().expect("renders");
        assert!(
            shown.contains("amqp://app:****@mq/?exchange=cams"),
            "{shown}"
        );
        Ok(())
    });
}

#[test]
fn unknown_variables_are_listed_and_ignored_and_bad_known_ones_refused() {
    figment::Jail::expect_with(|jail| {
        // What Kubernetes sets in every pod of a namespace with a Service named `hookd`, and a
        // wrapper script's own variable.
        let service_links = [
            ("HOOKD_PORT", "tcp://10.96.0.12:8080"),
            ("HOOKD_PORT_8080_TCP", "tcp://10.96.0.12:8080"),
            ("HOOKD_PORT_8080_TCP_ADDR", "10.96.0.12"),
            ("HOOKD_PORT_8080_TCP_PORT", "8080"),
            ("HOOKD_PORT_8080_TCP_PROTO", "tcp"),
            ("HOOKD_SERVICE_HOST", "10.96.0.12"),
            ("HOOKD_SERVICE_PORT", "8080"),
            ("HOOKD_SERVICE_PORT_HTTP", "8080"),
            ("HOOKD_BIN", "/usr/local/bin/hookd"),
            ("HOOKD_DELIVERY__NO_SUCH_THING", "1"),
        ];
        for (name, value) in service_links {
            jail.set_env(name, value);
        }
        jail.set_env("HOOKD_DELIVERY__CONCURRENCY", "7");
        jail.set_env("HOOKD_DIALECT_RATE_LIMITS__CAMS:SENDMESSAGE", "3");
        jail.set_env("HOOKD_SERVER", "http://127.0.0.1:8080");
        let c = Config::load(None).expect("loads beside unknown variables");
        assert_eq!(c.delivery.concurrency, 7);
        assert_eq!(c.dialect_rate_limits["cams:sendmessage"], 3);
        let mut expected: Vec<_> = service_links.iter().map(|(n, _)| n.to_string()).collect();
        expected.sort();
        assert_eq!(c.ignored_env, expected);

        jail.set_env("HOOKD_DELIVERY__CONCURRENCY", "many");
        let err = format!("{:#}", Config::load(None).unwrap_err());
        assert!(err.contains("HOOKD_DELIVERY__CONCURRENCY: "), "{err}");
        assert!(err.contains("many"), "{err}");
        jail.set_env("HOOKD_DELIVERY__CONCURRENCY", "7");
        jail.set_env("HOOKD_DATABASE_CONNECT_TIMEOUT_MS", "soon");
        let err = format!("{:#}", Config::load(None).unwrap_err());
        assert!(err.contains("HOOKD_DATABASE_CONNECT_TIMEOUT_MS: "), "{err}");
        Ok(())
    });
}

#[test]
fn secrets_are_read_from_files() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("token", "  file-token\n")?;
        jail.create_file("db", "postgres://hookd:pw@db/hookd\n")?;
        jail.set_env("HOOKD_DATABASE_URL_FILE", "db");
        jail.create_file("empty", "\n")?;
        jail.set_env("HOOKD_ADMIN_TOKEN_FILE", "token");
        let c = Config::load(None).expect("loads");
        assert_eq!(c.admin_token.map(|t| t.0).as_deref(), Some("file-token"));
        assert_eq!(
            c.database_url.as_deref(),
            Some("postgres://hookd:pw@db/hookd")
        );
        jail.set_env("HOOKD_MASTER_KEY_FILE", "missing");
        let err = format!("{:#}", Config::load(None).unwrap_err());
        assert!(err.contains("master_key_file: reading missing"), "{err}");
        jail.set_env("HOOKD_MASTER_KEY_FILE", "empty");
        let err = format!("{:#}", Config::load(None).unwrap_err());
        assert!(err.contains("is empty"), "{err}");
        jail.set_env("HOOKD_ADMIN_TOKEN", "value-token");
        let err = format!("{:#}", Config::load(None).unwrap_err());
        assert!(err.contains("admin_token and admin_token_file"), "{err}");
        Ok(())
    });
}
