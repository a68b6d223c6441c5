import { useState } from "preact/hooks";
import { api, session, type Me } from "../api";
import { asApiError, ErrorBox } from "../ui";
import type { ApiError } from "../api";

/** Sign-in with an access key (`key_id:secret`, the account view) or the admin token (the operator view). */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>hookd console</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            const me = await api<Me>("GET", "/me", undefined, { token: token.trim(), acting: null });
            session.signIn(token.trim());
            onSignedIn(me);
          } catch (err) {
            const e = asApiError(err);
            setError(e.status === 401 ? Object.assign(e, { message: "hookd does not know this token." }) : e);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="token">Access key or admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="muted">
          An access key (<code>key_id:secret</code>, as returned when the key was made) opens its account; the admin
          token (<code>hookd-data/admin-token</code>) opens the operator view of every account. The token is kept only
          in this tab.
        </p>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy || !token.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}
