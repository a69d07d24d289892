// An id shown in full with a copy button (correlation ids for audit).
import { useState } from "react";

export function CopyId({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1200);
    } catch {
      window.prompt(`Copy ${label}`, value);
    }
  }
  return (
    <span className="copy" title={label}>
      <span className="muted">{label}: </span>
      <span data-testid={label}>{value}</span>
      <button className="link" onClick={() => void copy()} aria-label={`Copy ${label}`}>
        {copied ? "copied" : "copy"}
      </button>
    </span>
  );
}
