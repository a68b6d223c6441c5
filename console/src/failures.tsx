// What the pages that fix a failing subscription share: the server's failure kinds (fetched once), the
// failing deliveries of a subscription grouped by how they failed, a subscription's health in words, and
// two small controls (copy a value; an action that is confirmed in a dialog first).

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import {
  get,
  path,
  session,
  type Delivery,
  type FailureGroup,
  type FailureKind,
  type Subscription,
  type SubscriptionStatus,
} from "./api";
import { ErrorBox, HttpStatus, Link, Show, Time, useLoad, useRun, type Loaded } from "./ui";
import { ConfirmDialog } from "./widgets";
import "./fix.css";

export type FailureKinds = Map<string, FailureKind>;

let kinds: Promise<FailureKinds> | undefined;

/** The closed set of failure kinds, asked once per page load (it changes only with the server). */
export function loadFailureKinds(): Promise<FailureKinds> {
  kinds ??= get<{ data: FailureKind[] }>("/failure-kinds").then(
    (r) => new Map(r.data.map((k) => [k.code, k])),
    (e) => {
      kinds = undefined; // asked again next time
      throw e;
    },
  );
  return kinds;
}

export function useFailureKinds() {
  return useLoad(loadFailureKinds, []).data;
}

/** A failure kind's plain title; its code until the kinds are loaded (or for a code the server added). */
export function failureTitle(code: string, known: FailureKinds | undefined): string {
  return known?.get(code)?.title ?? code;
}

/** Whether the session is the operator's (the admin token acting in an account): only it sees the
 * operator's advice. An access key never acts in another account. */
export function isOperator(): boolean {
  return session.acting() !== null;
}

/** The subscription's health in a sentence: what is wrong (or not) and what it means for its deliveries. */
export function HealthLine({ s }: { s: Subscription }) {
  switch (s.health) {
    case "failing":
      return (
        <p class="fix-health bad" role="status">
          <strong>Failing</strong>
          {s.failing_since && (
            <>
              {" "}
              since <Time at={s.failing_since} />
            </>
          )}
          : its latest attempt failed. Deliveries are retried on their schedule; see why they fail below.
        </p>
      );
    case "disabled":
      return (
        <p class="fix-health muted" role="status">
          <strong>Disabled</strong>: nothing is sent to it; its pending and retrying deliveries wait until it is enabled
          again.
        </p>
      );
    case "locked":
      return (
        <p class="fix-health bad" role="status">
          <strong>Locked</strong> after failing for days: nothing is sent to it until it is enabled again.
        </p>
      );
    default:
      return (
        <p class="fix-health ok" role="status">
          <strong>Healthy</strong>: its latest attempt succeeded (or none was made yet).
        </p>
      );
  }
}

/** Why a delivery waits, when its subscription holds it back whatever its next attempt time says. */
export function pausedBy(status: SubscriptionStatus | undefined): string | null {
  return status === "disabled" || status === "locked" ? `paused while the subscription is ${status}` : null;
}

/** When a delivery is tried next: its time, unless its subscription holds it back. */
export function NextAttempt({ d, status }: { d: Delivery; status: SubscriptionStatus | undefined }) {
  const paused = pausedBy(status);
  if (paused && (d.status === "pending" || d.status === "retrying")) return <span class="warn-text">{paused}</span>;
  return <Time at={d.next_attempt_at} />;
}

/** The answer of a delivery's last attempt: the failure kind's title, the status code and raw error small. */
export function LastAnswer({
  code,
  error,
  failure,
  attempted,
}: {
  code: number | null;
  error: string | null;
  failure: string | null;
  attempted: boolean;
}) {
  const known = useFailureKinds();
  if (!attempted) return <span class="muted">no attempt yet</span>;
  return (
    <>
      <HttpStatus code={code} error={error} />{" "}
      {failure && <strong class="fix-kind">{failureTitle(failure, known)}</strong>}
      {error && <div class="muted small fix-raw">{error}</div>}
    </>
  );
}

/** The subscription's retrying and dead deliveries, grouped by how they failed, with what to do. */
export function FailureGroups({ groups }: { groups: FailureGroup[] }) {
  const known = useFailureKinds();
  const operator = isOperator();
  return (
    <ul class="fix-groups" aria-label="Failures by kind">
      {groups.map((g) => {
        const kind = g.failure ? known?.get(g.failure) : undefined;
        return (
          <li key={`${g.failure}:${g.status_code}:${g.error}`} class="fix-group">
            <h3>{g.failure ? failureTitle(g.failure, known) : "Failed"}</h3>
            <p class="muted small fix-raw">
              {g.status_code !== null && <>HTTP {g.status_code}</>}
              {g.status_code !== null && g.error && " · "}
              {g.error}
            </p>
            <p>
              <strong>{g.retrying}</strong> retrying, <strong>{g.dead}</strong> dead; latest <Time at={g.latest_at} />.{" "}
              <Link to={path`/deliveries/${g.delivery_id}`}>See the latest delivery</Link>
            </p>
            {kind && <p class="fix-advice">{kind.advice}</p>}
            {kind?.operator_advice && operator && (
              <p class="fix-advice">
                <span class="badge accent">operator</span> {kind.operator_advice}
              </p>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Failure groups as loaded, with a line when there are none. */
export function FailuresShown({ loaded }: { loaded: Loaded<{ data: FailureGroup[] }> }) {
  return (
    <Show loaded={loaded}>
      {({ data }) =>
        data.length === 0 ? <p class="muted">No delivery is retrying or dead.</p> : <FailureGroups groups={data} />
      }
    </Show>
  );
}

/** Copies `text` to the clipboard; says whether it worked. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [said, setSaid] = useState<string>();
  return (
    <span class="fix-copy">
      <button
        type="button"
        aria-label={label}
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setSaid("Copied"),
            () => setSaid("Could not copy: select the text instead"),
          )
        }
      >
        Copy
      </button>
      {said && (
        <span class="muted small" role="status">
          {said}
        </span>
      )}
    </span>
  );
}

/** What a confirmation dialog asks: its title, its text and the label of its confirming button. */
export interface Ask {
  title: string;
  body: ComponentChildren;
  confirm: string;
}

/**
 * A button whose action runs only once confirmed in a dialog. `ask` may look something up first (how many
 * deliveries a replay would queue) and answer a sentence instead of a question when there is nothing to
 * do. `run` does it and answers what reports it; `report` shows either.
 */
export function ConfirmedAction({
  label,
  kind,
  ask,
  run,
  report,
}: {
  label: string;
  kind?: "danger" | "primary";
  ask: () => Ask | string | Promise<Ask | string>;
  run: () => Promise<ComponentChildren>;
  report: (message: ComponentChildren) => void;
}) {
  const [asking, setAsking] = useState<Ask>();
  const action = useRun();
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        disabled={action.busy}
        aria-busy={action.busy}
        onClick={() =>
          void action.run(async () => {
            const a = await ask();
            if (typeof a === "string") report(a);
            else setAsking(a);
          })
        }
      >
        {label}
      </button>
      <ErrorBox error={action.error} />
      {/* Mounted only while it asks, so that the page never holds two dialogs with the same ids. */}
      {asking && (
        <ConfirmDialog
          open
          title={asking.title}
          confirm={asking.confirm}
          onCancel={() => setAsking(undefined)}
          onConfirm={() => {
            setAsking(undefined);
            void action.run(async () => report(await run()));
          }}
        >
          {asking.body}
        </ConfirmDialog>
      )}
    </span>
  );
}

/** "n deliveries" with the right number. */
export function deliveries(n: number): string {
  return `${n} deliver${n === 1 ? "y" : "ies"}`;
}
