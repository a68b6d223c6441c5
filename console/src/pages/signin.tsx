import { useState } from "preact/hooks";
import { api, ApiError, session, type Me } from "../api";
import { asApiError, ErrorBox, useForm, useTitle } from "../ui";

/** Sign-in with an access key (`key_id:secret`, the account view) or the admin token (the operator view). */
export function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  useTitle("Sign in · hookd");
  const [token, setToken] = useState("");
  const form = useForm();
  return (
    <main id="main" class="signin">
      <h1>hookd console</h1>
      <form
        onSubmit={form.submit(async () => {
          try {
            const me = await api<Me>("GET", "/me", undefined, { token: token.trim(), acting: null });
            session.signIn(token.trim());
            onSignedIn(me);
          } catch (err) {
            const e = asApiError(err);
            throw e.status === 401 ? new ApiError(e.status, e.code, "hookd does not know this token.") : e;
          }
        })}
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
        <ErrorBox error={form.error} />
        <button type="submit" class="primary" disabled={form.busy || !token.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}
