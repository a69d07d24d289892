// REST client: bearer token, JSON in and out, the contract's error object surfaced as ApiError,
// one transparent token refresh on 401.

import type { ErrorBody, TokenPair } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly correlationId: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface TokenSource {
  token(): string | null;
  /** Gets a new access token; resolves null when the session is over. */
  refresh(): Promise<string | null>;
}

let tokens: TokenSource = { token: () => null, refresh: async () => null };

export function setTokenSource(source: TokenSource): void {
  tokens = source;
}

async function errorOf(res: Response): Promise<ApiError> {
  const correlationId = res.headers.get("x-correlation-id") ?? "";
  try {
    const body = (await res.json()) as ErrorBody;
    return new ApiError(res.status, body.error.code, body.error.message, body.error.correlationId || correlationId);
  } catch {
    return new ApiError(res.status, "HTTP_" + res.status, res.statusText || "request failed", correlationId);
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  idempotencyKey?: string;
  /** Skip the bearer token (login, refresh). */
  anonymous?: boolean;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const res = await request(path, options);
  return (await res.json()) as T;
}

/** One page of a paged list (`GET /trades`, `GET /rfqs`): the items and the cursor of the next
 * page, `null` on the last. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page of a list whose next-page cursor comes in the `x-next-cursor` header. */
export async function apiPage<T>(path: string): Promise<Page<T>> {
  const res = await request(path, {});
  return { items: (await res.json()) as T[], nextCursor: res.headers.get("x-next-cursor") };
}

async function request(path: string, options: RequestOptions): Promise<Response> {
  const send = (token: string | null) => {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    if (token && !options.anonymous) headers.Authorization = `Bearer ${token}`;
    return fetch(path, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  };
  let res = await send(tokens.token());
  if (res.status === 401 && !options.anonymous) {
    const fresh = await tokens.refresh();
    if (fresh) res = await send(fresh);
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

export function login(username: string, password: string): Promise<TokenPair> {
  return api<TokenPair>("/auth/login", { body: { username, password }, anonymous: true });
}

export function refreshTokens(refreshToken: string): Promise<TokenPair> {
  return api<TokenPair>("/auth/refresh", { body: { refreshToken }, anonymous: true });
}

/** A fresh idempotency key for one user intent (reused by that intent's retries). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
