// The signed-in user: tokens (kept for the browser tab's life in sessionStorage), `/me`, and the
// stream's status for the header.

import { create } from "zustand";
import { login as loginCall, refreshTokens, setTokenSource } from "../api/http";
import type { Me, TokenPair } from "../api/types";
import type { StreamStatus } from "../api/stream";
import { api } from "../api/http";

const STORAGE_KEY = "orion.session";

interface SessionState {
  tokens: TokenPair | null;
  me: Me | null;
  stream: StreamStatus;
  login(username: string, password: string): Promise<void>;
  logout(): void;
  setStream(status: StreamStatus): void;
}

function stored(): TokenPair | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as TokenPair) : null;
  } catch {
    return null;
  }
}

export const useSession = create<SessionState>((set, get) => ({
  tokens: stored(),
  me: null,
  stream: { state: "connecting", attempt: 0, rttMs: null, messagesPerSecond: 0 },
  async login(username, password) {
    const tokens = await loginCall(username, password);
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
    set({ tokens });
    const me = await api<Me>("/me");
    set({ me });
  },
  logout() {
    sessionStorage.removeItem(STORAGE_KEY);
    set({ tokens: null, me: null });
  },
  setStream(stream) {
    if (get().stream !== stream) set({ stream });
  },
}));

let refreshing: Promise<string | null> | null = null;

/** A new access token from the refresh token; signs out when the refresh token is refused. */
export function refreshAccessToken(): Promise<string | null> {
  refreshing ??= (async () => {
    const current = useSession.getState().tokens;
    if (!current) return null;
    try {
      const tokens = await refreshTokens(current.refreshToken);
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
      useSession.setState({ tokens });
      return tokens.accessToken;
    } catch (err) {
      // The server may be restarting: keep the session unless the token itself was refused.
      if ((err as { status?: number }).status === 401) useSession.getState().logout();
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

setTokenSource({
  token: () => useSession.getState().tokens?.accessToken ?? null,
  refresh: refreshAccessToken,
});

export const hasRole = (me: Me | null, ...roles: string[]) => !!me && roles.some((r) => me.roles.includes(r));
