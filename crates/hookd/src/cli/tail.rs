//! `hookd tail`: follows the account's delivery attempts as they finish, one line each, by reading the
//! attempt feed (`GET /api/v1/attempts?after=`) again and again.

use std::{
    collections::{HashSet, VecDeque},
    time::{Duration, Instant},
};

use clap::Args;
use serde_json::Value;

use super::{
    print::{self, column, Column, Output},
    remote::{Acting, Call, Client, Remote},
};
use crate::config::Config;

const COLUMNS: &[Column] = &[
    column("STARTED", "/started_at"),
    column("APP", "/app_id"),
    column("EVENT TYPE", "/event_type"),
    column("SUBSCRIPTION", "/subscription_id"),
    column("DELIVERY", "/delivery_id"),
    column("#", "/attempt"),
    column("RESULT", "/result"),
    column("MS", "/duration_ms"),
];
const WIDTHS: &[usize] = &[24, 12, 18, 30, 30, 2, 18, 5];

/// Attempts are written in groups, so one may become visible shortly after another with a larger id:
/// each read starts from an id seen this long ago and drops the ids already printed.
const LOOK_BACK: Duration = Duration::from_secs(5);

// `hookd tail` (flattened into its command, whose doc comment is in mod.rs).
#[derive(Debug, Args)]
pub struct TailArgs {
    /// Only attempts of this app
    #[arg(long)]
    app: Option<String>,
    /// Print the last N attempts first
    #[arg(long, short = 'n', default_value_t = 10, value_name = "N")]
    lines: u32,
    /// Stop after N new attempts (after those of --lines); follow until interrupted when absent
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// How often to ask the server, in milliseconds
    #[arg(long, default_value_t = 1000, value_name = "MS", value_parser = clap::value_parser!(u64).range(100..=60_000))]
    interval_ms: u64,
    #[command(flatten)]
    acting: Acting,
    #[command(flatten)]
    remote: Remote,
}

pub async fn run(args: TailArgs, config: &Config) -> anyhow::Result<()> {
    let client = Client::new(&args.remote, Some(&args.acting), config)?;
    let feed = || Call::get("/attempts").query("app", args.app.clone());
    let mut seen = Seen::default();
    if client.output == Output::Table {
        let headings: Vec<String> = COLUMNS.iter().map(|c| c.heading.to_owned()).collect();
        print::emit(&format!("{}\n", print::line(&headings, WIDTHS)))?;
    }
    // The newest `lines` (0: only the newest, to start after it without printing it).
    let newest = client
        .send(feed().query("limit", Some(args.lines.clamp(1, 250))))
        .await?;
    let history = newest["data"].as_array().cloned().unwrap_or_default();
    let skip = if args.lines == 0 { history.len() } else { 0 };
    for (i, attempt) in history.iter().enumerate() {
        if seen.add(attempt) && i >= skip {
            show(&client, attempt)?;
        }
    }
    let mut printed = 0u64;
    loop {
        if args.count.is_some_and(|count| printed >= count) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        let mut after = seen.start();
        loop {
            let page = client
                .send(
                    feed()
                        .query("after", after.clone())
                        .query("limit", Some(250)),
                )
                .await?;
            for attempt in page["data"].as_array().into_iter().flatten() {
                if seen.add(attempt) {
                    show(&client, attempt)?;
                    printed += 1;
                    if args.count.is_some_and(|count| printed >= count) {
                        return Ok(());
                    }
                }
            }
            match page["next_cursor"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
    }
}

fn show(client: &Client, attempt: &Value) -> anyhow::Result<()> {
    match client.output {
        Output::Json => print::emit(&format!("{attempt}\n")),
        Output::Table => {
            let mut row = attempt.clone();
            row["result"] = Value::String(result(attempt));
            let cells = print::row(COLUMNS, &row);
            print::emit(&format!("{}\n", print::line(&cells, WIDTHS)))
        }
    }
}

/// `ok 200`, `failed 503`, `failed timeout`.
fn result(attempt: &Value) -> String {
    let code = attempt["status_code"].as_u64().map(|c| c.to_string());
    if attempt["succeeded"].as_bool() == Some(true) {
        return format!("ok {}", code.unwrap_or_default())
            .trim_end()
            .to_owned();
    }
    let why = code.or_else(|| attempt["failure"].as_str().map(str::to_owned));
    format!("failed {}", why.unwrap_or_default())
        .trim_end()
        .to_owned()
}

/// The attempt ids printed within the look-back window, and when each was first seen.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<(String, Instant)>,
}

impl Seen {
    /// Records `attempt`'s id: true when it is new.
    fn add(&mut self, attempt: &Value) -> bool {
        let Some(id) = attempt["id"].as_str() else {
            return false;
        };
        if !self.ids.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back((id.to_owned(), Instant::now()));
        true
    }

    /// Where the next read starts (the feed answers ids after it): the smallest id seen within the
    /// look-back window, the newest one always counting as within it; the beginning when nothing was
    /// seen. Ids below it are forgotten, as the feed will not answer them again.
    fn start(&mut self) -> Option<String> {
        while self.order.len() > 1
            && self
                .order
                .front()
                .is_some_and(|(_, at)| at.elapsed() > LOOK_BACK)
        {
            self.order.pop_front();
        }
        let start = self.order.iter().map(|(id, _)| id).min()?.clone();
        self.ids.retain(|id| *id >= start);
        Some(start)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_attempt_seen_late_is_printed_once() {
        let mut seen = Seen::default();
        assert_eq!(seen.start(), None);
        assert!(seen.add(&json!({"id": "a05"})));
        assert!(!seen.add(&json!({"id": "a05"})));
        // Visible only now, with a smaller id: still new.
        assert!(seen.add(&json!({"id": "a03"})));
        assert_eq!(seen.start().as_deref(), Some("a03"));
        // a05 is still remembered, so re-reading after a03 does not print it again.
        assert!(!seen.add(&json!({"id": "a05"})));
        assert!(seen.add(&json!({"id": "a07"})));
    }

    #[test]
    fn results_read_short() {
        assert_eq!(
            result(&json!({"succeeded": true, "status_code": 200})),
            "ok 200"
        );
        assert_eq!(
            result(&json!({"succeeded": false, "status_code": 503})),
            "failed 503"
        );
        assert_eq!(
            result(&json!({"succeeded": false, "status_code": null, "failure": "timeout"})),
            "failed timeout"
        );
    }
}
