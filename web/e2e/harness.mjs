// Shared by the end-to-end tests and the screenshot script: starts the real `orion up` on a free
// port with a fresh data directory and opens Debian's Chromium through playwright-core.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, "..");
const repo = resolve(webDir, "..");

export function orionBinary() {
  if (process.env.ORION_BIN) return process.env.ORION_BIN;
  const target = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
  for (const profile of ["debug", "release"]) {
    const candidate = join(target, profile, "orion");
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`no orion binary under ${target}; run cargo build first or set ORION_BIN`);
}

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function eventually(what, fn, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(100);
  }
}

/** A running `orion up`; `restart()` keeps the port and the data. */
export class Orion {
  constructor(port, dataDir) {
    this.port = port;
    this.dataDir = dataDir;
    this.url = `http://127.0.0.1:${port}`;
    this.child = null;
  }

  static async start() {
    const orion = new Orion(await freePort(), mkdtempSync(join(tmpdir(), "orion-e2e-")));
    await orion.spawn();
    return orion;
  }

  async spawn() {
    this.child = spawn(
      orionBinary(),
      ["up", "--http-addr", `127.0.0.1:${this.port}`, "--quic-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--data-dir", this.dataDir],
      {
        env: {
          ...process.env,
          ORION_WEB_DIR: webDir,
          ORION_WEB_BUILD: "off",
          // Settlement that always succeeds, soon after the trade: the tests see it end.
          ORION_SETTLEMENT_FAILURE_RATE: "0",
          ORION_SETTLEMENT_DELAY_MS: "300",
          RUST_LOG: process.env.ORION_E2E_LOG ?? "warn",
        },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const exited = new Promise((r) => this.child.once("exit", r));
    this.exited = exited;
    await eventually(
      "orion to be ready",
      async () => {
        const res = await fetch(`${this.url}/readyz`);
        return res.ok;
      },
      60_000,
    );
  }

  /** Stops the server: SIGTERM, then SIGKILL if it is still running after 15 s. The kill is
   * aimed at this process only and cancelled once it has exited — never at a server started
   * after it on the same port. */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.kill("SIGTERM");
    let timer;
    const deadline = new Promise((r) => {
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        r();
      }, 15_000);
    });
    await Promise.race([this.exited, deadline]);
    clearTimeout(timer);
  }

  async restart() {
    await this.stop();
    await this.spawn();
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.ORION_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A page that records console errors and uncaught exceptions. Chromium also logs every HTTP
 * error response as a console error; those are reported with their method, path and status so
 * a test can tell an expected refusal (`allowed`, e.g. "POST /rfqs 422") from a real fault.
 */
export async function openPage(browser, url, allowed = [], viewport = { width: 1600, height: 900 }) {
  const context = await browser.newContext({ acceptDownloads: true, viewport });
  const page = await context.newPage();
  const errors = [];
  const failures = [];
  page.on("response", (res) => {
    if (res.status() >= 400) failures.push(`${res.request().method()} ${new URL(res.url()).pathname} ${res.status()}`);
  });
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (msg.text().startsWith("Failed to load resource")) {
      const failure = failures.shift() ?? "unknown request";
      if (!allowed.some((a) => failure.startsWith(a))) errors.push(`${msg.text()} [${failure}]`);
      return;
    }
    errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(url);
  return { context, page, errors };
}

/** Signs in through the login form, as a user would. */
export async function signIn(page, username, password = "demo") {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Live", { exact: true }).waitFor({ timeout: 20_000 });
}

/** The mid shown for `instrument` in the market watch (first row: pinned instruments come first). */
export async function midOf(page, instrument) {
  return (await page.locator(`tr[data-instrument="${instrument}"] [data-field="mid"]`).first().innerText()).trim();
}

/** The dock tab of panel `title` (a workspace shows some panels as tabs behind others). */
export function dockTab(page, title) {
  return page.locator(".dv-tab", { has: page.getByText(title, { exact: true }) }).first();
}

/** Brings panel `title` to the front of its group and returns its region. */
export async function showPanel(page, title) {
  await dockTab(page, title).click();
  const region = page.getByRole("region", { name: title, exact: true });
  await region.waitFor({ state: "visible", timeout: 5_000 });
  return region;
}
