// Building blocks of the catalog, filter and search pages: an app's tabs, errors shown beside the input
// they name, JSON shown with its parts coloured, JSON typed into a textarea, and a confirmation dialog.

import { Fragment, type ComponentChildren, type JSX } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import { ApiError, path } from "./api";
import { Num, parseJson, type Json } from "./json";
import { ErrorBox } from "./ui";

/** The pages of one app. */
export function AppTabs({ app, current }: { app: string; current: "overview" | "catalog" }) {
  const tabs = [
    ["overview", path`/apps/${app}`, "Subscriptions and events"],
    ["catalog", path`/apps/${app}/catalog`, "Event-type catalog"],
  ] as const;
  return (
    <nav class="tabs" aria-label={`App ${app}`}>
      {tabs.map(([id, to, label]) => (
        <a key={id} href={`#${to}`} aria-current={current === id ? "page" : undefined}>
          {label}
        </a>
      ))}
    </nav>
  );
}

/** Whether an error's `field` is `name` or something inside it (`schema/…`, `examples[1]`, `filter.a`). */
export function isAbout(error: ApiError | undefined, name: string): boolean {
  const f = error?.field;
  return !!f && (f === name || [".", "/", "["].some((sep) => f.startsWith(name + sep)));
}

/** An error the server (or the page) reported about one input, shown beneath it (outside its label, so
 * that the input's name stays its label). */
export function FieldError({ error, name, id }: { error: ApiError | undefined; name: string; id: string }) {
  if (!error || !isAbout(error, name)) return null;
  const prefix = `${error.field}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return (
    <p class="field-error" id={id} role="alert">
      <code>{error.field}</code>: {message}
    </p>
  );
}

/** The error of a form that none of its inputs shows. */
export function FormError({ error, fields }: { error: ApiError | undefined; fields: string[] }) {
  return <ErrorBox error={fields.some((f) => isAbout(error, f)) ? undefined : error} />;
}

/** JSON typed by the user, checked as it is read: an error names the input, like the server's would. */
export function readJson(text: string, field: string): Json {
  try {
    return parseJson(text);
  } catch (e) {
    throw new ApiError(0, "not_json", `${field}: not valid JSON: ${(e as Error).message}`, field);
  }
}

/** A labelled textarea for JSON, with the error about it beneath. */
export function JsonInput({
  label,
  name,
  value,
  onInput,
  error,
  rows = 6,
  placeholder,
}: {
  label: ComponentChildren;
  name: string;
  value: string;
  onInput: (v: string) => void;
  error: ApiError | undefined;
  rows?: number;
  placeholder?: string;
}) {
  const id = useId();
  const bad = isAbout(error, name);
  return (
    <div class="field grow">
      <label>
        {label}
        <textarea
          class="code"
          rows={rows}
          value={value}
          placeholder={placeholder}
          spellcheck={false}
          aria-invalid={bad}
          aria-describedby={bad ? id : undefined}
          onInput={(e) => onInput(e.currentTarget.value)}
        />
      </label>
      <FieldError error={error} name={name} id={id} />
    </div>
  );
}

/** JSON as indented text with keys, strings, numbers and literals told apart by colour. It may scroll, so
 * it takes keyboard focus (to scroll by keys) and is a region named by its label. */
export function JsonView({ value, label }: { value: Json; label?: string }) {
  return (
    <pre class="body json" role={label ? "region" : undefined} aria-label={label} tabIndex={0}>
      <JsonPart value={value} indent="" />
    </pre>
  );
}

function JsonPart({ value, indent }: { value: Json; indent: string }): JSX.Element {
  if (value instanceof Num) return <span class="j-num">{value.text}</span>;
  if (typeof value === "string") return <span class="j-str">{JSON.stringify(value)}</span>;
  if (value === null || typeof value === "boolean") return <span class="j-lit">{String(value)}</span>;
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return <>[]</>;
    return (
      <>
        {"["}
        {value.map((v, i) => (
          <Fragment key={i}>
            {"\n" + inner}
            <JsonPart value={v} indent={inner} />
            {i < value.length - 1 ? "," : ""}
          </Fragment>
        ))}
        {"\n" + indent + "]"}
      </>
    );
  }
  if (value.size === 0) return <>{"{}"}</>;
  const entries = [...value];
  return (
    <>
      {"{"}
      {entries.map(([k, v], i) => (
        <Fragment key={k}>
          {"\n" + inner}
          <span class="j-key">{JSON.stringify(k)}</span>
          {": "}
          <JsonPart value={v} indent={inner} />
          {i < entries.length - 1 ? "," : ""}
        </Fragment>
      ))}
      {"\n" + indent + "}"}
    </>
  );
}

/**
 * A modal dialog asking to confirm something that cannot be undone; `open` shows it. The dialog is the
 * page's own (not `window.confirm`), so it is styled, labelled and reachable by keyboard like the rest.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirm,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirm: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      {children}
      <div class="actions">
        <button type="button" class="danger" onClick={onConfirm}>
          {confirm}
        </button>
        <button type="button" onClick={onCancel} autofocus>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
