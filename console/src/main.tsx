// The console's shell: sign-in, the header with navigation, and the hash router (every page is a URL the
// browser can bookmark; the server only ever serves the same static files).

import { render } from "preact";
import { useEffect, useLayoutEffect, useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import { get, path, PORTAL, session, SIGNED_OUT, type Account, type App, type Me } from "./api";
import { AppPage, AppsPage, MissingApp } from "./pages/apps";
import { CatalogPage } from "./pages/catalog";
import { DeliveryPage } from "./pages/delivery";
import { EventPage } from "./pages/event";
import { LivePage } from "./pages/live";
import { AccountsPage, OverviewPage } from "./pages/operator";
import { SignIn } from "./pages/signin";
import { SubscriptionPage } from "./pages/subscription";
import { PortalRoot } from "./portal";
import { go, Missing, useHash, useLoad } from "./ui";
import "./style.css";

function Root() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(!!session.token());
  useEffect(() => {
    const out = () => setMe(null);
    addEventListener(SIGNED_OUT, out);
    return () => removeEventListener(SIGNED_OUT, out);
  }, []);
  useEffect(() => {
    if (!session.token()) return;
    get<Me>("/me").then(
      (m) => {
        setMe(m);
        setChecking(false);
      },
      () => {
        session.signOut();
        setChecking(false);
      },
    );
  }, []);
  if (checking) return <p class="muted">Loading…</p>;
  if (!me) return <SignIn onSignedIn={setMe} />;
  return (
    <Shell
      me={me}
      onSignOut={() => {
        session.signOut();
        setMe(null);
        go("/");
      }}
    />
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }) {
  const hash = useHash();
  const [acting, setActing] = useState(session.acting());
  const operator = me.kind === "admin";
  const accountName = useAccountName(me, acting);
  const actAs = (account: string | null) => {
    session.actAs(account);
    setActing(account);
  };
  const [route, search = ""] = hash.split("?");
  const parts = route.split("/").filter(Boolean);
  const params = new URLSearchParams(search);
  const needsAccount = operator && !acting && !["accounts", "overview"].includes(parts[0] ?? "overview");
  const page = needsAccount ? (
    <AccountsPage actAs={actAs} hint="Choose the account to look into." />
  ) : (
    page_(parts, params, operator, actAs, accountName)
  );
  useEffect(() => {
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [hash]);
  // The title the route alone can tell; a page that loads a name replaces it (its effect runs after this).
  useLayoutEffect(() => {
    document.title = routeTitle(parts, operator);
  }, [hash]);
  const here = (p: string) => (parts[0] ?? "") === p || (p === "apps" && parts.length === 0 && !operator);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main")?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">
          hookd
        </a>
        <nav aria-label="Main">
          {operator && (
            <>
              <a
                href="#/overview"
                aria-current={here("overview") || (operator && parts.length === 0) ? "page" : undefined}
              >
                Overview
              </a>
              <a href="#/accounts" aria-current={here("accounts") ? "page" : undefined}>
                Accounts
              </a>
            </>
          )}
          <a href="#/apps" aria-current={here("apps") ? "page" : undefined}>
            Apps
          </a>
          <a href="#/live" aria-current={here("live") ? "page" : undefined}>
            Live
          </a>
          {!operator && (
            <a href="#/overview" aria-current={here("overview") ? "page" : undefined}>
              Charts
            </a>
          )}
        </nav>
        <div class="who">
          {operator ? (
            <>
              <span class="badge accent">operator</span>
              {acting && (
                <span>
                  {" "}
                  in <strong title={acting}>{accountName}</strong>{" "}
                  <button type="button" class="link" onClick={() => (actAs(null), go("/accounts"))}>
                    leave
                  </button>
                </span>
              )}
            </>
          ) : (
            <span>
              account <strong>{accountName}</strong>
            </span>
          )}{" "}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </>
  );
}

/** The name of the account the pages are of (the key's, or the one the operator acts in); its id until the
 * name is known; none for the operator acting in no account. */
function useAccountName(me: Me, acting: string | null): string | undefined {
  const account = useLoad(
    () => (acting ? get<Account>(path`/accounts/${acting}`) : Promise.resolve(undefined)),
    [acting],
  );
  if (me.kind === "key") return me.account_name || me.account_id;
  if (!acting) return undefined;
  return account.data?.id === acting ? account.data.name : acting;
}

/** A page inside an app; when the app does not exist, only that is said (and nothing of the page). */
function OfApp({ app, page }: { app: string; page: ComponentChildren }) {
  const loaded = useLoad(() => get<App>(path`/apps/${app}`), [app]);
  return loaded.error?.status === 404 ? <MissingApp app={app} /> : <>{page}</>;
}

function routeTitle(parts: string[], operator: boolean): string {
  const [a, b, c, d] = parts;
  const title = (() => {
    switch (a) {
      case undefined:
        return operator ? "Overview" : "Apps";
      case "overview":
        return operator ? "Overview" : "Charts";
      case "accounts":
        return "Accounts";
      case "apps":
        if (!b) return "Apps";
        if (!c) return `App ${b}`;
        if (c === "catalog") return `Catalog · ${b}`;
        if (c === "subscriptions") return `Subscription ${d} · ${b}`;
        if (c === "events") return `Event ${d} · ${b}`;
        return "Not found";
      case "deliveries":
        return `Delivery ${b}`;
      case "live":
        return "Live";
      default:
        return "Not found";
    }
  })();
  return `${title} · hookd`;
}

function page_(
  parts: string[],
  params: URLSearchParams,
  operator: boolean,
  actAs: (a: string | null) => void,
  accountName: string | undefined,
) {
  const [a, b, c, d, e] = parts;
  const health = params.get("health") ?? undefined;
  switch (a) {
    case undefined:
      return operator ? <OverviewPage account={accountName} /> : <AppsPage />;
    case "overview":
      return <OverviewPage account={accountName} />;
    case "accounts":
      return operator ? <AccountsPage actAs={actAs} health={health} /> : <NotFound />;
    case "apps":
      if (!b) return <AppsPage health={health} />;
      if (!c) return <AppPage app={b} />;
      if (c === "catalog" && !d) return <OfApp app={b} page={<CatalogPage app={b} />} />;
      if (c === "subscriptions" && d && !e) return <OfApp app={b} page={<SubscriptionPage app={b} sub={d} />} />;
      if (c === "events" && d && !e) return <OfApp app={b} page={<EventPage app={b} event={d} />} />;
      return <NotFound />;
    case "deliveries":
      return b && !c ? <DeliveryPage id={b} /> : <NotFound />;
    case "live":
      return <LivePage />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <Missing title="There is no such page" back="/" backLabel="Go to the start">
      The console has no page at this address.
    </Missing>
  );
}

// The portal (an account's end customer, at /portal/…) has a shell of its own; the pages are the same.
render(PORTAL ? <PortalRoot /> : <Root />, document.getElementById("root")!);
