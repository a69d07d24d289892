// Shared plumbing of the admin console's parts: load a resource, run a change, report errors.
import { useCallback, useEffect, useState } from "react";
import { ApiError, api } from "../../api/http";
import { notify } from "../../state/notifications";

export function describe(err: unknown): string {
  return err instanceof ApiError ? `${err.message} (${err.code})` : "the server did not answer";
}

/** `path`'s JSON, reloaded after every change made through `change`. */
export function useResource<T>(path: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      setData(await api<T>(path));
      setError(null);
    } catch (err) {
      setError(describe(err));
    }
  }, [path]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const change = useCallback(
    async (action: () => Promise<unknown>, done: string): Promise<boolean> => {
      setBusy(true);
      try {
        await action();
        notify("INFO", "Administration", done);
        await reload();
        return true;
      } catch (err) {
        const message = describe(err);
        setError(message);
        notify("ERROR", "Administration", message);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [reload],
  );

  return { data, error, busy, reload, change };
}
