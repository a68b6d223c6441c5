// The console's shell: sign-in, the header with navigation, and the hash router (every page is a URL the
// browser can bookmark; the server only ever serves the same static files).

import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, session, SIGNED_OUT, type Me } from "./api";
import { AppPage, AppsPage } from "./pages/apps";
import { CatalogPage } from "./pages/catalog";
import { DeliveryPage } from "./pages/delivery";
import { EventPage } from "./pages/event";
import { LivePage } from "./pages/live";
import { AccountsPage, OverviewPage } from "./pages/operator";
import { SignIn } from "./pages/signin";
import { SubscriptionPage } from "./pages/subscription";
import { go } from "./ui";
import "./style.css";

function useHash(): string {
  const read = () => decodeURI(location.hash.replace(/^#/, "")) || "/";
  const [hash, setHash] = useState(read);
  useEffect(() => {
    const on = () => setHash(read());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

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
  const actAs = (account: string | null) => {
    session.actAs(account);
    setActing(account);
  };
  const parts = hash.split("/").filter(Boolean);
  const needsAccount = operator && !acting && !["accounts", "overview"].includes(parts[0] ?? "overview");
  const page = needsAccount ? (
    <AccountsPage actAs={actAs} hint="Choose the account to look into." />
  ) : (
    route(parts, operator, actAs)
  );
  useEffect(() => {
    document.getElementById("main")?.focus({ preventScroll: true });
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
                  in <code>{acting}</code>{" "}
                  <button type="button" class="link" onClick={() => (actAs(null), go("/accounts"))}>
                    leave
                  </button>
                </span>
              )}
            </>
          ) : (
            <span>
              account <code>{me.account_id}</code>
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

function route(parts: string[], operator: boolean, actAs: (a: string | null) => void) {
  const [a, b, c, d, e] = parts;
  switch (a) {
    case undefined:
      return operator ? <OverviewPage /> : <AppsPage />;
    case "overview":
      return <OverviewPage />;
    case "accounts":
      return operator ? <AccountsPage actAs={actAs} /> : <NotFound />;
    case "apps":
      if (!b) return <AppsPage />;
      if (!c) return <AppPage app={b} />;
      if (c === "catalog" && !d) return <CatalogPage app={b} />;
      if (c === "subscriptions" && d && !e) return <SubscriptionPage app={b} sub={d} />;
      if (c === "events" && d && !e) return <EventPage app={b} event={d} />;
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
    <section>
      <h1>Not found</h1>
      <p>
        There is no such page. <a href="#/">Go to the start.</a>
      </p>
    </section>
  );
}

render(<Root />, document.getElementById("root")!);
