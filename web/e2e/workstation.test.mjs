// End to end in real Chromium against the real `orion up`: only the visible UI is used.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Orion, eventually, launchBrowser, midOf, openPage, signIn, webDir } from "./harness.mjs";

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
  const book = page.getByRole("region", { name: "Order book" });
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
  await eventually("the order filled", async () => /Filled 2000000\.00 at/.test(await outcome.innerText()), 10_000);
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
  await eventually("the order working", async () => /Working: 1000000\.00/.test(await outcome.innerText()), 10_000);
  const restingId = await book.getByTestId("order").innerText();
  await blotters.getByRole("tab", { name: "Orders" }).click();
  await orders.getByRole("tab", { name: "Working" }).click();
  const row = orders.locator(".ag-row", { hasText: restingId }).first();
  await row.waitFor({ timeout: 10_000 });
  await orders.getByRole("button", { name: `Amend order ${restingId}` }).click();
  await orders.getByLabel("New quantity").fill("500000");
  await orders.getByRole("button", { name: "Amend", exact: true }).click();
  await eventually("the amended quantity", async () => /500000\.00/.test(await row.innerText()));
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
  const console_ = admin.page.getByRole("region", { name: "Administration" });
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
