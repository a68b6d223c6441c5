//! An app's event-type catalog: types with their schema versions and examples, deprecated and archived.

use serde_json::Value;

use super::{paged, Error, PageParams, Paged, Result, Scope, Service};
use crate::{
    domain::{
        catalog::{self, SchemaVersion, Verdict, Violation, MAX_VERSIONS},
        now_ms, Action, EventType, Invalid, SchemaValidation,
    },
    store::{AppRow, EventTypeRow, StoreError},
    views::{corrupt, time, EventTypeDefinition},
};

/// A new event type, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewEventType {
    pub name: String,
    pub description: Option<String>,
    pub group: Option<String>,
    /// Its first schema version; `None`: a type without a schema (any payload fits).
    pub schema: Option<Value>,
    /// Examples of the first version (checked against its schema).
    pub examples: Vec<Value>,
    pub deprecated: bool,
}

/// Changes to an event type; `None` leaves a field as it is, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct EventTypePatch {
    pub description: Option<Option<String>>,
    pub group: Option<Option<String>>,
    pub deprecated: Option<bool>,
    /// A new schema: stored as a new version (with `examples`, or none).
    pub schema: Option<Value>,
    /// The newest version's examples (or the new version's, with `schema`).
    pub examples: Option<Vec<Value>>,
}

fn check_description(d: Option<String>) -> Result<Option<String>> {
    match d {
        Some(d) if d.len() > 2000 => {
            Err(Invalid::new("description", "must be at most 2000 characters").into())
        }
        other => Ok(other),
    }
}

fn check_group(group: Option<&str>) -> Result<Option<String>> {
    Ok(group.map(catalog::group).transpose()?)
}

/// A new schema version, its schema and examples checked.
fn new_version(
    number: u32,
    schema: Value,
    examples: Vec<Value>,
    now: i64,
) -> Result<SchemaVersion> {
    let compiled = catalog::compile_schema(&schema, "schema")?;
    catalog::check_examples(&compiled, &examples, "examples")?;
    Ok(SchemaVersion {
        version: number,
        schema,
        examples,
        created_at: time(now),
    })
}

fn versions_json(versions: &[SchemaVersion]) -> String {
    serde_json::to_string(versions).expect("schema versions serialise")
}

impl Service {
    pub async fn create_event_type(
        &self,
        scope: &Scope,
        app_id: &str,
        new: NewEventType,
    ) -> Result<EventTypeDefinition> {
        scope.require(Action::AppsWrite)?;
        let app = self.app_row(scope, app_id).await?;
        let name = EventType::parse(&new.name).map_err(|e| e.at("name"))?;
        let now = now_ms();
        let versions = match new.schema {
            Some(schema) => vec![new_version(1, schema, new.examples, now)?],
            None if new.examples.is_empty() => Vec::new(),
            None => {
                return Err(Invalid::new(
                    "examples",
                    "examples need a schema to be checked against",
                )
                .into())
            }
        };
        let row = EventTypeRow {
            account_id: scope.account_id.clone(),
            app_id: app.id,
            name: name.as_str().to_owned(),
            description: check_description(new.description)?,
            group_name: check_group(new.group.as_deref())?,
            deprecated: new.deprecated,
            archived_at: None,
            versions: versions_json(&versions),
            created_at: now,
            updated_at: now,
        };
        self.store
            .insert_event_type(&row)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => Error::Conflict {
                    code: "event_type_exists",
                    message: format!("the app already has an event type `{}`", row.name),
                },
                other => other.into(),
            })?;
        Ok(row.try_into()?)
    }

    async fn event_type_row(
        &self,
        scope: &Scope,
        app_id: &str,
        name: &str,
    ) -> Result<EventTypeRow> {
        self.app_row(scope, app_id).await?;
        self.store
            .get_event_type(&scope.account_id, app_id, name)
            .await?
            .filter(|row| scope.sees_type(&row.name))
            .ok_or(Error::NotFound("event_type"))
    }

    pub async fn get_event_type(
        &self,
        scope: &Scope,
        app_id: &str,
        name: &str,
    ) -> Result<EventTypeDefinition> {
        scope.require(Action::AppsRead)?;
        Ok(self.event_type_row(scope, app_id, name).await?.try_into()?)
    }

    /// By name; archived ones only if asked for.
    pub async fn list_event_types(
        &self,
        scope: &Scope,
        app_id: &str,
        archived: bool,
        params: &PageParams,
    ) -> Result<Paged<EventTypeDefinition>> {
        scope.require(Action::AppsRead)?;
        self.app_row(scope, app_id).await?;
        let page = params.to_page()?;
        let rows = self
            .store
            .list_event_types(&scope.account_id, app_id, archived, &page)
            .await?;
        let mut listed = paged(&page, rows, |r| &r.name, EventTypeDefinition::try_from)?;
        listed.data.retain(|t| scope.sees_type(&t.name));
        Ok(listed)
    }

    pub async fn update_event_type(
        &self,
        scope: &Scope,
        app_id: &str,
        name: &str,
        patch: EventTypePatch,
    ) -> Result<EventTypeDefinition> {
        scope.require(Action::AppsWrite)?;
        self.change_event_type(scope, app_id, name, |row, now| {
            if let Some(description) = patch.description {
                row.description = check_description(description)?;
            }
            if let Some(group) = &patch.group {
                row.group_name = check_group(group.as_deref())?;
            }
            if let Some(deprecated) = patch.deprecated {
                row.deprecated = deprecated;
            }
            let mut versions = row.versions()?;
            match (patch.schema, patch.examples) {
                (Some(schema), examples) => {
                    let number = versions.last().map_or(1, |v| v.version + 1);
                    versions.push(new_version(
                        number,
                        schema,
                        examples.unwrap_or_default(),
                        now,
                    )?);
                    if versions.len() > MAX_VERSIONS {
                        versions.remove(0);
                    }
                }
                (None, Some(examples)) => {
                    let Some(newest) = versions.last_mut() else {
                        return Err(Invalid::new(
                            "examples",
                            "the type has no schema to check examples against; send `schema` too",
                        )
                        .into());
                    };
                    let compiled = catalog::compile_schema(&newest.schema, "schema")?;
                    catalog::check_examples(&compiled, &examples, "examples")?;
                    newest.examples = examples;
                }
                (None, None) => {}
            }
            row.versions = versions_json(&versions);
            Ok(())
        })
        .await
    }

    /// Archives (or brings back) a type: an archived one stays readable, but where the app asks for it
    /// (`catalog_only`, `schema_validation` enforce) it can no longer be subscribed to or published.
    pub async fn archive_event_type(
        &self,
        scope: &Scope,
        app_id: &str,
        name: &str,
        archived: bool,
    ) -> Result<EventTypeDefinition> {
        scope.require(Action::AppsWrite)?;
        self.change_event_type(scope, app_id, name, |row, now| {
            row.archived_at = if archived {
                row.archived_at.or(Some(now))
            } else {
                None
            };
            Ok(())
        })
        .await
    }

    /// Reads the type, applies `change` and writes it back unless another write came in between.
    async fn change_event_type(
        &self,
        scope: &Scope,
        app_id: &str,
        name: &str,
        change: impl FnOnce(&mut EventTypeRow, i64) -> Result<()>,
    ) -> Result<EventTypeDefinition> {
        let mut row = self.event_type_row(scope, app_id, name).await?;
        let was = row.updated_at;
        let now = now_ms().max(was + 1);
        change(&mut row, now)?;
        row.updated_at = now;
        if !self.store.update_event_type(&row, was).await? {
            return Err(Error::Conflict {
                code: "concurrent_change",
                message: format!("event type `{name}` changed meanwhile; read it again and retry"),
            });
        }
        Ok(row.try_into()?)
    }

    /// One of a type's examples: of the named version (or the newest), the `index`th (or the first).
    pub(super) async fn event_type_example(
        &self,
        scope: &Scope,
        app_id: &str,
        name: &str,
        version: Option<u32>,
        index: usize,
    ) -> Result<Value> {
        let row = self.event_type_row(scope, app_id, name).await?;
        let versions = row.versions()?;
        let chosen = match version {
            Some(v) => versions.iter().find(|s| s.version == v).ok_or_else(|| {
                Invalid::new("version", format!("`{name}` has no schema version {v}"))
            })?,
            None => versions.last().ok_or_else(|| {
                Invalid::new(
                    "event_type",
                    format!("`{name}` has no schema, so no examples"),
                )
            })?,
        };
        chosen.examples.get(index).cloned().ok_or_else(|| {
            Invalid::new(
                "example",
                format!(
                    "version {} of `{name}` has {} example(s)",
                    chosen.version,
                    chosen.examples.len()
                ),
            )
            .into()
        })
    }
}

/// What checking a publish against the app's catalog found, to store with the event.
#[derive(Debug, Default)]
pub(super) struct SchemaCheck {
    /// The schema version the payload was checked against.
    pub version: Option<i64>,
    /// JSON list of violations (`warn`); `None` when it fits or was not checked.
    pub violations: Option<String>,
    /// The payload, parsed for the check (the publish's payload filters use it too).
    pub parsed: Option<Value>,
}

impl Service {
    /// Checks a payload against its type's schema as the app's `schema_validation` says: `off` does
    /// nothing; `enforce` refuses an unknown or archived type, an unknown version and a payload that does
    /// not fit; `warn` accepts all of those and lists what is wrong. Refused and flagged payloads are counted
    /// (`hookd_schema_violations_total`).
    pub(super) async fn check_schema(
        &self,
        app: &AppRow,
        event_type: &EventType,
        version: Option<u32>,
        payload: &serde_json::value::RawValue,
    ) -> Result<SchemaCheck> {
        let mode = SchemaValidation::parse(&app.schema_validation)
            .ok_or_else(|| corrupt("schema validation", &app.schema_validation))?;
        if mode == SchemaValidation::Off {
            return Ok(SchemaCheck::default());
        }
        let catalog = self.store.catalog(&app.account_id, &app.id).await?;
        let parsed: Value =
            serde_json::from_str(payload.get()).map_err(|e| corrupt("payload", e))?;
        let name = event_type.as_str();
        // What is wrong with the publish, where (the field it names, or the payload) and why.
        let (version, refusal) = match catalog.check(event_type, version, &parsed) {
            Verdict::Unchecked => (None, None),
            Verdict::Checked {
                version, total: 0, ..
            } => (Some(i64::from(version)), None),
            Verdict::Checked {
                version,
                violations,
                total,
            } => {
                let message = format!(
                    "the payload does not match schema version {version} of `{name}`: {total} violation(s)"
                );
                (
                    Some(i64::from(version)),
                    Some(Refusal::Payload(message, violations)),
                )
            }
            Verdict::Unknown => (
                None,
                Some(Refusal::Field(
                    "type",
                    format!("`{name}` is not a type of the app's catalog"),
                )),
            ),
            Verdict::Archived => (
                None,
                Some(Refusal::Field("type", format!("`{name}` is archived"))),
            ),
            Verdict::NoSuchVersion(v) => (
                None,
                Some(Refusal::Field(
                    "schema_version",
                    format!("`{name}` has no schema version {v}"),
                )),
            ),
        };
        let Some(refusal) = refusal else {
            return Ok(SchemaCheck {
                version,
                violations: None,
                parsed: Some(parsed),
            });
        };
        count_violation(mode);
        let violations = match (mode, refusal) {
            (SchemaValidation::Enforce, Refusal::Payload(message, violations)) => {
                return Err(Error::SchemaViolation {
                    message,
                    violations,
                })
            }
            (SchemaValidation::Enforce, Refusal::Field(field, message)) => {
                return Err(Invalid::new(field, message).into())
            }
            (_, Refusal::Payload(_, violations)) => violations,
            (_, Refusal::Field(_, message)) => vec![Violation {
                path: String::new(),
                message,
            }],
        };
        Ok(SchemaCheck {
            version,
            violations: Some(serde_json::to_string(&violations).expect("violations serialise")),
            parsed: Some(parsed),
        })
    }
}

/// Why a publish does not fit the catalog.
enum Refusal {
    /// The payload fails its schema: the summary, and the violations listed.
    Payload(String, Vec<Violation>),
    /// A field of the publish names what the catalog does not offer.
    Field(&'static str, String),
}

fn count_violation(mode: SchemaValidation) {
    metrics::counter!("hookd_schema_violations_total", "mode" => mode.as_str()).increment(1);
}
