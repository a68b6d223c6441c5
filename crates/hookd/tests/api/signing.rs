//! Signatures as receivers check them: after a rotation both secrets verify during the grace period and
//! only the new one after it (checked with the independent `standardwebhooks` crate); `v1a` ed25519
//! signatures verify with `ed25519-dalek` against the public key the API shows.

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::json;

use crate::helpers::{verify_signature, Receiver, TestApp};
use crate::{both_backends, both_backends_with};

fn grace_of_two_seconds(c: &mut hookd::config::Config) {
    c.delivery.rotation_grace_ms = 2_000;
}

both_backends_with!(grace_of_two_seconds => rotated_secrets_sign_together_until_the_grace_period_ends);

async fn rotated_secrets_sign_together_until_the_grace_period_ends(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let (sub, old) = app.app_with_subscription(&t, &receiver.url).await;
    let path = format!("/api/v1/apps/shop/subscriptions/{sub}");
    let new = app
        .post(&format!("{path}/rotate-secret"), &t.token, json!({}))
        .await
        .expect(200)
        .str("secret");
    let started = std::time::Instant::now();
    app.publish_to_shop(&t).await;
    let during = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "too slow to test the grace period"
    );
    verify_signature(&old, &during[0]).expect("the old secret verifies during the grace period");
    verify_signature(&new, &during[0]).expect("the new secret verifies during the grace period");

    tokio::time::sleep(Duration::from_millis(2_200).saturating_sub(started.elapsed())).await;
    app.publish_to_shop(&t).await;
    let after = receiver.wait_for(2, Duration::from_secs(5)).await;
    verify_signature(&new, &after[1]).expect("the new secret verifies after the grace period");
    assert!(
        verify_signature(&old, &after[1]).is_err(),
        "the old secret no longer signs"
    );
}

both_backends!(asymmetric_signatures_verify_with_the_public_key);

async fn asymmetric_signatures_verify_with_the_public_key(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let created = app
        .shop_with(
            &t,
            json!({ "url": receiver.url, "asymmetric_signing": true }),
        )
        .await;
    let public_key = created.str("public_key");
    let secret = created.str("secret");
    let key_bytes: [u8; 32] = STANDARD
        .decode(public_key.strip_prefix("whpk_").expect("whpk_ prefix"))
        .unwrap()
        .try_into()
        .unwrap();
    let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes).unwrap();

    app.publish_to_shop(&t).await;
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    let req = &got[0];
    let header = |name: &str| req.headers[name].to_str().unwrap().to_owned();
    let signed = [
        header("webhook-id").as_bytes(),
        b".",
        header("webhook-timestamp").as_bytes(),
        b".",
        &req.body,
    ]
    .concat();
    let v1a: Vec<String> = header("webhook-signature")
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1a,").map(str::to_owned))
        .collect();
    assert_eq!(v1a.len(), 1, "{}", header("webhook-signature"));
    let signature: [u8; 64] = STANDARD.decode(&v1a[0]).unwrap().try_into().unwrap();
    verifying
        .verify_strict(&signed, &ed25519_dalek::Signature::from_bytes(&signature))
        .expect("the v1a signature verifies with the public key");
    verify_signature(&secret, req).expect("v1 still verifies beside v1a");

    // Switched off, callbacks carry no v1a signature and the key is gone.
    let sub = created.str("id");
    let changed = app
        .patch(
            &format!("/api/v1/apps/shop/subscriptions/{sub}"),
            &t.token,
            json!({ "asymmetric_signing": false }),
        )
        .await
        .expect(200);
    assert!(changed.body["public_key"].is_null());
    app.publish_to_shop(&t).await;
    let got = receiver.wait_for(2, Duration::from_secs(5)).await;
    let signature = got[1].headers["webhook-signature"].to_str().unwrap();
    assert!(!signature.contains("v1a,"), "{signature}");
}
