//! Events as a product: the event-type catalog, schema validation on publish, payload filters, event
//! search, erasure and per-app retention.

mod filters;
mod plans;
mod search;
mod types;
mod validation;

use serde_json::{json, Value};

use crate::helpers::{Resp, Tenant, TestApp};

/// A realistic order schema (the one the benchmark validates against too: `hookd-bench --schema`).
pub fn order_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["id", "total", "currency", "customer", "items"],
        "properties": {
            "id": {"type": "string", "minLength": 1},
            "total": {"type": "number", "minimum": 0},
            "currency": {"enum": ["EUR", "USD", "GBP"]},
            "customer": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string"}, "email": {"type": "string", "format": "email"}}
            },
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["sku", "qty"],
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
                }
            }
        }
    })
}

pub fn order(total: f64, currency: &str) -> Value {
    json!({
        "id": "o-1",
        "total": total,
        "currency": currency,
        "customer": {"id": "c-1", "email": "a@example.com"},
        "items": [{"sku": "s-1", "qty": 2}]
    })
}

/// App `shop` with `settings` (merged into its creation body).
pub async fn shop(app: &TestApp, t: &Tenant, settings: Value) -> Resp {
    let mut body = json!({ "id": "shop" });
    if let (Some(b), Some(s)) = (body.as_object_mut(), settings.as_object()) {
        b.extend(s.clone());
    }
    app.post("/api/v1/apps", &t.token, body).await.expect(201)
}

pub async fn add_type(app: &TestApp, t: &Tenant, body: Value) -> Resp {
    app.post("/api/v1/apps/shop/event-types", &t.token, body)
        .await
}

pub async fn publish(app: &TestApp, t: &Tenant, body: Value) -> Resp {
    app.post("/api/v1/apps/shop/events", &t.token, body).await
}
