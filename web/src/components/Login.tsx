// Sign-in with the embedded identity provider's demo users.
import { useState, type FormEvent } from "react";
import { ApiError } from "../api/http";
import { useSession } from "../state/session";

const DEMO_USERS = ["trader@acme", "sales@acme", "risk@acme", "analyst@acme", "admin@acme", "trader@globex"];

export function Login() {
  const login = useSession((s) => s.login);
  const [username, setUsername] = useState("trader@acme");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "the server did not answer");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="login">
      <form onSubmit={submit} aria-label="Sign in">
        <h1 style={{ margin: 0 }}>Orion</h1>
        <p className="muted" style={{ margin: 0 }}>
          Demo users: {DEMO_USERS.join(", ")} — password <code>demo</code> unless the operator set another.
        </p>
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} list="demo-users" autoComplete="username" />
          <datalist id="demo-users">
            {DEMO_USERS.map((u) => (
              <option key={u} value={u} />
            ))}
          </datalist>
        </label>
        <label>
          Password
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        </label>
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button className="primary" type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </div>
  );
}
