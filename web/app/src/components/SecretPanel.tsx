import { useState } from "react";

/** A new token's secret, shown once: it is not stored and cannot be shown again. */
export function SecretPanel({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  return (
    <div className="secret-panel" role="status" aria-labelledby="secret-title">
      <h2 id="secret-title">Token {name} created</h2>
      <p>
        <strong>Copy it now: this is the only time it is shown.</strong> Only its hash is stored, so it cannot be shown again; a lost token is
        revoked and replaced.
      </p>
      <div className="secret-row">
        <code className="secret" data-secret={secret}>
          {secret}
        </code>
        <button
          type="button"
          onClick={() =>
            copyText(secret).then(
              () => setCopied("yes"),
              () => setCopied("failed"),
            )
          }
        >
          {copied === "yes" ? "Copied" : "Copy"}
        </button>
      </div>
      {copied === "failed" && <p className="error-text">The browser refused to copy: select the token and copy it by hand.</p>}
      <div className="actions">
        <button type="button" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

/** The clipboard API exists only on secure origins (HTTPS, localhost); elsewhere copying fails, and says so. */
async function copyText(text: string): Promise<void> {
  if (!navigator.clipboard) throw new Error("no clipboard on this origin");
  await navigator.clipboard.writeText(text);
}
