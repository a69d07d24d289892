// End to end in real Chromium against the real `orion up`: only the visible UI is used.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Orion, dockTab, eventually, launchBrowser, midOf, openPage, showPanel, signIn, webDir } from "./harness.mjs";

let orion;
let browser;

before(async () => {
  orion = await Orion.start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await orion?.stop();
});

/** Sends an RFQ for the selected instrument from the ticket. */
async function sendRfq(page, instrument = "EUR/USD") {
  await page.locator(`tr[data-instrument="${instrument}"]`).first().click();
  await page.getByRole("button", { name: "Send RFQ" }).click();
}

test("a trader sees prices move, trades an RFQ from the ticket and finds it in the blotter and the CSV export", async () => {
  const { page, errors, context } = await openPage(browser, orion.url);
  await signIn(page, "trader@acme");
  const header = page.getByLabel("Signed in user");
  assert.match(await header.innerText(), /trader@acme[\s\S]*acme[\s\S]*ROLE_TRADER/);

  const first = await eventually("a EUR/USD price", async () => {
    const mid = await midOf(page, "EUR/USD");
    return /\d/.test(mid) ? mid : null;
  });
  await eventually("the EUR/USD price to change", async () => (await midOf(page, "EUR/USD")) !== first);

  await sendRfq(page);
  const quotes = page.getByRole("table", { name: "Quotes" }).locator("tbody tr[aria-label^='Quote from']");
  await eventually("quotes from three LPs", async () => (await quotes.count()) >= 3, 10_000);
  assert.match(await quotes.first().innerText(), /BEST/);
  await page.getByRole("button", { name: "Accept best" }).click();
  const outcome = page.getByTestId("rfq-outcome");
  const tradeId = await eventually("the trade", async () => (await outcome.innerText()).match(/Traded — trade (\d+)/)?.[1]);

  await page.getByRole("tab", { name: /Trades/ }).click();
  const blotterRow = page.getByTestId("trade-blotter").locator(".ag-row", { hasText: tradeId });
  await blotterRow.first().waitFor({ timeout: 10_000 });
  assert.match(await blotterRow.first().innerText(), /EUR\/USD/);
  // Confirmed, then settled, live in the row; the detail shows the confirmation document.
  await eventually("the trade to be confirmed and settled", async () => /CONFIRMED[\s\S]*SETTLED/.test(await blotterRow.first().innerText()), 15_000);
  await blotterRow.first().click();
  const detail = page.getByTestId("confirmation");
  await detail.waitFor({ timeout: 10_000 });
  assert.match(await detail.innerText(), new RegExp(`Confirmation CONF-${tradeId}[\\s\\S]*RFQ[\\s\\S]*trader@acme`));

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(download.suggestedFilename(), /^orion-trades-.*\.csv$/);
  assert.ok(csv.includes(`"${tradeId}"`), `the CSV holds trade ${tradeId}:\n${csv.slice(0, 500)}`);

  mkdirSync(join(webDir, "test-results"), { recursive: true });
  await page.screenshot({ path: join(webDir, "test-results", "workstation.png") });
  assert.deepEqual(errors, [], "no console errors");
  await context.close();
});

test("an admin enables the tenant kill switch and the trader's RFQ is refused with the reason", async () => {
  const admin = await openPage(browser, orion.url);
  await signIn(admin.page, "admin@acme");
  // The refusal is the expected answer: Chromium logs it, the test allows exactly that one.
  const trader = await openPage(browser, orion.url, ["POST /rfqs 422"]);
  await signIn(trader.page, "trader@acme");

  await showPanel(admin.page, "Risk & admin");
  const status = admin.page.getByTestId("killswitch-tenant");
  await eventually("the kill switch status", async () => /off/.test(await status.innerText()));
  await admin.page.getByRole("button", { name: "Enable tenant kill switch" }).click();
  await eventually("the kill switch to be on", async () => /ON/.test(await status.innerText()));

  await sendRfq(trader.page);
  const outcome = trader.page.getByTestId("rfq-outcome");
  await outcome.waitFor({ timeout: 10_000 });
  assert.match(await outcome.innerText(), /halted for your tenant \(kill switch\)/);

  await admin.page.getByRole("button", { name: "Disable tenant kill switch" }).click();
  await eventually("the kill switch to be off", async () => /off/.test(await status.innerText()));
  await sendRfq(trader.page);
  await eventually("an RFQ accepted again", async () => /SENT|QUOTING/.test(await trader.page.getByTestId("rfq-status").innerText()));

  assert.deepEqual(admin.errors, [], "no console errors (admin)");
  assert.deepEqual(trader.errors, [], "no console errors (trader)");
  await admin.context.close();
  await trader.context.close();
});

test("a trader buys through the market makers from the order ticket, then amends and cancels a resting order", async () => {
  const { page, errors, context } = await openPage(browser, orion.url);
  await signIn(page, "trader@acme");
  const book = await showPanel(page, "Order book");
  const ladder = book.getByRole("table", { name: "Depth EUR/USD" });
  await eventually("the market makers' book", async () => (await ladder.locator("tr.ask").count()) >= 5 && (await ladder.locator("tr.bid").count()) >= 5, 20_000);

  // Click the best ask (the lowest, just above the bids): a buy at that price, then through it.
  // The market makers re-quote all the time: read the level's price and click it in one step
  // inside the page, so the row clicked is the row read.
  const bestAsk = ladder.locator("tr.ask").last();
  const askPrice = Number(await bestAsk.evaluate((row) => {
    const price = row.querySelector("td.price").textContent;
    row.click();
    return price;
  }));
  assert.equal(await book.getByLabel("Limit price").inputValue(), askPrice.toFixed(5), "the level's price is in the ticket");
  await book.getByLabel("Order quantity").fill("2000000");
  await book.getByLabel("Limit price").fill((askPrice + 0.001).toFixed(5));
  await book.getByRole("button", { name: "Buy EUR/USD" }).click();
  const outcome = book.getByRole("status", { name: "Order outcome" });
  await eventually("the order filled", async () => /Filled 2,000,000 at/.test(await outcome.innerText()), 10_000);
  const filledId = await book.getByTestId("order").innerText();

  const blotters = page.getByRole("region", { name: "Blotters" });
  await blotters.getByRole("tab", { name: "Orders" }).click();
  const orders = blotters.getByTestId("order-blotter");
  await orders.getByRole("tab", { name: "Done" }).click();
  await eventually("the filled order in the orders blotter", async () => /FILLED/.test(await orders.locator(".ag-row", { hasText: filledId }).first().innerText()));
  await blotters.getByRole("tab", { name: /Trades/ }).click();
  const fills = blotters.getByTestId("trade-blotter").locator(".ag-row", { hasText: "CLOB" });
  await eventually("the fills in the trades blotter", async () => (await fills.count()) >= 1, 15_000);

  // A resting bid far below the market: working, then amended down, then cancelled.
  const bestBid = Number(await ladder.locator("tr.bid").first().locator("td.price").innerText());
  await book.getByRole("button", { name: "Buy", exact: true }).click();
  await book.getByLabel("Order quantity").fill("1000000");
  await book.getByLabel("Limit price").fill((bestBid - 0.005).toFixed(5));
  await book.getByRole("button", { name: "Buy EUR/USD" }).click();
  await eventually("the order working", async () => /Working: 1,000,000/.test(await outcome.innerText()), 10_000);
  const restingId = await book.getByTestId("order").innerText();
  await blotters.getByRole("tab", { name: "Orders" }).click();
  await orders.getByRole("tab", { name: "Working" }).click();
  const row = orders.locator(".ag-row", { hasText: restingId }).first();
  await row.waitFor({ timeout: 10_000 });
  await orders.getByRole("button", { name: `Amend order ${restingId}` }).click();
  await orders.getByLabel("New quantity").fill("500000");
  await orders.getByRole("button", { name: "Amend", exact: true }).click();
  await eventually("the amended quantity", async () => /500,000/.test(await row.innerText()));
  await orders.getByRole("button", { name: `Cancel order ${restingId}` }).click();
  await eventually("the order gone from the working orders", async () => (await orders.locator(".ag-row", { hasText: restingId }).count()) === 0);
  await orders.getByRole("tab", { name: "Done" }).click();
  await eventually("the order cancelled", async () => /CANCELLED/.test(await orders.locator(".ag-row", { hasText: restingId }).first().innerText()));

  assert.deepEqual(errors, [], "no console errors");
  await context.close();
});

test("an admin creates a user in the console, the user signs in, the admin disables them, and the audit trail tells it", async () => {
  const admin = await openPage(browser, orion.url);
  await signIn(admin.page, "admin@acme");
  const console_ = await showPanel(admin.page, "Administration");
  await console_.getByLabel("New user id").fill("e2e@acme");
  await console_.getByLabel("New user password").fill("e2e-pass");
  await console_.getByRole("button", { name: "Create user" }).click();
  const row = console_.getByTestId("user-e2e@acme");
  await eventually("the new user listed as enabled", async () => /enabled/.test(await row.innerText()));

  const user = await openPage(browser, orion.url);
  await signIn(user.page, "e2e@acme", "e2e-pass");
  assert.match(await user.page.getByLabel("Signed in user").innerText(), /e2e@acme[\s\S]*ROLE_TRADER/);

  await row.getByRole("button", { name: "Disable" }).click();
  await eventually("the user shown as disabled", async () => /disabled/.test(await row.innerText()));

  const audit = console_.getByTestId("audit-trail");
  await console_.getByLabel("Audit user").fill("admin@acme");
  await console_.getByRole("button", { name: "Search" }).click();
  await eventually("USER_CREATED and USER_DISABLED in the audit trail", async () => {
    const text = await audit.innerText();
    return /USER_CREATED[\s\S]*e2e@acme/.test(text) && /USER_DISABLED/.test(text);
  });
  await console_.getByLabel("Audit user").fill("e2e@acme");
  await console_.getByRole("button", { name: "Search" }).click();
  await eventually("the new user's login in the audit trail", async () => /LOGIN/.test(await audit.innerText()));

  assert.deepEqual(admin.errors, [], "no console errors (admin)");
  await user.context.close();
  await admin.context.close();
});

test("the page recovers by itself when the server restarts", async () => {
  const { page, context } = await openPage(browser, orion.url);
  await signIn(page, "trader@acme");
  const state = page.getByTestId("connection-state");

  await orion.stop();
  await eventually("the page to notice", async () => /Reconnecting|Connecting/.test(await state.innerText()), 10_000);
  await orion.spawn();
  await eventually("the page to be live again", async () => (await state.innerText()) === "Live", 30_000);
  const before = await midOf(page, "EUR/USD");
  await eventually("prices to flow again", async () => (await midOf(page, "EUR/USD")) !== before, 15_000);
  await page.getByText("Connection restored").first().waitFor({ timeout: 5_000 });
  await context.close();
});

/** The on-screen box of region `title`. */
async function boxOf(page, title) {
  return page.getByRole("region", { name: title, exact: true }).boundingBox();
}

/** Waits until the server has the desk as shown (the workspace bar says "Saved"). */
async function saved(page) {
  await eventually("the desk saved on the server", async () => (await page.getByTestId("layout-sync").getAttribute("data-state")) === "saved", 10_000);
}

test("the default desk shows every working panel at 1600×900 without scrolling; a rearranged desk and a new workspace survive a reload", async () => {
  // A user whose desk no other test has touched.
  const { page, errors, context } = await openPage(browser, orion.url);
  await signIn(page, "trader@globex");

  // PRD single screen: market watch left, ticket centre, blotters right, analytics below — all at
  // once, side by side, inside the window, and the page itself never scrolls.
  const desk = ["Market watch", "RFQ ticket", "Blotters", "Analytics"];
  for (const title of desk) await page.getByRole("region", { name: title, exact: true }).waitFor({ state: "visible", timeout: 10_000 });
  const boxes = Object.fromEntries(await Promise.all(desk.map(async (t) => [t, await boxOf(page, t)])));
  for (const [title, b] of Object.entries(boxes)) {
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= 1600 && b.y + b.height <= 900, `${title} inside the window: ${JSON.stringify(b)}`);
    assert.ok(b.width >= 300 && b.height >= 200, `${title} has room to work: ${JSON.stringify(b)}`);
  }
  assert.ok(boxes["Market watch"].x < boxes["RFQ ticket"].x && boxes["RFQ ticket"].x < boxes["Blotters"].x, "left, centre, right");
  assert.ok(boxes["Analytics"].y > boxes["RFQ ticket"].y + boxes["RFQ ticket"].height - 2, "analytics below");
  const page_ = await page.evaluate(() => ({ h: document.documentElement.scrollHeight, w: document.documentElement.scrollWidth }));
  assert.ok(page_.h <= 900 && page_.w <= 1600, `no page scrolling: ${JSON.stringify(page_)}`);

  // Rearrange: the order book, a tab behind the ticket, is dragged below the market watch into a
  // group of its own, so both it and the ticket show.
  assert.equal(await page.getByRole("region", { name: "Order book", exact: true }).isVisible(), false);
  const market = page.getByRole("region", { name: "Market watch", exact: true });
  await dockTab(page, "Order book").dragTo(market, { targetPosition: { x: boxes["Market watch"].width / 2, y: boxes["Market watch"].height - 12 } });
  const placed = async () => {
    const book = await boxOf(page, "Order book");
    const watch = await boxOf(page, "Market watch");
    return (await page.getByRole("region", { name: "RFQ ticket", exact: true }).isVisible()) && book && watch && book.y > watch.y + 20 && Math.abs(book.x - watch.x) < 20;
  };
  await eventually("the order book docked below the market watch, the ticket still shown", placed, 5_000);
  await saved(page);

  await page.reload();
  await page.getByText("Live", { exact: true }).waitFor({ timeout: 20_000 });
  await eventually("the rearranged desk after a reload", placed, 10_000);

  // A second named workspace: created, renamed, laid out on its own; the first keeps its layout.
  const workspaces = page.getByRole("tablist", { name: "Workspace" });
  await page.getByRole("button", { name: "New workspace" }).click();
  await page.locator("details.menu summary").click();
  await page.getByLabel("Workspace name").fill("Rates");
  await page.getByLabel("Workspace name").press("Enter");
  await page.locator("details.menu summary").click();
  assert.equal(await workspaces.getByRole("tab", { selected: true }).innerText(), "Rates");
  await page.getByRole("region", { name: "RFQ ticket", exact: true }).waitFor({ state: "visible" });
  assert.equal(await page.getByRole("region", { name: "Order book", exact: true }).isVisible(), false, "a new workspace starts from the desk preset");

  await workspaces.getByRole("tab", { name: "Desk" }).click();
  await eventually("the first workspace as it was left", placed, 5_000);
  await saved(page);

  await page.reload();
  await page.getByText("Live", { exact: true }).waitFor({ timeout: 20_000 });
  assert.deepEqual(await workspaces.getByRole("tab").allInnerTexts(), ["Desk", "Analysis", "Rates"]);
  assert.equal(await workspaces.getByRole("tab", { selected: true }).innerText(), "Desk");
  await eventually("the rearranged desk after a second reload", placed, 10_000);

  assert.deepEqual(errors, [], "no console errors");
  await context.close();
});
