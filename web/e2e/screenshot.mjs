// Regenerates docs/workstation.png: the default workspace at 1600×900 with live data (prices, a
// traded RFQ, the blotter, analytics) in Debian's Chromium against a fresh `orion up`.
// Run: npm run screenshot

import { join } from "node:path";
import { Orion, eventually, launchBrowser, openPage, signIn, sleep, webDir } from "./harness.mjs";

const orion = await Orion.start();
const browser = await launchBrowser();
try {
  const { page } = await openPage(browser, orion.url);
  await signIn(page, "trader@acme");
  for (let i = 0; i < 3; i++) {
    await page.locator('tr[data-instrument="EUR/USD"]').first().click();
    await page.getByRole("button", { name: "Send RFQ" }).click();
    const quotes = page.locator("tbody tr[aria-label^='Quote from']");
    await eventually("quotes", async () => (await quotes.count()) >= 3);
    await page.getByRole("button", { name: "Accept best" }).click();
    await eventually("the trade", async () => /Traded/.test(await page.getByTestId("rfq-outcome").innerText()));
  }
  await page.locator('tr[data-instrument="GBP/USD"]').first().click();
  await page.getByRole("button", { name: "Send RFQ" }).click();
  await eventually("quotes", async () => (await page.locator("tbody tr[aria-label^='Quote from']").count()) >= 3);
  await sleep(1_500);
  const path = join(webDir, "..", "docs", "workstation.png");
  await page.screenshot({ path });
  console.log(`wrote ${path}`);
} finally {
  await browser.close();
  await orion.stop();
}
