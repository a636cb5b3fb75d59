// The web app in a real browser: headless chromium driven by playwright-core against a
// server with the demo data (started by .ci/browser, which passes its address and the
// users it made in the environment). Browsers say they prefer Chinese (zh-CN), as the
// people the app is for; the login page follows Accept-Language. Screenshots go to
// $E2E_SHOTS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.YS_URL;
const password = process.env.YS_PASSWORD;
const shots = process.env.E2E_SHOTS || "e2e-shots";
const executablePath = process.env.CHROMIUM || "chromium";
assert.ok(base, "YS_URL names the server");
assert.ok(password, "YS_PASSWORD is the e2e users' password");
mkdirSync(shots, { recursive: true });

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
});

async function signIn(page, login) {
  await page.goto(`${base}/overview`);
  // Not signed in: the login form, in Chinese by default.
  await page.waitForURL(/\/login\?next=/);
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.equal((await page.textContent("h1")).trim(), "登录");
  await page.fill("#login", login);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(/\/overview/), page.click("button[type=submit] >> text=登录")]);
}

async function signOut(page) {
  await Promise.all([page.waitForURL(/\/login/), page.click("form.logout button")]);
  // Signed out for real: the overview sends us back to the login form.
  await page.goto(`${base}/overview`);
  await page.waitForURL(/\/login\?next=/);
}

test("an admin signs in in Chinese, switches to English, finds a site by pinyin and drills to a record", async () => {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, "e2e-admin");
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  assert.match(await page.textContent("h1"), /总览/);
  // The overview lists every demo site in the heat map (41 sites).
  const rows = await page.locator("table.heat tbody tr").count();
  assert.equal(rows, 41, `${rows} sites in the heat map`);
  assert.ok(await page.locator("table.tree >> text=北川装维中心").count() > 0);
  await page.screenshot({ path: `${shots}/overview-zh.png`, fullPage: false });

  // Switch to English; the choice sticks.
  await Promise.all([page.waitForURL(/\/overview/), page.click("form.lang button")]);
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.match(await page.textContent("h1"), /Overview/);
  await page.screenshot({ path: `${shots}/overview-en.png`, fullPage: false });

  // Search by pinyin initials: bczw is 北川装维中心 (my-f02).
  await page.fill("#q", "bczw");
  await Promise.all([page.waitForURL(/\/search\?q=bczw/), page.press("#q", "Enter")]);
  const hit = page.locator("ul.found a", { hasText: "北川装维中心" });
  assert.equal(await hit.count(), 1);
  await Promise.all([page.waitForURL(/\/sites\/my-f02/), hit.click()]);
  assert.match(await page.textContent("h1"), /my-f02/);
  // Its red line in words: the repair limit.
  const reds = await page.locator("ul.reds li").allTextContents();
  assert.ok(reds.length > 0, "my-f02 hits a red line");
  assert.match(reds.join(" "), /hard limit/);
  await page.screenshot({ path: `${shots}/site-en.png`, fullPage: false });

  // The weakest indicator first; open its drill-down, then its first record.
  const weakest = page.locator("table.lines tbody tr th a").first();
  const indicator = (await weakest.textContent()).trim().split(" ")[0];
  await Promise.all([page.waitForURL(new RegExp(`/indicators/${indicator}`)), weakest.click()]);
  assert.match(await page.textContent("h1"), new RegExp(indicator));
  const open = page.locator("table.records tbody tr td a").first();
  assert.ok(await open.count() === 1, "the records behind the figure are listed");
  await page.screenshot({ path: `${shots}/drill-en.png`, fullPage: false });
  await Promise.all([page.waitForURL(/\/record\?/), open.click()]);
  assert.match(await page.textContent("h1"), /Record/);
  const siteCell = await page.locator("table.record tr", { hasText: "site_id" }).locator("td").textContent();
  assert.equal(siteCell.trim(), "my-f02");
  await page.screenshot({ path: `${shots}/record-en.png`, fullPage: false });

  // Back to Chinese for the next run, then sign out.
  await Promise.all([page.waitForNavigation(), page.click("form.lang button")]);
  assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
  await signOut(page);
  await context.close();
});

test("a site manager sees her site and gets the 404 page for another", async () => {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 800, height: 1100 } });
  const page = await context.newPage();
  await signIn(page, "e2e-sm");
  // Only her call centre in the overview.
  const sites = await page.locator("table.heat tbody tr").count();
  assert.equal(sites, 1);
  assert.ok(await page.locator("table.heat >> text=宁波客户服务中心").count() === 1);
  const res = await page.goto(`${base}/sites/my-f02`);
  assert.equal(res.status(), 404);
  assert.match(await page.textContent("h1"), /页面不存在/);
  assert.equal(await page.locator("text=北川").count(), 0, "nothing of the other site shows");
  await page.screenshot({ path: `${shots}/not-found-zh.png` });
  const own = await page.goto(`${base}/sites/nb-c01`);
  assert.equal(own.status(), 200);
  assert.match(await page.textContent("h1"), /宁波客户服务中心/);
  await page.screenshot({ path: `${shots}/site-zh.png` });
  // Her call centre's staffing plan for next week: agents per half hour, from its records.
  await Promise.all([page.waitForURL(/\/sites\/nb-c01\/plan/), page.click("text=打开排班计划")]);
  assert.match(await page.textContent("h1"), /排班计划/);
  const halfHours = await page.locator("table.plan tbody tr").count();
  assert.ok(halfHours > 0, `${halfHours} half hours with demand`);
  await page.screenshot({ path: `${shots}/plan-zh.png` });
  await signOut(page);
  await context.close();
});

test("a regulator sees the figures but no records; keyboard and print", async () => {
  const context = await browser.newContext({ locale: "zh-CN" });
  const page = await context.newPage();
  await signIn(page, "e2e-reg");
  // Keyboard first: on a page just opened, the first Tab reaches the skip link.
  await page.goto(`${base}/evaluations`);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), "跳到正文");
  // Printed, the page drops its menus and forms.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top").isVisible(), false);
  await page.emulateMedia({ media: "screen" });
  assert.equal(await page.locator("header.top").isVisible(), true);
  await page.goto(`${base}/sites/my-f02`);
  const first = page.locator("table.lines tbody tr th a").first();
  await Promise.all([page.waitForURL(/\/indicators\//), first.click()]);
  assert.equal(await page.locator("table.records").count(), 0);
  assert.match(await page.textContent("p.notice"), /不能查看逐条记录/);
  await signOut(page);
  await context.close();
});
