// The portal's shell: the console's pages for an account's end customer, who manages the endpoints of one
// app, usually inside the account's own product (an iframe) and dressed in its name, logo and colour.
//
// The page is served at /portal/{session}/ and the session's token arrives in the address's fragment
// (`#token=hkp_…`), which never reaches a server or a log. It is taken out at once, kept in memory only
// (api.ts: in a third-party iframe with third-party cookies blocked, the browser's storage throws) and the
// address becomes `#/`, so the token is neither in the address bar nor in the history. A reload therefore
// has no token, and says so; so does a token the server stopped accepting (revoked, expired).
//
// Nothing here reaches what the token may not call: no sign-in or sign-out, no apps list, no account, no
// operator pages; the links of the pages shared with the console lead to the portal's routes (ui.tsx
// `href`).

import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import {
  get,
  portal,
  PORTAL,
  session,
  SIGNED_OUT,
  type ApiError,
  type Me,
  type PortalMe,
  type PortalTheme,
} from "./api";
import { DeliveryPage } from "./pages/delivery";
import { EventPage } from "./pages/event";
import { ActivityPage, EndpointsPage, EventTypesPage } from "./pages/portal";
import { SubscriptionPage } from "./pages/subscription";
import { VerifyPage } from "./pages/verify";
import { asApiError, branded, ErrorBox, Missing, setBrand, Time, useHash } from "./ui";
import "./portal.css";

/** The product's name when the account gave none. */
const DEFAULT_PRODUCT = "Webhooks";

/** The token in the fragment the page was opened with (`#token=…`), taken out of the address. */
function takeToken(): string | null {
  const found = /^#(?:.*&)?token=([^&]*)/.exec(location.hash);
  if (!found) return null;
  // The route is the start; the same history entry, so that Back does not lead to the token either.
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  try {
    return decodeURIComponent(found[1]) || null;
  } catch {
    return null;
  }
}

// Once, as the page loads (before anything renders or reads the route).
if (PORTAL) {
  const token = takeToken();
  if (token) session.signIn(token);
}

type State =
  { phase: "loading" } | { phase: "ready"; me: PortalMe } | { phase: "expired" } | { phase: "failed"; error: ApiError };

export function PortalRoot() {
  const [state, setState] = useState<State>(() => (session.token() ? { phase: "loading" } : { phase: "expired" }));
  useEffect(() => {
    // Any answer 401 (api.ts) ends the session: the token was revoked or expired while the page was open.
    const out = () => setState({ phase: "expired" });
    addEventListener(SIGNED_OUT, out);
    return () => removeEventListener(SIGNED_OUT, out);
  }, []);
  useEffect(() => {
    if (!session.token()) return;
    get<Me>("/me").then(
      (me) => {
        if (me.kind !== "portal") {
          // Not a portal token: nothing of the portal may be shown with it.
          session.signOut();
          setState({ phase: "expired" });
          return;
        }
        portal.set(me);
        document.documentElement.classList.add("portal");
        applyTheme(me.theme);
        setState({ phase: "ready", me });
      },
      (e) => {
        const error = asApiError(e);
        setState(error.status === 401 ? { phase: "expired" } : { phase: "failed", error });
      },
    );
  }, []);
  switch (state.phase) {
    case "loading":
      return (
        <main id="main" class="portal-loading">
          <p class="muted" aria-busy="true">
            Loading…
          </p>
        </main>
      );
    case "expired":
      return <LinkExpired />;
    case "failed":
      return (
        <main id="main">
          <h1>The page could not be loaded</h1>
          <ErrorBox error={state.error} />
          <p>Try again in a moment, or open it again from {productName()}.</p>
        </main>
      );
    case "ready":
      return <PortalShell me={state.me} />;
  }
}

/** The product's name as the theme gives it, once `/me` was read; otherwise words that fit any product. */
function productName(): string {
  return portal.me()?.theme.product_name ?? "the website or app that brought you here";
}

/** A page opened without a token (reloaded, bookmarked, shared) or whose token the server no longer takes. */
function LinkExpired() {
  const product = portal.me()?.theme.product_name ?? null;
  useLayoutEffect(() => {
    document.title = `Link used or expired · ${product ?? DEFAULT_PRODUCT}`;
  }, []);
  return (
    <>
      {product && <Header theme={portal.me()!.theme} />}
      <main id="main" class="portal-expired">
        <div role="alert">
          <h1>This portal link has been used or has expired</h1>
          <p>
            For your security, the link that opened this page works only once and only for a while, and this page keeps
            no sign-in. Open the portal again from {product ?? "the website or app that brought you here"}.
          </p>
        </div>
        <p class="muted">Your endpoints are not affected: they keep receiving events.</p>
      </main>
    </>
  );
}

/**
 * The account's theme: its product's name in the header and the tab's title, its logo, and its colour as
 * the header's and the main buttons' background. The colour is set through CSSOM (the page's CSP allows no
 * inline style), with the text on it black or white, whichever contrasts more (always at least 4.5:1).
 */
function applyTheme(theme: PortalTheme) {
  setBrand(theme.product_name ?? DEFAULT_PRODUCT);
  const root = document.documentElement;
  const color = theme.primary_color && /^#[0-9a-f]{6}$/i.test(theme.primary_color) ? theme.primary_color : null;
  if (color) {
    root.style.setProperty("--brand", color);
    root.style.setProperty("--on-brand", textOn(color));
  }
}

/** Black or white, whichever has the higher contrast (WCAG) against `#rrggbb`. */
export function textOn(hex: string): string {
  const channel = (i: number) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

function Header({ theme, children }: { theme: PortalTheme; children?: ComponentChildren }) {
  return (
    <header class="top portal-top">
      <a class="brand" href="#/">
        {theme.logo_url && <img class="logo" src={theme.logo_url} alt="" />}
        <span>{theme.product_name ?? DEFAULT_PRODUCT}</span>
      </a>
      {children}
    </header>
  );
}

const NAV: [string, string, string[]][] = [
  ["/", "Endpoints", ["", "endpoints", "deliveries"]],
  ["/event-types", "Event types", ["event-types"]],
  ["/activity", "Activity", ["activity", "events"]],
  ["/verify", "Verify signatures", ["verify"]],
];

function PortalShell({ me }: { me: PortalMe }) {
  const hash = useHash();
  const parts = hash.split("?")[0].split("/").filter(Boolean);
  const first = useRef(true);
  useEffect(() => {
    // Not when the page loads: inside an iframe that would take the focus from the product around it.
    if (first.current) first.current = false;
    else document.getElementById("main")?.focus({ preventScroll: true });
  }, [hash]);
  useLayoutEffect(() => {
    document.title = branded(`${routeTitle(parts)} · hookd`);
  }, [hash]);
  const section = parts[0] ?? "";
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <Header theme={me.theme}>
        <nav aria-label="Main">
          {NAV.map(([to, label, sections]) => (
            <a key={to} href={`#${to}`} aria-current={sections.includes(section) ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
      </Header>
      <main id="main" tabIndex={-1}>
        {me.capability === "read-only" && (
          <p class="portal-readonly" role="note">
            <strong>Read-only view.</strong> You can see your endpoints, their deliveries and signing secrets, but not
            change them.
          </p>
        )}
        {page(parts, me.app_id)}
        <p class="portal-foot muted small">
          This page's access ends <Time at={me.expires_at} />; open it again from{" "}
          {me.theme.product_name ?? "the website or app that brought you here"} after that.
        </p>
      </main>
    </>
  );
}

function routeTitle(parts: string[]): string {
  const [a, b, c] = parts;
  if (c) return "Not found";
  switch (a) {
    case undefined:
      return "Endpoints";
    case "endpoints":
      return b ? `Endpoint ${b}` : "Endpoints";
    case "deliveries":
      return b ? `Delivery ${b}` : "Not found";
    case "events":
      return b ? `Event ${b}` : "Not found";
    case "event-types":
      return b ? "Not found" : "Event types";
    case "activity":
      return b ? "Not found" : "Activity";
    case "verify":
      return b ? "Not found" : "Verify signatures";
    default:
      return "Not found";
  }
}

function page(parts: string[], app: string) {
  const [a, b, c] = parts;
  if (c) return <NotFound />;
  switch (a) {
    case undefined:
      return <EndpointsPage app={app} />;
    case "endpoints":
      return b ? <SubscriptionPage key={b} app={app} sub={b} /> : <EndpointsPage app={app} />;
    case "deliveries":
      return b ? <DeliveryPage key={b} id={b} /> : <NotFound />;
    case "events":
      return b ? <EventPage key={b} app={app} event={b} /> : <NotFound />;
    case "event-types":
      return b ? <NotFound /> : <EventTypesPage app={app} />;
    case "activity":
      return b ? <NotFound /> : <ActivityPage app={app} />;
    case "verify":
      return b ? <NotFound /> : <VerifyPage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <Missing title="There is no such page" back="/" backLabel="Go to your endpoints">
      This portal has no page at this address.
    </Missing>
  );
}
