// How a receiver checks that a request came from this service: the Standard Webhooks headers every
// callback carries (docs/FORMATS.md), verified with the Standard Webhooks library of the receiver's
// language, and the algorithm itself for a language without one. A page of the portal, for the account's
// end customers.

import { CopyButton } from "../failures";
import { Link, useTitle } from "../ui";

interface Snippet {
  id: string;
  language: string;
  install: string;
  code: string;
}

const SNIPPETS: Snippet[] = [
  {
    id: "python",
    language: "Python",
    install: "pip install standardwebhooks",
    code: `import os
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

wh = Webhook(os.environ["WEBHOOK_SECRET"])  # the endpoint's signing secret, whsec_…

# Flask: the raw body, as received, and the request's headers
@app.post("/webhooks")
def webhooks():
    try:
        event = wh.verify(request.get_data(), dict(request.headers))
    except WebhookVerificationError:
        return "", 400
    handle(event)  # the payload, parsed from JSON
    return "", 204`,
  },
  {
    id: "javascript",
    language: "JavaScript / TypeScript",
    install: "npm install standardwebhooks",
    code: `import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.env.WEBHOOK_SECRET); // the endpoint's signing secret, whsec_…

// Express: keep the raw body (express.raw), verify it before parsing
app.post("/webhooks", express.raw({ type: "*/*" }), (req, res) => {
  let event;
  try {
    event = wh.verify(req.body, req.headers);
  } catch {
    return res.sendStatus(400);
  }
  handle(event); // the payload, parsed from JSON
  res.sendStatus(204);
});`,
  },
  {
    id: "go",
    language: "Go",
    install: "go get github.com/standard-webhooks/standard-webhooks/libraries/go",
    code: `import standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

// the endpoint's signing secret, whsec_…
wh, err := standardwebhooks.NewWebhook(os.Getenv("WEBHOOK_SECRET"))
if err != nil {
	log.Fatal(err)
}

http.HandleFunc("POST /webhooks", func(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || wh.Verify(body, r.Header) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	handle(body) // the payload's JSON
	w.WriteHeader(http.StatusNoContent)
})`,
  },
  {
    id: "ruby",
    language: "Ruby",
    install: "gem install standardwebhooks",
    code: `require "standardwebhooks"

wh = StandardWebhooks::Webhook.new(ENV.fetch("WEBHOOK_SECRET")) # whsec_…

# Rails: in the controller's action
event = wh.verify(request.raw_post, {
  "webhook-id" => request.headers["webhook-id"],
  "webhook-timestamp" => request.headers["webhook-timestamp"],
  "webhook-signature" => request.headers["webhook-signature"],
})
# raises StandardWebhooks::WebhookVerificationError when it does not verify`,
  },
  {
    id: "php",
    language: "PHP",
    install: "composer require standard-webhooks/standard-webhooks",
    code: `$wh = new \\StandardWebhooks\\Webhook(getenv("WEBHOOK_SECRET")); // whsec_…

$event = $wh->verify(file_get_contents("php://input"), [
    "webhook-id" => $_SERVER["HTTP_WEBHOOK_ID"],
    "webhook-timestamp" => $_SERVER["HTTP_WEBHOOK_TIMESTAMP"],
    "webhook-signature" => $_SERVER["HTTP_WEBHOOK_SIGNATURE"],
]);
// throws \\StandardWebhooks\\Exception\\WebhookVerificationException when it does not verify`,
  },
];

export function VerifyPage() {
  useTitle("Verify signatures · hookd");
  return (
    <section class="verify">
      <h1>Verify signatures</h1>
      <p>
        Every request sent to your endpoints is signed as the{" "}
        <a href="https://www.standardwebhooks.com/" target="_blank" rel="noopener noreferrer">
          Standard Webhooks
        </a>{" "}
        specification describes, so that your receiver can tell it came from us and was not changed on the way. Three
        headers carry what it needs:
      </p>
      <dl class="facts">
        <dt>
          <code>webhook-id</code>
        </dt>
        <dd>The event's id: the same on every retry of it, so you can drop a request you already handled.</dd>
        <dt>
          <code>webhook-timestamp</code>
        </dt>
        <dd>When the request was signed, in seconds since 1970 (UTC).</dd>
        <dt>
          <code>webhook-signature</code>
        </dt>
        <dd>
          One or more signatures <code>v1,&lt;base64&gt;</code>, separated by spaces. After the secret is rotated, the
          previous one signs too for a while: one matching signature is enough.
        </dd>
      </dl>
      <p>
        Verify with the endpoint's <strong>signing secret</strong> (it starts with <code>whsec_</code>): open the
        endpoint on the <Link to="/">Endpoints</Link> page and reveal it. Keep it out of your code, in your receiver's
        configuration. Verify the <strong>raw body</strong> exactly as it arrived, before parsing it: JSON read and
        written again may differ by a byte. The libraries also refuse a timestamp more than five minutes away, so that a
        recorded request cannot be replayed later. Answer with a 2xx status once the event is safely stored; any other
        answer (or none within the timeout) is retried.
      </p>
      <nav class="verify-langs" aria-label="Languages">
        {SNIPPETS.map((s) => (
          <a key={s.id} href={`#verify-${s.id}`} onClick={(e) => (e.preventDefault(), jump(`verify-${s.id}`))}>
            {s.language}
          </a>
        ))}
        <a href="#verify-by-hand" onClick={(e) => (e.preventDefault(), jump("verify-by-hand"))}>
          Other languages
        </a>
      </nav>
      {SNIPPETS.map((s) => (
        <section key={s.id} class="snippet" aria-labelledby={`verify-${s.id}`}>
          <h2 id={`verify-${s.id}`} tabIndex={-1}>
            {s.language}
          </h2>
          <Code label={`Install the ${s.language} library`} code={s.install} />
          <Code label={`Verify in ${s.language}`} code={s.code} />
        </section>
      ))}
      <section class="snippet" aria-labelledby="verify-by-hand">
        <h2 id="verify-by-hand" tabIndex={-1}>
          Other languages: the algorithm
        </h2>
        <ol>
          <li>
            The key is the secret without its <code>whsec_</code> prefix, decoded from base64.
          </li>
          <li>
            The signed content is <code>webhook-id</code>, a dot, <code>webhook-timestamp</code>, a dot and the raw
            body: <code>{"{id}.{timestamp}.{body}"}</code>.
          </li>
          <li>Its HMAC-SHA256 with the key, encoded in base64, is the signature.</li>
          <li>
            It must equal (compared in constant time) one of the <code>v1,</code> entries of{" "}
            <code>webhook-signature</code>, and the timestamp must be within five minutes of your clock.
          </li>
        </ol>
      </section>
    </section>
  );
}

/** Moves to a section of the page without touching the address (whose fragment is the page's route). */
function jump(id: string) {
  const e = document.getElementById(id);
  e?.scrollIntoView({ block: "start" });
  e?.focus({ preventScroll: true });
}

/** A piece of code: it may scroll sideways (so it takes focus, to scroll by keys), and it can be copied. */
function Code({ label, code }: { label: string; code: string }) {
  return (
    <div class="code-block">
      <pre class="body code" role="region" aria-label={label} tabIndex={0}>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} label={`Copy: ${label}`} />
    </div>
  );
}
