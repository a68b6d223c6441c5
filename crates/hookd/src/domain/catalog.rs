//! An app's event-type catalog: each type's description, group, schema versions (JSON Schema, draft
//! 2020-12) with examples, and its deprecated/archived state; and the catalog compiled for publishing
//! (`Catalog`), which checks a payload against its type's schema without compiling anything per event.

use std::{collections::HashMap, sync::Arc};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::types::SchemaValidation;
use super::{EventType, Invalid};

/// A schema's stored text may be at most this long.
pub const MAX_SCHEMA_BYTES: usize = 64 * 1024;
/// Examples per schema version.
pub const MAX_EXAMPLES: usize = 10;
/// Schema versions per type; the oldest are dropped beyond it.
pub const MAX_VERSIONS: usize = 50;
/// Violations reported for one payload; the count says how many there were in all.
pub const MAX_VIOLATIONS: usize = 20;

/// One way a payload fails its schema: where in the payload (a JSON pointer) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Violation {
    /// JSON pointer into the payload (`""` is the payload itself).
    pub path: String,
    pub message: String,
}

/// One schema version of a type, as stored (a JSON list in the type's row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SchemaVersion {
    /// 1, 2, …: a new schema is a new version, and a version never changes.
    pub version: u32,
    #[schema(schema_with = schema_document)]
    pub schema: Value,
    /// Example payloads: any JSON values the schema accepts.
    #[schema(value_type = Vec<serde_json::Value>)]
    pub examples: Vec<Value>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// How the OpenAPI document describes a JSON Schema: an object, or `true`/`false` (which accept
/// everything or nothing).
pub fn schema_document() -> utoipa::openapi::Object {
    use utoipa::openapi::Type;
    schema_document_of(
        [Type::Object, Type::Boolean],
        "A JSON Schema (draft 2020-12) of the payload: an object, or `true`/`false`.",
    )
}

/// [`schema_document`] where `null` (no schema, or leave it) is allowed too.
pub fn optional_schema_document() -> utoipa::openapi::Object {
    use utoipa::openapi::Type;
    schema_document_of(
        [Type::Object, Type::Boolean, Type::Null],
        "A JSON Schema (draft 2020-12) of the payload: an object, or `true`/`false`; no remote \
         `$ref`. On an update it is added as the next version (versions never change).",
    )
}

fn schema_document_of<const N: usize>(
    types: [utoipa::openapi::Type; N],
    description: &str,
) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter(types))
        .description(Some(description))
        .build()
}

/// A type's group (`order`, `billing`): 1–64 of `A-Z a-z 0-9 . _ -`.
pub fn group(raw: &str) -> Result<String, Invalid> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if raw.is_empty() || raw.len() > 64 || !raw.chars().all(ok) {
        return Err(Invalid::new(
            "group",
            "must be 1 to 64 letters, digits, `.`, `_` or `-`",
        ));
    }
    Ok(raw.to_owned())
}

/// A compiled schema.
pub type Schema = jsonschema::Validator;

/// Checks that `schema` is a draft 2020-12 JSON Schema hookd can use (no remote references) and compiles
/// it. An error names the offending place: `field` followed by a JSON pointer into the schema.
pub fn compile_schema(schema: &Value, field: &str) -> Result<Schema, Invalid> {
    let size = serde_json::to_vec(schema).map_or(usize::MAX, |bytes| bytes.len());
    if size > MAX_SCHEMA_BYTES {
        return Err(Invalid::new(
            field,
            format!("must be at most {MAX_SCHEMA_BYTES} bytes of JSON"),
        ));
    }
    if !schema.is_object() && !schema.is_boolean() {
        return Err(Invalid::new(
            field,
            "must be a JSON Schema object (or a boolean)",
        ));
    }
    if let Err(error) = jsonschema::draft202012::meta::validate(schema) {
        return Err(Invalid::new(
            format!("{field}{}", error.instance_path().as_str()),
            format!("not a valid JSON Schema (draft 2020-12): {error}"),
        ));
    }
    build(schema).map_err(|error| {
        Invalid::new(
            format!("{field}{}", error.schema_path().as_str()),
            format!("the schema cannot be used: {error}"),
        )
    })
}

/// Compiles a schema as publishing checks against it (formats asserted).
fn build(schema: &Value) -> Result<Schema, jsonschema::ValidationError<'static>> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
}

/// Every way `payload` fails `schema`, at most [`MAX_VIOLATIONS`] of them, and how many there were.
pub fn violations(schema: &Schema, payload: &Value) -> (Vec<Violation>, usize) {
    // Most payloads fit: answering yes or no is much cheaper than collecting errors.
    if schema.is_valid(payload) {
        return (Vec::new(), 0);
    }
    let mut listed = Vec::new();
    let mut total = 0;
    for error in schema.iter_errors(payload) {
        total += 1;
        if listed.len() < MAX_VIOLATIONS {
            listed.push(Violation {
                path: error.instance_path().as_str().to_owned(),
                message: error.to_string(),
            });
        }
    }
    (listed, total)
}

/// Checks each of `examples` against `schema`; the first that fails is an error at `field[i]`.
pub fn check_examples(schema: &Schema, examples: &[Value], field: &str) -> Result<(), Invalid> {
    if examples.len() > MAX_EXAMPLES {
        return Err(Invalid::new(
            field,
            format!("at most {MAX_EXAMPLES} examples"),
        ));
    }
    for (i, example) in examples.iter().enumerate() {
        let (found, _) = violations(schema, example);
        if let Some(first) = found.first() {
            return Err(Invalid::new(
                format!("{field}[{i}]"),
                format!(
                    "does not match the schema at `{}`: {}",
                    first.path, first.message
                ),
            ));
        }
    }
    Ok(())
}

/// Whether `pattern`, an entry of a subscription's `event_types`, takes the type `name`: equal, or a
/// wildcard `prefix.*` and `name` starts with `prefix.`.
pub fn type_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.len() > prefix.len() && name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The catalog of one app, compiled for publishing.
#[derive(Default)]
pub struct Catalog {
    types: HashMap<String, CatalogType>,
}

/// A type of the catalog with its compiled schemas, newest last.
pub struct CatalogType {
    pub archived: bool,
    pub deprecated: bool,
    versions: Vec<(u32, Arc<Schema>)>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("types", &self.types.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What the catalog says of one published event.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its type is not in the catalog.
    Unknown,
    Archived,
    /// The version the publish named does not exist.
    NoSuchVersion(u32),
    /// The type has no schema: any payload fits.
    Unchecked,
    /// Checked against `version`: the violations (empty when it fits) and how many there were.
    Checked {
        version: u32,
        violations: Vec<Violation>,
        total: usize,
    },
}

impl Catalog {
    /// Adds a type with its stored schema versions (oldest first), compiled without the checks they passed
    /// when saved (`compile_schema`): this runs whenever the cache is filled. A stored schema that no longer
    /// compiles (a newer hookd being stricter) leaves that version out, so publishing falls back to an older
    /// one.
    pub fn insert(
        &mut self,
        name: String,
        archived: bool,
        deprecated: bool,
        versions: &[SchemaVersion],
    ) {
        let versions = versions
            .iter()
            .filter_map(|v| Some((v.version, Arc::new(build(&v.schema).ok()?))))
            .collect();
        self.types.insert(
            name,
            CatalogType {
                archived,
                deprecated,
                versions,
            },
        );
    }

    pub fn get(&self, name: &str) -> Option<&CatalogType> {
        self.types.get(name)
    }

    /// Whether a subscription may list `pattern`: a type of the catalog that is not archived, or a wildcard
    /// that takes at least one such type.
    pub fn offers(&self, pattern: &str) -> bool {
        if pattern.ends_with('*') {
            self.types
                .iter()
                .any(|(name, t)| !t.archived && type_matches(pattern, name))
        } else {
            self.types.get(pattern).is_some_and(|t| !t.archived)
        }
    }

    /// Checks `payload` of type `event_type` against the named schema version, or the newest.
    pub fn check(&self, event_type: &EventType, version: Option<u32>, payload: &Value) -> Verdict {
        let Some(entry) = self.types.get(event_type.as_str()) else {
            return Verdict::Unknown;
        };
        if entry.archived {
            return Verdict::Archived;
        }
        let schema = match version {
            Some(wanted) => match entry.versions.iter().find(|(v, _)| *v == wanted) {
                Some(found) => found,
                None => return Verdict::NoSuchVersion(wanted),
            },
            None => match entry.versions.last() {
                Some(newest) => newest,
                None => return Verdict::Unchecked,
            },
        };
        let (violations, total) = violations(&schema.1, payload);
        Verdict::Checked {
            version: schema.0,
            violations,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn version(n: u32, schema: Value) -> SchemaVersion {
        SchemaVersion {
            version: n,
            schema,
            examples: vec![],
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_bad_schema_names_its_place() {
        let err = compile_schema(
            &json!({"type": "object", "properties": {"a": {"type": 5}}}),
            "schema",
        )
        .unwrap_err();
        assert_eq!(err.field, "schema/properties/a/type", "{err}");
        let err = compile_schema(&json!({"minLength": -1}), "schema").unwrap_err();
        assert_eq!(err.field, "schema/minLength", "{err}");
        assert_eq!(
            compile_schema(&json!([1]), "schema").unwrap_err().field,
            "schema"
        );
        // A remote reference cannot be resolved here: refused when saved, not when publishing.
        let err =
            compile_schema(&json!({"$ref": "https://example.com/s.json"}), "schema").unwrap_err();
        assert!(err.field.starts_with("schema"), "{err}");
    }

    #[test]
    fn examples_are_checked_against_the_schema() {
        let schema =
            compile_schema(&json!({"type": "object", "required": ["id"]}), "schema").unwrap();
        check_examples(&schema, &[json!({"id": 1})], "examples").unwrap();
        let err = check_examples(&schema, &[json!({"id": 1}), json!({})], "examples").unwrap_err();
        assert_eq!(err.field, "examples[1]");
        assert!(err.message.contains("id"), "{err}");
    }

    #[test]
    fn checks_against_the_named_or_newest_version() {
        let mut catalog = Catalog::default();
        catalog.insert(
            "order.created".into(),
            false,
            false,
            &[
                version(1, json!({"type": "object"})),
                version(2, json!({"type": "object", "required": ["total"]})),
            ],
        );
        catalog.insert("order.old".into(), true, false, &[]);
        catalog.insert("note".into(), false, true, &[]);
        let t = |s: &str| EventType::parse(s).unwrap();
        let payload = json!({"id": 1});
        assert!(matches!(
            catalog.check(&t("order.created"), None, &payload),
            Verdict::Checked {
                version: 2,
                total: 1,
                ..
            }
        ));
        assert!(matches!(
            catalog.check(&t("order.created"), Some(1), &payload),
            Verdict::Checked {
                version: 1,
                total: 0,
                ..
            }
        ));
        assert_eq!(
            catalog.check(&t("order.created"), Some(3), &payload),
            Verdict::NoSuchVersion(3)
        );
        assert_eq!(
            catalog.check(&t("order.old"), None, &payload),
            Verdict::Archived
        );
        assert_eq!(catalog.check(&t("other"), None, &payload), Verdict::Unknown);
        assert_eq!(
            catalog.check(&t("note"), None, &payload),
            Verdict::Unchecked
        );
        assert!(catalog.offers("order.*"));
        assert!(catalog.offers("order.created"));
        assert!(!catalog.offers("order.old"));
        assert!(!catalog.offers("billing.*"));
    }

    #[test]
    fn wildcards_take_a_prefix() {
        assert!(type_matches("order.*", "order.created"));
        assert!(type_matches("order.*", "order.line.added"));
        assert!(!type_matches("order.*", "order."));
        assert!(!type_matches("order.*", "orders.created"));
        assert!(type_matches("order.created", "order.created"));
        assert!(!type_matches("order.created", "order.created.x"));
    }

    #[test]
    fn violations_are_listed_up_to_the_limit() {
        let schema = compile_schema(
            &json!({"type": "array", "items": {"type": "integer"}}),
            "schema",
        )
        .unwrap();
        let payload = Value::Array((0..30).map(|i| json!(format!("x{i}"))).collect());
        let (listed, total) = violations(&schema, &payload);
        assert_eq!(total, 30);
        assert_eq!(listed.len(), MAX_VIOLATIONS);
        assert_eq!(listed[0].path, "/0");
    }
}
