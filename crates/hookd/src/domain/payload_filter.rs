//! Payload filters: a small JSON language with which a subscription receives only the events whose JSON
//! payload matches (docs/FILTERS.md). A filter is validated and compiled once: field paths are split into
//! segments, numbers converted, `$in` strings sorted. Evaluating it against a payload then walks only the
//! parts of the payload its paths name, without allocating. The limits enforced at compile time (256 nodes,
//! 16 levels, 16-segment paths) keep the cost of one evaluation linear in the payload's size.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::Invalid;

/// The name under which errors report the filter document itself.
const ROOT: &str = "filter";
/// JSON values in one filter, not counting the scalar members of `$in`/`$nin` lists.
const MAX_NODES: usize = 256;
/// Nesting of objects and arrays; the filter object itself is level 1.
const MAX_DEPTH: usize = 16;
const MAX_PATH_CHARS: usize = 256;
const MAX_PATH_SEGMENTS: usize = 16;
/// Members of one `$in` or `$nin` list.
const MAX_MEMBERS: usize = 256;

/// Operators that test one field; in a condition object they must follow a field path.
const FIELD_OPERATORS: [&str; 10] = [
    "$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$not",
];

/// A compiled payload filter, with the JSON it was compiled from.
#[derive(Debug, Clone)]
pub struct PayloadFilter {
    source: Value,
    root: Condition,
}

impl PayloadFilter {
    /// Validates and compiles a filter document.
    ///
    /// # Errors
    /// `Invalid` naming the offending part of the document, as `filter.$and[1].amount.$gt`.
    pub fn compile(source: &Value) -> Result<Self, Invalid> {
        let root = Compiler::new().document(source)?;
        Ok(Self {
            source: source.clone(),
            root,
        })
    }

    /// Parses JSON text, then compiles it.
    ///
    /// # Errors
    /// `Invalid` at `filter` when the text is not JSON; otherwise as [`PayloadFilter::compile`].
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let source: Value = serde_json::from_str(raw)
            .map_err(|e| Invalid::new(ROOT, format!("not valid JSON: {e}")))?;
        Self::compile(&source)
    }

    /// The document the filter was compiled from.
    #[must_use]
    pub fn source(&self) -> &Value {
        &self.source
    }

    /// Whether `payload` passes the filter.
    #[must_use]
    pub fn matches(&self, payload: &Value) -> bool {
        self.root.holds(payload)
    }
}

impl PartialEq for PayloadFilter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for PayloadFilter {}

/// A condition object, or one of its entries.
#[derive(Debug, Clone)]
enum Condition {
    /// The entries of a condition object, or `$and`; empty holds for every payload.
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Field(Path, Test),
}

impl Condition {
    /// `parts` joined by AND, without a wrapper around a single one.
    fn all(mut parts: Vec<Condition>) -> Self {
        if parts.len() == 1 {
            if let Some(only) = parts.pop() {
                return only;
            }
        }
        Self::All(parts)
    }

    fn holds(&self, payload: &Value) -> bool {
        match self {
            Self::All(parts) => parts.iter().all(|part| part.holds(payload)),
            Self::Any(parts) => parts.iter().any(|part| part.holds(payload)),
            Self::Not(inner) => !inner.holds(payload),
            Self::Field(path, test) => test.holds(path, payload),
        }
    }
}

/// A test of one field, over every value its path reaches in a payload. Negative operators (`$ne`, `$nin`,
/// `$exists: false`, `$not`) are negations of the positive tests, so they also hold for a missing field.
#[derive(Debug, Clone)]
enum Test {
    Equals(Literal),
    In(Members),
    Compare(Comparison, Bound),
    Exists,
    Not(Box<Test>),
    All(Vec<Test>),
}

impl Test {
    /// `tests` joined by AND, without a wrapper around a single one.
    fn all(mut tests: Vec<Test>) -> Self {
        if tests.len() == 1 {
            if let Some(only) = tests.pop() {
                return only;
            }
        }
        Self::All(tests)
    }

    fn holds(&self, path: &Path, payload: &Value) -> bool {
        match self {
            Self::Equals(literal) => {
                path.any_candidate(payload, |value| literal.equals(value))
                    || (literal.is_null() && path.is_missing(payload))
            }
            Self::In(members) => {
                path.any_candidate(payload, |value| members.contain(value))
                    || (members.has_null() && path.is_missing(payload))
            }
            Self::Compare(comparison, bound) => {
                path.any_candidate(payload, |value| bound.admits(*comparison, value))
            }
            Self::Exists => !path.is_missing(payload),
            Self::Not(inner) => !inner.holds(path, payload),
            Self::All(tests) => tests.iter().all(|test| test.holds(path, payload)),
        }
    }
}

/// A dotted field path, split at compile time.
#[derive(Debug, Clone)]
struct Path(Box<[Segment]>);

#[derive(Debug, Clone)]
struct Segment {
    key: Box<str>,
    /// Set when the segment is all digits: it then selects that element of an array.
    index: Option<usize>,
}

impl Segment {
    fn new(key: &str) -> Self {
        // A number too large to parse is past the end of any array.
        let index = key
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| key.parse().unwrap_or(usize::MAX));
        Self {
            key: key.into(),
            index,
        }
    }
}

impl Path {
    fn is_missing(&self, payload: &Value) -> bool {
        !walk(payload, &self.0, &mut |_| true)
    }

    /// Whether `accept` holds for a value the path reaches or, when that value is an array, for one of
    /// its elements.
    fn any_candidate(&self, payload: &Value, accept: impl Fn(&Value) -> bool) -> bool {
        walk(payload, &self.0, &mut |value| {
            accept(value)
                || value
                    .as_array()
                    .is_some_and(|items| items.iter().any(&accept))
        })
    }
}

/// Follows `segments` from `value`, calling `visit` on each value reached until it returns true. A named
/// segment that meets an array continues into those of its elements that are objects (one level only),
/// which is why a path can reach several values.
fn walk(value: &Value, segments: &[Segment], visit: &mut dyn FnMut(&Value) -> bool) -> bool {
    let Some((segment, rest)) = segments.split_first() else {
        return visit(value);
    };
    match value {
        Value::Object(map) => map
            .get(&*segment.key)
            .is_some_and(|child| walk(child, rest, visit)),
        Value::Array(items) => match segment.index {
            Some(index) => items
                .get(index)
                .is_some_and(|child| walk(child, rest, visit)),
            None => items.iter().any(|item| {
                item.get(&*segment.key)
                    .is_some_and(|child| walk(child, rest, visit))
            }),
        },
        _ => false,
    }
}

/// A number as both an exact integer (when it is one) and a double, so that integers beyond 2^53 compare
/// exactly with each other while `1` still equals `1.0`.
#[derive(Debug, Clone, Copy)]
struct Num {
    int: Option<i128>,
    float: f64,
}

impl Num {
    /// `float` is NaN, which compares with nothing, only when `serde_json` keeps numbers as text and this
    /// one does not fit a double.
    fn of(number: &Number) -> Self {
        let int = number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from));
        Self {
            int,
            float: number.as_f64().unwrap_or(f64::NAN),
        }
    }

    fn compare(self, other: Self) -> Option<Ordering> {
        match (self.int, other.int) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => self.float.partial_cmp(&other.float),
        }
    }
}

/// A JSON value to compare payload values with.
#[derive(Debug, Clone)]
enum Literal {
    Null,
    Bool(bool),
    Number(Num),
    String(Box<str>),
    Array(Box<[Literal]>),
    Object(Box<[(Box<str>, Literal)]>),
}

impl Literal {
    fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// Deep equality, with numbers compared by value.
    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Null, Value::Null) => true,
            (Self::Bool(a), Value::Bool(b)) => a == b,
            (Self::Number(a), Value::Number(b)) => a.compare(Num::of(b)) == Some(Ordering::Equal),
            (Self::String(a), Value::String(b)) => **a == **b,
            (Self::Array(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(l, v)| l.equals(v))
            }
            // The literal's keys are distinct, so equal sizes and every key found means the same key set.
            (Self::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(key, l)| b.get(&**key).is_some_and(|v| l.equals(v)))
            }
            _ => false,
        }
    }
}

/// The list of `$in`/`$nin`, with its strings sorted for a binary search.
#[derive(Debug, Clone)]
struct Members {
    strings: Box<[Box<str>]>,
    others: Box<[Literal]>,
}

impl Members {
    fn contain(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => self
                .strings
                .binary_search_by(|member| (**member).cmp(s.as_str()))
                .is_ok(),
            _ => self.others.iter().any(|member| member.equals(value)),
        }
    }

    fn has_null(&self) -> bool {
        self.others.iter().any(Literal::is_null)
    }
}

#[derive(Debug, Clone, Copy)]
enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

impl Comparison {
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Self::Greater => ordering.is_gt(),
            Self::GreaterOrEqual => ordering.is_ge(),
            Self::Less => ordering.is_lt(),
            Self::LessOrEqual => ordering.is_le(),
        }
    }
}

/// The operand of `$gt`, `$gte`, `$lt` and `$lte`.
#[derive(Debug, Clone)]
enum Bound {
    Number(Num),
    String(Box<str>),
}

impl Bound {
    /// Values of another kind than the bound never pass.
    fn admits(&self, comparison: Comparison, value: &Value) -> bool {
        let ordering = match (value, self) {
            (Value::Number(n), Self::Number(bound)) => Num::of(n).compare(*bound),
            (Value::String(s), Self::String(bound)) => Some(s.as_str().cmp(bound)),
            _ => None,
        };
        ordering.is_some_and(|o| comparison.accepts(o))
    }
}

/// One step from a value of the filter document to a value inside it.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Whether a literal may hold keys starting with `$`: only where the filter says the value is literal
/// (`$eq`, `$ne`, `$in`, `$nin`). Elsewhere such a key is more likely a misplaced operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dollars {
    Allowed,
    Refused,
}

/// Walks a filter document, building the compiled tree and counting it against the limits.
struct Compiler {
    /// Where in the document the compiler is, as errors report it.
    trail: String,
    depth: usize,
    nodes: usize,
}

impl Compiler {
    fn new() -> Self {
        Self {
            trail: ROOT.to_owned(),
            depth: 0,
            nodes: 0,
        }
    }

    fn error(&self, message: impl Into<String>) -> Invalid {
        Invalid::new(self.trail.clone(), message)
    }

    /// Runs `compile` one level down, at `step`.
    fn within<T>(
        &mut self,
        step: Step<'_>,
        compile: impl FnOnce(&mut Self) -> Result<T, Invalid>,
    ) -> Result<T, Invalid> {
        let len = self.trail.len();
        match step {
            Step::Key(key) => {
                self.trail.push('.');
                self.trail.push_str(key);
            }
            Step::Index(index) => {
                // Writing to a String cannot fail.
                let _ = write!(self.trail, "[{index}]");
            }
        }
        self.depth += 1;
        let result = compile(self);
        self.depth -= 1;
        self.trail.truncate(len);
        result
    }

    /// Counts `value` against the limits; called before looking inside it, so that an oversized document
    /// is refused before it is walked.
    fn count(&mut self, value: &Value) -> Result<(), Invalid> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Invalid::new(ROOT, format!("more than {MAX_NODES} nodes")));
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) && self.depth >= MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn document(mut self, source: &Value) -> Result<Condition, Invalid> {
        if !source.is_object() {
            return Err(self.error("must be a JSON object"));
        }
        self.condition(source)
    }

    fn condition(&mut self, value: &Value) -> Result<Condition, Invalid> {
        self.count(value)?;
        let Value::Object(entries) = value else {
            return Err(self.error("must be a condition object"));
        };
        let parts = entries
            .iter()
            .map(|(key, operand)| self.within(Step::Key(key), |c| c.entry(key, operand)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Condition::all(parts))
    }

    fn entry(&mut self, key: &str, operand: &Value) -> Result<Condition, Invalid> {
        match key {
            "$and" => Ok(Condition::all(self.conditions(operand)?)),
            "$or" => Ok(Condition::Any(self.conditions(operand)?)),
            "$not" => Ok(Condition::Not(Box::new(self.condition(operand)?))),
            _ if FIELD_OPERATORS.contains(&key) => {
                Err(self.error(format!("`{key}` must follow a field path")))
            }
            _ if key.starts_with('$') => Err(self.error(format!("unknown operator `{key}`"))),
            _ => {
                let path = self.path(key)?;
                Ok(Condition::Field(path, self.field_condition(operand)?))
            }
        }
    }

    /// The operand of `$and` or `$or`.
    fn conditions(&mut self, operand: &Value) -> Result<Vec<Condition>, Invalid> {
        self.count(operand)?;
        let items = match operand {
            Value::Array(items) if !items.is_empty() => items,
            _ => return Err(self.error("must be a non-empty array of condition objects")),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.within(Step::Index(i), |c| c.condition(item)))
            .collect()
    }

    fn path(&self, key: &str) -> Result<Path, Invalid> {
        if key.chars().count() > MAX_PATH_CHARS {
            return Err(self.error(format!("path longer than {MAX_PATH_CHARS} characters")));
        }
        let mut segments = Vec::new();
        for segment in key.split('.') {
            if segment.is_empty() {
                return Err(self.error("empty path segment"));
            }
            if segments.len() == MAX_PATH_SEGMENTS {
                return Err(self.error(format!("path has more than {MAX_PATH_SEGMENTS} segments")));
            }
            segments.push(Segment::new(segment));
        }
        Ok(Path(segments.into()))
    }

    /// What follows a field path, or `$not` inside a field condition.
    fn field_condition(&mut self, operand: &Value) -> Result<Test, Invalid> {
        match operand {
            Value::Object(entries) if entries.keys().any(|key| key.starts_with('$')) => {
                self.operators(operand, entries)
            }
            _ => Ok(Test::Equals(self.literal(operand, Dollars::Refused)?)),
        }
    }

    fn operators(
        &mut self,
        operand: &Value,
        entries: &Map<String, Value>,
    ) -> Result<Test, Invalid> {
        self.count(operand)?;
        if let Some(plain) = entries.keys().find(|key| !key.starts_with('$')) {
            return Err(self.error(format!("mixes operators with the plain key `{plain}`")));
        }
        let tests = entries
            .iter()
            .map(|(op, arg)| self.within(Step::Key(op), |c| c.operator(op, arg)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Test::all(tests))
    }

    fn operator(&mut self, op: &str, arg: &Value) -> Result<Test, Invalid> {
        let negated = |test| Test::Not(Box::new(test));
        match op {
            "$eq" => Ok(Test::Equals(self.literal(arg, Dollars::Allowed)?)),
            "$ne" => Ok(negated(Test::Equals(self.literal(arg, Dollars::Allowed)?))),
            "$in" => Ok(Test::In(self.members(arg)?)),
            "$nin" => Ok(negated(Test::In(self.members(arg)?))),
            "$gt" => self.comparison(Comparison::Greater, arg),
            "$gte" => self.comparison(Comparison::GreaterOrEqual, arg),
            "$lt" => self.comparison(Comparison::Less, arg),
            "$lte" => self.comparison(Comparison::LessOrEqual, arg),
            "$exists" => {
                self.count(arg)?;
                match arg {
                    Value::Bool(true) => Ok(Test::Exists),
                    Value::Bool(false) => Ok(negated(Test::Exists)),
                    _ => Err(self.error("must be true or false")),
                }
            }
            "$not" => Ok(negated(self.field_condition(arg)?)),
            "$and" | "$or" => Err(self.error(format!("`{op}` is not a field operator"))),
            _ => Err(self.error(format!("unknown operator `{op}`"))),
        }
    }

    fn comparison(&mut self, comparison: Comparison, arg: &Value) -> Result<Test, Invalid> {
        self.count(arg)?;
        let bound = match arg {
            Value::Number(n) => Bound::Number(self.number(n)?),
            Value::String(s) => Bound::String(s.as_str().into()),
            _ => return Err(self.error("must be a number or a string")),
        };
        Ok(Test::Compare(comparison, bound))
    }

    fn members(&mut self, arg: &Value) -> Result<Members, Invalid> {
        self.count(arg)?;
        let Value::Array(items) = arg else {
            return Err(self.error("must be an array"));
        };
        if items.len() > MAX_MEMBERS {
            return Err(self.error(format!("more than {MAX_MEMBERS} values")));
        }
        let mut strings = Vec::new();
        let mut others = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if let Value::String(s) = item {
                strings.push(Box::<str>::from(s.as_str()));
                continue;
            }
            let member = self.within(Step::Index(i), |c| {
                // Scalar members are bounded by MAX_MEMBERS instead of the node count.
                if matches!(item, Value::Array(_) | Value::Object(_)) {
                    c.literal(item, Dollars::Allowed)
                } else {
                    c.literal_value(item, Dollars::Allowed)
                }
            })?;
            others.push(member);
        }
        strings.sort_unstable();
        strings.dedup();
        Ok(Members {
            strings: strings.into(),
            others: others.into(),
        })
    }

    fn literal(&mut self, value: &Value, dollars: Dollars) -> Result<Literal, Invalid> {
        self.count(value)?;
        self.literal_value(value, dollars)
    }

    fn literal_value(&mut self, value: &Value, dollars: Dollars) -> Result<Literal, Invalid> {
        Ok(match value {
            Value::Null => Literal::Null,
            Value::Bool(b) => Literal::Bool(*b),
            Value::Number(n) => Literal::Number(self.number(n)?),
            Value::String(s) => Literal::String(s.as_str().into()),
            Value::Array(items) => Literal::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.within(Step::Index(i), |c| c.literal(item, dollars)))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(entries) => Literal::Object(
                entries
                    .iter()
                    .map(|(key, item)| {
                        self.within(Step::Key(key), |c| {
                            if dollars == Dollars::Refused && key.starts_with('$') {
                                return Err(c.error(format!(
                                    "operator `{key}` inside a value (use a dotted path, or `$eq` to match it literally)"
                                )));
                            }
                            Ok((key.as_str().into(), c.literal(item, dollars)?))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
        })
    }

    fn number(&self, number: &Number) -> Result<Num, Invalid> {
        let num = Num::of(number);
        if num.float.is_nan() {
            return Err(self.error("number out of range"));
        }
        Ok(num)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use serde_json::json;

    /// (filter, payload, whether the payload passes).
    #[rustfmt::skip]
    const CASES: &[(&str, &str, bool)] = &[
        // The empty filter, and plain equality.
        ("{}", r#"{"a":1}"#, true),
        ("{}", "null", true),
        ("{}", "[1,2]", true),
        (r#"{"a":1}"#, r#"{"a":1}"#, true),
        (r#"{"a":1}"#, r#"{"a":1.0}"#, true),
        (r#"{"a":1.0}"#, r#"{"a":1}"#, true),
        (r#"{"a":1}"#, r#"{"a":2}"#, false),
        (r#"{"a":1}"#, r#"{"a":"1"}"#, false),
        (r#"{"a":"1"}"#, r#"{"a":1}"#, false),
        (r#"{"a":true}"#, r#"{"a":true}"#, true),
        (r#"{"a":true}"#, r#"{"a":1}"#, false),
        (r#"{"a":""}"#, r#"{"a":""}"#, true),
        (r#"{"a":1}"#, "{}", false),
        (r#"{"a":1}"#, "5", false),
        (r#"{"a":1}"#, r#"[{"a":1}]"#, true),
        (r#"{"a":1,"b":2}"#, r#"{"a":1,"b":2}"#, true),
        (r#"{"a":1,"b":2}"#, r#"{"a":1,"b":3}"#, false),
        // Nested paths and deep equality.
        (r#"{"customer.address.country":"DE"}"#, r#"{"customer":{"address":{"country":"DE"}}}"#, true),
        (r#"{"customer.address.country":"DE"}"#, r#"{"customer":{"address":{}}}"#, false),
        (r#"{"customer.address.country":"DE"}"#, r#"{"customer":{"address":"DE"}}"#, false),
        (r#"{"a.b.c.d":"deep"}"#, r#"{"a":{"b":{"c":{"d":"deep"}}}}"#, true),
        (r#"{"a.$ref":"x"}"#, r#"{"a":{"$ref":"x"}}"#, true),
        (r#"{"a.b":{"c":1}}"#, r#"{"a":{"b":{"c":1}}}"#, true),
        (r#"{"a.b":{"c":1}}"#, r#"{"a":{"b":{"c":1,"d":2}}}"#, false),
        (r#"{"a":{"b":1,"c":[1,2]}}"#, r#"{"a":{"c":[1.0,2],"b":1}}"#, true),
        (r#"{"a":{}}"#, r#"{"a":{}}"#, true),
        (r#"{"a":{}}"#, r#"{"a":{"b":1}}"#, false),
        // An array at the end of the path: the whole array, or any element.
        (r#"{"a":[1,2]}"#, r#"{"a":[1,2]}"#, true),
        (r#"{"a":[1,2]}"#, r#"{"a":[2,1]}"#, false),
        (r#"{"a":[1,2]}"#, r#"{"a":[[1,2],3]}"#, true),
        (r#"{"a":1}"#, r#"{"a":[3,1]}"#, true),
        (r#"{"a":1}"#, r#"{"a":[[1]]}"#, false),
        (r#"{"a":1}"#, r#"{"a":[]}"#, false),
        // A named segment meeting an array goes through its objects.
        (r#"{"items.sku":"X1"}"#, r#"{"items":[{"sku":"A"},{"sku":"X1"}]}"#, true),
        (r#"{"items.sku":"X1"}"#, r#"{"items":[{"sku":"A"},"X1"]}"#, false),
        (r#"{"items.sku":"X1"}"#, r#"{"items":[]}"#, false),
        (r#"{"orders.items.sku":"B"}"#, r#"{"orders":[{"items":[{"sku":"A"}]},{"items":[{"sku":"B"}]}]}"#, true),
        (r#"{"a.b":1}"#, r#"{"a":[[{"b":1}]]}"#, false),
        // Index segments.
        (r#"{"items.0.sku":"A"}"#, r#"{"items":[{"sku":"A"},{"sku":"B"}]}"#, true),
        (r#"{"items.1.sku":"A"}"#, r#"{"items":[{"sku":"A"},{"sku":"B"}]}"#, false),
        (r#"{"items.2.sku":"A"}"#, r#"{"items":[{"sku":"A"},{"sku":"B"}]}"#, false),
        (r#"{"a.0":"x"}"#, r#"{"a":{"0":"x"}}"#, true),
        (r#"{"a.0":"x"}"#, r#"{"a":["x","y"]}"#, true),
        (r#"{"a.1":{"$exists":true}}"#, r#"{"a":["x"]}"#, false),
        (r#"{"a.0.0":1}"#, r#"{"a":[[1,2]]}"#, true),
        (r#"{"a.0":1}"#, r#"{"a":[[1,2]]}"#, true),
        (r#"{"a.99999999999999999999999.b":1}"#, r#"{"a":[{"b":1}]}"#, false),
        // $eq and $ne.
        (r#"{"a":{"$eq":{"$gt":1}}}"#, r#"{"a":{"$gt":1}}"#, true),
        (r#"{"a":{"$eq":2}}"#, r#"{"a":2.0}"#, true),
        (r#"{"a":{"$ne":2}}"#, r#"{"a":3}"#, true),
        (r#"{"a":{"$ne":2}}"#, r#"{"a":2}"#, false),
        (r#"{"a":{"$ne":2}}"#, "{}", true),
        (r#"{"a":{"$ne":2}}"#, r#"{"a":[1,2]}"#, false),
        (r#"{"a":{"$ne":"2"}}"#, r#"{"a":2}"#, true),
        // null and missing fields.
        (r#"{"a":null}"#, r#"{"a":null}"#, true),
        (r#"{"a":null}"#, "{}", true),
        (r#"{"a":null}"#, r#"{"a":0}"#, false),
        (r#"{"a":null}"#, r#"{"a":[1,null]}"#, true),
        (r#"{"a.b":null}"#, r#"{"a":5}"#, true),
        (r#"{"a.b":null}"#, r#"{"a":[{"b":1}]}"#, false),
        (r#"{"a":{"$ne":null}}"#, "{}", false),
        (r#"{"a":{"$ne":null}}"#, r#"{"a":false}"#, true),
        (r#"{"a":{"$ne":null}}"#, r#"{"a":null}"#, false),
        (r#"{"a":{"$exists":true}}"#, r#"{"a":null}"#, true),
        (r#"{"a":{"$exists":false}}"#, r#"{"a":null}"#, false),
        (r#"{"a":{"$exists":false}}"#, r#"{"b":1}"#, true),
        (r#"{"a.b":{"$exists":true}}"#, r#"{"a":[{"c":1},{"b":null}]}"#, true),
        (r#"{"a.b":{"$exists":false}}"#, r#"{"a":[{"c":1}]}"#, true),
        // $in and $nin.
        (r#"{"a":{"$in":["x","y"]}}"#, r#"{"a":"y"}"#, true),
        (r#"{"a":{"$in":["x","y"]}}"#, r#"{"a":"z"}"#, false),
        (r#"{"a":{"$in":[1,"x"]}}"#, r#"{"a":1.0}"#, true),
        (r#"{"a":{"$in":["1"]}}"#, r#"{"a":1}"#, false),
        (r#"{"a":{"$in":["x","y"]}}"#, r#"{"a":["z","x"]}"#, true),
        (r#"{"a":{"$in":[["z","x"]]}}"#, r#"{"a":["z","x"]}"#, true),
        (r#"{"a":{"$in":[{"b":1}]}}"#, r#"{"a":{"b":1.0}}"#, true),
        (r#"{"a":{"$in":[]}}"#, r#"{"a":1}"#, false),
        (r#"{"a":{"$in":[null]}}"#, "{}", true),
        (r#"{"a":{"$in":["x"]}}"#, "{}", false),
        (r#"{"a":{"$nin":["x","y"]}}"#, r#"{"a":"z"}"#, true),
        (r#"{"a":{"$nin":["x","y"]}}"#, r#"{"a":["z","x"]}"#, false),
        (r#"{"a":{"$nin":["x"]}}"#, "{}", true),
        (r#"{"a":{"$nin":[null]}}"#, "{}", false),
        // $gt, $gte, $lt, $lte.
        (r#"{"a":{"$gt":1}}"#, r#"{"a":1.5}"#, true),
        (r#"{"a":{"$gt":1}}"#, r#"{"a":1}"#, false),
        (r#"{"a":{"$gte":1}}"#, r#"{"a":1.0}"#, true),
        (r#"{"a":{"$lt":1}}"#, r#"{"a":-3}"#, true),
        (r#"{"a":{"$lte":-1}}"#, r#"{"a":-1}"#, true),
        (r#"{"a":{"$lte":-1}}"#, r#"{"a":-0.5}"#, false),
        (r#"{"a":{"$gt":1}}"#, r#"{"a":"2"}"#, false),
        (r#"{"a":{"$gt":"1"}}"#, r#"{"a":2}"#, false),
        (r#"{"a":{"$gt":"apple"}}"#, r#"{"a":"banana"}"#, true),
        (r#"{"a":{"$lt":"Z"}}"#, r#"{"a":"a"}"#, false),
        (r#"{"a":{"$gte":"2024-01-01"}}"#, r#"{"a":"2024-06-30T12:00:00Z"}"#, true),
        (r#"{"a":{"$gt":0}}"#, r#"{"a":[-1,5]}"#, true),
        (r#"{"a":{"$gt":0}}"#, r#"{"a":[]}"#, false),
        (r#"{"a":{"$gt":0,"$lt":10}}"#, r#"{"a":5}"#, true),
        (r#"{"a":{"$gt":0,"$lt":10}}"#, r#"{"a":15}"#, false),
        (r#"{"a":{"$gt":1,"$lt":5}}"#, r#"{"a":[0,10]}"#, true),
        (r#"{"a":{"$gt":0}}"#, "{}", false),
        (r#"{"a":{"$gt":0}}"#, r#"{"a":null}"#, false),
        (r#"{"a":{"$lt":1}}"#, r#"{"a":true}"#, false),
        // Integers compare exactly, beyond what a double holds.
        (r#"{"id":9007199254740993}"#, r#"{"id":9007199254740992}"#, false),
        (r#"{"id":{"$gt":9007199254740992}}"#, r#"{"id":9007199254740993}"#, true),
        (r#"{"n":18446744073709551615}"#, r#"{"n":18446744073709551615}"#, true),
        (r#"{"n":{"$lt":0}}"#, r#"{"n":18446744073709551615}"#, false),
        (r#"{"n":{"$lt":-9223372036854775808}}"#, r#"{"n":-1e300}"#, true),
        // $not on a field.
        (r#"{"a":{"$not":{"$gt":5}}}"#, r#"{"a":3}"#, true),
        (r#"{"a":{"$not":{"$gt":5}}}"#, r#"{"a":7}"#, false),
        (r#"{"a":{"$not":{"$gt":5}}}"#, "{}", true),
        (r#"{"a":{"$not":"x"}}"#, r#"{"a":"y"}"#, true),
        (r#"{"a":{"$not":{"$not":{"$in":[1]}}}}"#, r#"{"a":1}"#, true),
        (r#"{"a":{"$exists":true,"$ne":0}}"#, r#"{"a":1}"#, true),
        (r#"{"a":{"$in":[1],"$nin":[2]}}"#, r#"{"a":[1,2]}"#, false),
        // $and, $or, $not.
        (r#"{"$and":[{"a":1},{"b":2}]}"#, r#"{"a":1,"b":2}"#, true),
        (r#"{"$and":[{"a":1},{"b":2}]}"#, r#"{"a":1}"#, false),
        (r#"{"$or":[{"a":1},{"b":2}]}"#, r#"{"b":2}"#, true),
        (r#"{"$or":[{"a":1},{"b":2}]}"#, r#"{"a":2,"b":1}"#, false),
        (r#"{"$not":{"a":1}}"#, r#"{"a":2}"#, true),
        (r#"{"$not":{"a":1}}"#, r#"{"a":1}"#, false),
        (r#"{"$not":{}}"#, "{}", false),
        (r#"{"$and":[{}]}"#, "{}", true),
        (r#"{"$or":[{"x":1},{}]}"#, "{}", true),
        (r#"{"a":1,"$or":[{"b":1},{"c":1}]}"#, r#"{"a":1,"c":1}"#, true),
        (r#"{"a":1,"$or":[{"b":1},{"c":1}]}"#, r#"{"a":2,"c":1}"#, false),
        (r#"{"$and":[{"$or":[{"a":1},{"a":2}]},{"$or":[{"b":1},{"b":2}]}]}"#, r#"{"a":2,"b":1}"#, true),
        (r#"{"$or":[{"a":{"$gt":10}},{"$and":[{"b":"x"},{"$not":{"c":true}}]}]}"#, r#"{"a":1,"b":"x","c":false}"#, true),
        (r#"{"$or":[{"a":{"$gt":10}},{"$and":[{"b":"x"},{"$not":{"c":true}}]}]}"#, r#"{"a":1,"b":"x","c":true}"#, false),
    ];

    /// (filter, the error's field, part of its message).
    #[rustfmt::skip]
    const INVALID: &[(&str, &str, &str)] = &[
        ("[]", "filter", "must be a JSON object"),
        (r#""a""#, "filter", "must be a JSON object"),
        ("null", "filter", "must be a JSON object"),
        (r#"{"$foo":1}"#, "filter.$foo", "unknown operator `$foo`"),
        (r#"{"$gt":1}"#, "filter.$gt", "`$gt` must follow a field path"),
        (r#"{"a":{"$foo":1}}"#, "filter.a.$foo", "unknown operator `$foo`"),
        (r#"{"a":{"$and":[{}]}}"#, "filter.a.$and", "not a field operator"),
        (r#"{"$and":[]}"#, "filter.$and", "non-empty array"),
        (r#"{"$or":{"a":1}}"#, "filter.$or", "non-empty array"),
        (r#"{"$or":[{"a":1},2]}"#, "filter.$or[1]", "must be a condition object"),
        (r#"{"$not":[{"a":1}]}"#, "filter.$not", "must be a condition object"),
        (r#"{"$and":[{"a":1},{"amount":{"$gt":true}}]}"#, "filter.$and[1].amount.$gt", "must be a number or a string"),
        (r#"{"a":{"$lte":null}}"#, "filter.a.$lte", "must be a number or a string"),
        (r#"{"a":{"$gte":[1]}}"#, "filter.a.$gte", "must be a number or a string"),
        (r#"{"a":{"$in":"x"}}"#, "filter.a.$in", "must be an array"),
        (r#"{"a":{"$nin":{}}}"#, "filter.a.$nin", "must be an array"),
        (r#"{"a":{"$exists":1}}"#, "filter.a.$exists", "must be true or false"),
        (r#"{"a":{"$gt":1,"b":2}}"#, "filter.a", "plain key `b`"),
        (r#"{"a..b":1}"#, "filter.a..b", "empty path segment"),
        (r#"{"":1}"#, "filter.", "empty path segment"),
        (r#"{"a.":1}"#, "filter.a.", "empty path segment"),
        (r#"{"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q":1}"#, "filter.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q", "more than 16 segments"),
        (r#"{"a":{"b":{"$gt":1}}}"#, "filter.a.b.$gt", "operator `$gt` inside a value"),
        (r#"{"a":{"$not":[{"$x":1}]}}"#, "filter.a.$not[0].$x", "operator `$x`"),
        (r#"{"a":{"$not":{"$bad":1}}}"#, "filter.a.$not.$bad", "unknown operator `$bad`"),
        (r#"{"$or":[{"$not":{"b":{"$in":[1,{"$x":1},"x"],"$nope":0}}}]}"#, "filter.$or[0].$not.b.$nope", "`$nope`"),
        (r#"{"a":1"#, "filter", "not valid JSON"),
    ];

    fn json(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("bad test JSON {text}: {e}"))
    }

    #[test]
    fn the_table_of_cases_holds() {
        for (i, (filter, payload, expected)) in CASES.iter().enumerate() {
            let compiled = PayloadFilter::parse(filter)
                .unwrap_or_else(|e| panic!("case {i}: {filter} does not compile: {e}"));
            assert_eq!(
                compiled.matches(&json(payload)),
                *expected,
                "case {i}: filter {filter} on payload {payload}"
            );
        }
    }

    #[test]
    fn the_reference_agrees_with_the_table() {
        for (i, (filter, payload, expected)) in CASES.iter().enumerate() {
            assert_eq!(
                reference::matches(&json(filter), &json(payload)),
                *expected,
                "case {i}: filter {filter} on payload {payload}"
            );
        }
    }

    #[test]
    fn invalid_filters_name_the_offending_part() {
        for (i, (filter, field, message)) in INVALID.iter().enumerate() {
            let Err(err) = PayloadFilter::parse(filter) else {
                panic!("case {i}: {filter} compiled");
            };
            assert_eq!(err.field, *field, "case {i}: {filter}: {err}");
            assert!(err.message.contains(message), "case {i}: {filter}: {err}");
        }
    }

    /// A document of `{"k1": 0, "k2": 0, …}` with `nodes` nodes in all.
    fn with_nodes(nodes: usize) -> Value {
        let entries = (1..nodes).map(|i| (format!("k{i}"), json!(0)));
        Value::Object(entries.collect())
    }

    /// `levels` objects nested, the innermost holding a field condition.
    fn nested(levels: usize) -> Value {
        (1..levels).fold(json!({"a": 1}), |inner, _| json!({ "$not": inner }))
    }

    #[test]
    fn limits_hold_at_their_edges() {
        assert!(PayloadFilter::compile(&with_nodes(256)).is_ok());
        let err = PayloadFilter::compile(&with_nodes(257)).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("filter", "more than 256 nodes")
        );

        assert!(PayloadFilter::compile(&nested(16)).is_ok());
        let err = PayloadFilter::compile(&nested(17)).unwrap_err();
        assert_eq!(err.field, format!("filter{}", ".$not".repeat(16)));
        assert_eq!(err.message, "nested deeper than 16 levels");
        let err = PayloadFilter::compile(&json!({"a": {"$eq": nested(16)}})).unwrap_err();
        assert_eq!(err.message, "nested deeper than 16 levels");

        let path = |segments: usize| vec!["s"; segments].join(".");
        assert!(PayloadFilter::compile(&json!({ path(16): 1 })).is_ok());
        assert!(PayloadFilter::compile(&json!({ path(17): 1 })).is_err());
        let long = "é".repeat(256);
        assert!(PayloadFilter::compile(&json!({ long.clone(): 1 })).is_ok());
        let err = PayloadFilter::compile(&json!({ format!("{long}x"): 1 })).unwrap_err();
        assert_eq!(err.message, "path longer than 256 characters");

        let members = |n: usize| (0..n).map(|i| json!(i.to_string())).collect::<Vec<_>>();
        let big = PayloadFilter::compile(&json!({"a": {"$in": members(256)}})).unwrap();
        assert!(big.matches(&json!({"a": "255"})));
        assert!(!big.matches(&json!({"a": "256"})));
        let err = PayloadFilter::compile(&json!({"a": {"$nin": members(257)}})).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("filter.a.$nin", "more than 256 values")
        );
    }

    #[test]
    fn a_filter_keeps_its_source_and_compares_by_it() {
        let text = r#"{"a":{"$in":["x","y"]}}"#;
        let filter = PayloadFilter::parse(text).unwrap();
        assert_eq!(filter.source(), &json(text));
        assert_eq!(filter, PayloadFilter::compile(&json(text)).unwrap());
        assert_ne!(
            filter,
            PayloadFilter::parse(r#"{"a":{"$in":["y","x"]}}"#).unwrap()
        );
    }

    /// The semantics written as directly as possible over the filter JSON, with no compilation: the
    /// property tests hold the compiled filters to it.
    mod reference {
        use serde_json::Value;
        use std::cmp::Ordering;

        pub fn matches(filter: &Value, payload: &Value) -> bool {
            let Value::Object(entries) = filter else {
                panic!("not a condition object: {filter}");
            };
            entries.iter().all(|(key, operand)| match key.as_str() {
                "$and" => list(operand).iter().all(|c| matches(c, payload)),
                "$or" => list(operand).iter().any(|c| matches(c, payload)),
                "$not" => !matches(operand, payload),
                path => field(&reach(payload, path), operand),
            })
        }

        fn list(operand: &Value) -> &Vec<Value> {
            operand.as_array().expect("an array")
        }

        /// Every value the dotted path reaches.
        fn reach<'a>(payload: &'a Value, path: &str) -> Vec<&'a Value> {
            let mut found = vec![payload];
            for segment in path.split('.') {
                found = found.into_iter().flat_map(|v| step(v, segment)).collect();
            }
            found
        }

        fn step<'a>(value: &'a Value, segment: &str) -> Vec<&'a Value> {
            let is_index = segment.bytes().all(|b| b.is_ascii_digit());
            match value {
                Value::Object(map) => map.get(segment).into_iter().collect(),
                Value::Array(items) if is_index => segment
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .into_iter()
                    .collect(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(|item| item.as_object()?.get(segment))
                    .collect(),
                _ => Vec::new(),
            }
        }

        /// The reached values, and the elements of those that are arrays.
        fn candidates<'a>(found: &[&'a Value]) -> Vec<&'a Value> {
            let mut all = Vec::new();
            for value in found {
                all.push(*value);
                if let Value::Array(items) = value {
                    all.extend(items);
                }
            }
            all
        }

        fn field(found: &[&Value], condition: &Value) -> bool {
            match condition {
                Value::Object(ops) if ops.keys().any(|k| k.starts_with('$')) => {
                    ops.iter().all(|(op, arg)| operator(found, op, arg))
                }
                literal => equals(found, literal),
            }
        }

        fn equals(found: &[&Value], literal: &Value) -> bool {
            (literal.is_null() && found.is_empty())
                || candidates(found).into_iter().any(|v| same(v, literal))
        }

        fn operator(found: &[&Value], op: &str, arg: &Value) -> bool {
            let compared = |accept: fn(Ordering) -> bool| {
                candidates(found)
                    .into_iter()
                    .any(|v| order(v, arg).is_some_and(accept))
            };
            match op {
                "$eq" => equals(found, arg),
                "$ne" => !equals(found, arg),
                "$in" => list(arg).iter().any(|m| equals(found, m)),
                "$nin" => !list(arg).iter().any(|m| equals(found, m)),
                "$gt" => compared(Ordering::is_gt),
                "$gte" => compared(Ordering::is_ge),
                "$lt" => compared(Ordering::is_lt),
                "$lte" => compared(Ordering::is_le),
                "$exists" => arg.as_bool() == Some(!found.is_empty()),
                "$not" => !field(found, arg),
                _ => panic!("not an operator: {op}"),
            }
        }

        fn same(a: &Value, b: &Value) -> bool {
            match (a, b) {
                (Value::Number(x), Value::Number(y)) => match (exact(x), exact(y)) {
                    (Some(x), Some(y)) => x == y,
                    _ => x.as_f64() == y.as_f64(),
                },
                (Value::Array(x), Value::Array(y)) => {
                    x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
                }
                (Value::Object(x), Value::Object(y)) => {
                    x.len() == y.len()
                        && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
                }
                _ => a == b,
            }
        }

        fn order(value: &Value, bound: &Value) -> Option<Ordering> {
            match (value, bound) {
                (Value::Number(x), Value::Number(y)) => match (exact(x), exact(y)) {
                    (Some(x), Some(y)) => Some(x.cmp(&y)),
                    _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
                },
                (Value::String(x), Value::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
                _ => None,
            }
        }

        fn exact(n: &serde_json::Number) -> Option<i128> {
            n.as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
        }
    }

    /// Generators over a small vocabulary, so that generated filters and payloads often meet.
    mod generate {
        use proptest::collection::vec;
        use proptest::prelude::*;
        use proptest::sample::select;
        use serde_json::{json, Map, Value};

        const KEYS: [&str; 6] = ["a", "b", "c", "items", "sku", "0"];
        const PATHS: [&str; 10] = [
            "a",
            "b",
            "c",
            "a.b",
            "a.0",
            "a.b.c",
            "items",
            "items.sku",
            "items.0.sku",
            "items.0",
        ];

        fn object(entries: Vec<(&str, Value)>) -> Value {
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect::<Map<_, _>>(),
            )
        }

        pub fn scalar() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                (-1i64..=3).prop_map(Value::from),
                select(vec![1.0, 1.5, 2.0, -0.5]).prop_map(Value::from),
                select(vec!["x", "y", "", "10", "9"]).prop_map(Value::from),
            ]
        }

        /// A value a filter compares with: a scalar, or a small array or object of them.
        pub fn literal() -> impl Strategy<Value = Value> {
            prop_oneof![
                4 => scalar(),
                1 => vec(scalar(), 0..3).prop_map(Value::Array),
                1 => vec((select(KEYS.to_vec()), scalar()), 0..2).prop_map(object),
            ]
        }

        fn bound() -> impl Strategy<Value = Value> {
            prop_oneof![
                (-1i64..=3).prop_map(Value::from),
                select(vec![1.5, -0.5]).prop_map(Value::from),
                select(vec!["x", "10", ""]).prop_map(Value::from),
            ]
        }

        fn operator() -> impl Strategy<Value = (&'static str, Value)> {
            prop_oneof![
                literal().prop_map(|v| ("$eq", v)),
                literal().prop_map(|v| ("$ne", v)),
                vec(literal(), 0..4).prop_map(|v| ("$in", Value::Array(v))),
                vec(literal(), 0..4).prop_map(|v| ("$nin", Value::Array(v))),
                vec(select(vec!["x", "y", "", "10", "9"]), 0..5).prop_map(|v| ("$in", json!(v))),
                (select(vec!["$gt", "$gte", "$lt", "$lte"]), bound()),
                any::<bool>().prop_map(|b| ("$exists", Value::Bool(b))),
            ]
        }

        /// What follows a field path: a literal, or an operator object, possibly under `$not`.
        pub fn field_condition() -> impl Strategy<Value = Value> {
            let plain = prop_oneof![
                1 => literal(),
                2 => vec(operator(), 1..3).prop_map(object),
            ];
            plain.prop_recursive(2, 4, 1, |inner| {
                prop_oneof![
                    inner.clone().prop_map(|c| json!({ "$not": c })),
                    (inner, operator()).prop_map(|(c, (op, arg))| json!({ "$not": c, op: arg })),
                ]
            })
        }

        pub fn single_field() -> impl Strategy<Value = Value> {
            (select(PATHS.to_vec()), field_condition())
                .prop_map(|(path, f)| object(vec![(path, f)]))
        }

        pub fn condition() -> impl Strategy<Value = Value> {
            let fields = vec((select(PATHS.to_vec()), field_condition()), 0..3).prop_map(object);
            fields.prop_recursive(3, 12, 3, |inner| {
                prop_oneof![
                    vec(inner.clone(), 1..3).prop_map(|cs| json!({ "$and": cs })),
                    vec(inner.clone(), 1..3).prop_map(|cs| json!({ "$or": cs })),
                    inner.clone().prop_map(|c| json!({ "$not": c })),
                    (inner, select(PATHS.to_vec()), field_condition()).prop_map(
                        |(mut c, path, f)| {
                            if let Value::Object(entries) = &mut c {
                                entries.insert(path.to_owned(), f);
                            }
                            c
                        }
                    ),
                ]
            })
        }

        /// A payload shaped like the paths (`a.b.c`, `items.0.sku`, ...) with scalars or small arrays at
        /// their ends, or now and then any JSON over the same keys.
        pub fn payload() -> impl Strategy<Value = Value> {
            let end = prop_oneof![
                3 => scalar(),
                1 => vec(scalar(), 0..3).prop_map(Value::Array),
            ];
            let with_c = end.clone().prop_map(|c| json!({ "c": c }));
            let b = prop_oneof![
                end.clone(),
                with_c.clone(),
                vec(with_c, 0..3).prop_map(Value::Array)
            ];
            let with_b = b.prop_map(|b| json!({ "b": b }));
            let a = prop_oneof![
                end.clone(),
                with_b.clone(),
                vec(prop_oneof![scalar(), with_b.clone()], 0..3).prop_map(Value::Array),
                vec(vec(with_b, 0..2).prop_map(Value::Array), 0..2).prop_map(Value::Array),
                end.clone().prop_map(|v| json!({ "0": v })),
            ];
            let item =
                prop_oneof![3 => end.clone().prop_map(|sku| json!({ "sku": sku })), 1 => scalar()];
            let items = prop_oneof![vec(item, 0..3).prop_map(Value::Array), scalar()];
            let shaped = (
                proptest::option::of(a),
                proptest::option::of(end.clone()),
                proptest::option::of(end),
                proptest::option::of(items),
            )
                .prop_map(|(a, b, c, items)| {
                    let entries = [("a", a), ("b", b), ("c", c), ("items", items)];
                    object(
                        entries
                            .into_iter()
                            .filter_map(|(k, v)| Some((k, v?)))
                            .collect(),
                    )
                });
            let any = scalar().prop_recursive(3, 16, 3, |inner| {
                prop_oneof![
                    vec(inner.clone(), 0..3).prop_map(Value::Array),
                    vec((select(KEYS.to_vec()), inner), 0..4).prop_map(object),
                ]
            });
            prop_oneof![
                6 => shaped.clone(),
                2 => any,
                1 => vec(shaped, 0..3).prop_map(Value::Array),
            ]
        }

        /// Any JSON over operator names, paths good and bad, and scalars: mostly invalid filters.
        pub fn wild() -> impl Strategy<Value = Value> {
            let key = select(vec![
                "$and", "$or", "$not", "$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte",
                "$exists", "$foo", "a", "a.b", "items.0", "a..b", "",
            ]);
            scalar().prop_recursive(4, 24, 3, move |inner| {
                prop_oneof![
                    vec(inner.clone(), 0..3).prop_map(Value::Array),
                    vec((key.clone(), inner), 0..3).prop_map(object),
                ]
            })
        }
    }

    proptest! {
        #[test]
        fn compiled_filters_agree_with_the_reference(
            filter in generate::condition(),
            payloads in proptest::collection::vec(generate::payload(), 1..6),
        ) {
            let compiled = PayloadFilter::compile(&filter);
            // Large generated filters may pass the node limit; anything else must compile.
            prop_assume!(!matches!(&compiled, Err(e) if e.message == "more than 256 nodes"));
            let compiled = compiled.map_err(|e| TestCaseError::fail(format!("{filter}: {e}")))?;
            for payload in &payloads {
                prop_assert_eq!(
                    compiled.matches(payload),
                    reference::matches(&filter, payload),
                    "filter {} on payload {}", filter, payload
                );
            }
        }

        /// One field at a time, so that no operator's mistake hides behind the rest of a larger filter.
        #[test]
        fn single_field_conditions_agree_with_the_reference(
            filter in generate::single_field(),
            payloads in proptest::collection::vec(generate::payload(), 1..8),
        ) {
            let compiled = PayloadFilter::compile(&filter)
                .map_err(|e| TestCaseError::fail(format!("{filter}: {e}")))?;
            for payload in &payloads {
                prop_assert_eq!(
                    compiled.matches(payload),
                    reference::matches(&filter, payload),
                    "filter {} on payload {}", filter, payload
                );
            }
        }

        #[test]
        fn any_document_compiles_or_is_refused_without_panic(
            document in generate::wild(),
            payload in generate::payload(),
        ) {
            if let Ok(compiled) = PayloadFilter::compile(&document) {
                prop_assert_eq!(compiled.matches(&payload), reference::matches(&document, &payload));
            }
        }
    }

    /// The agreement above means little if generated filters nearly always match, or never do.
    #[test]
    fn generated_filters_match_some_payloads_and_not_others() {
        let mut runner = TestRunner::deterministic();
        let strategy = (generate::condition(), generate::payload());
        let (mut compiled, mut matched) = (0, 0);
        for _ in 0..1000 {
            let (filter, payload) = strategy.new_tree(&mut runner).unwrap().current();
            if let Ok(filter) = PayloadFilter::compile(&filter) {
                compiled += 1;
                matched += usize::from(filter.matches(&payload));
            }
        }
        assert!(
            compiled > 950,
            "only {compiled} of 1000 generated filters compiled"
        );
        assert!(
            matched > compiled / 5 && matched < compiled * 4 / 5,
            "{matched} of {compiled} matched"
        );
    }
}
