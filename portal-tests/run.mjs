// End-to-end tests of the My Access portal in headless Chromium (Debian's `chromium`, driven by
// playwright-core). Starts a real `grantd serve --demo` on a temporary data directory and a free
// port, walks the main flows as demo users, checks every main page with axe-core (no serious or
// critical violations), and saves screenshots to docs/portal/.
//
// Environment: PORTAL_GRANTD_BIN (default ../target/debug/grantd), CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const bin = process.env.PORTAL_GRANTD_BIN || path.join(root, "target", "debug", "grantd");
const shots = path.join(root, "docs", "portal");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SALES_TOOLS = "5e3ba5e5-0000-4000-8000-000000040001";

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(base, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`grantd exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("grantd did not become healthy");
}

const results = [];
async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n${e.stack || e}`);
    throw e;
  }
}

async function axeCheck(page, label) {
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = r.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const text = bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  assert.deepEqual(text, [], `axe on ${label}`);
  return r.violations.length;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

async function signIn(page, base, name, role = "none") {
  await page.goto(`${base}/signin`);
  await page.getByLabel(name, { exact: false }).first().check();
  await page.getByLabel("Directory role").selectOption(role);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/packages/);
}

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/signin/);
}

/// Reloads a request page until its state reads `want`.
async function waitState(page, want) {
  for (let i = 0; i < 100; i++) {
    const s = (await page.locator("#request-state").textContent()).trim();
    if (s === want) return;
    await new Promise((r) => setTimeout(r, 100));
    await page.reload();
  }
  assert.equal((await page.locator("#request-state").textContent()).trim(), want);
}

async function main() {
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(path.join(tmpdir(), "grantd-portal-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, GRANTD_LOG: process.env.GRANTD_LOG || "warn" };
  const child = spawn(bin, ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", dir], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
  });
  let browser;
  try {
    await waitHealthy(base, child);
    // An administrator adds a policy with questions to Sales Tools through the Graph API.
    const token = execFileSync(bin, ["token", "--data-dir", dir, "--user", "megan@contoso.example", "--role", "IdentityGovernanceAdministrator"], { env }).toString().trim();
    const created = await fetch(`${base}/v1.0/identityGovernance/entitlementManagement/assignmentPolicies`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        displayName: "Employees, questions and manager approval",
        description: "Tell us your region and cost center.",
        allowedTargetScope: "allMemberUsers",
        expiration: { type: "afterDuration", duration: "P30D" },
        requestorSettings: { enableTargetsToSelfAddAccess: true, enableTargetsToSelfUpdateAccess: true, enableTargetsToSelfRemoveAccess: true },
        requestApprovalSettings: {
          isApprovalRequiredForAdd: true,
          isApprovalRequiredForUpdate: false,
          isRequestorJustificationRequired: true,
          stages: [{ durationBeforeAutomaticDenial: "P7D", primaryApprovers: [{ "@odata.type": "#microsoft.graph.requestorManager", managerLevel: 1 }] }],
        },
        questions: [
          {
            "@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion",
            sequence: 1, isRequired: true, isAnswerEditable: true, text: "Which region do you sell in?",
            isMultipleSelectionAllowed: false,
            choices: [
              { actualValue: "EMEA", text: "Europe, Middle East and Africa" },
              { actualValue: "AMER", text: "Americas" },
              { actualValue: "APAC", text: "Asia Pacific" },
            ],
          },
          {
            "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion",
            sequence: 2, isRequired: true, isAnswerEditable: true, text: "Cost center (four digits)",
            isSingleLineQuestion: true, regexPattern: "[0-9]{4}",
          },
        ],
        accessPackage: { id: SALES_TOOLS },
      }),
    });
    assert.equal(created.status, 201, await created.text());

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    // bypassCSP lets the test inject axe-core: the portal's CSP refuses inline script, as it should.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await ctx.newPage();
    let salesRequest;
    let approvalPath;

    await step("signing in shows the demo users and lands on the packages", async () => {
      await page.goto(base);
      await page.waitForURL(/\/signin/);
      await axeCheck(page, "sign-in");
      await shot(page, "signin");
      await signIn(page, base, "Lidia Holloway");
      await page.getByRole("heading", { name: "Access packages" }).waitFor();
      await axeCheck(page, "packages");
      await shot(page, "packages");
    });

    await step("search narrows the packages", async () => {
      await page.getByLabel("Search packages").fill("sales");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("link", { name: "Sales Tools", exact: true }).waitFor();
      assert.equal(await page.getByRole("link", { name: "Engineering Onboarding", exact: true }).count(), 0);
      // Finance Reports is only for the finance group: never listed for Lidia.
      await page.goto(`${base}/packages`);
      assert.equal(await page.getByRole("link", { name: "Finance Reports" }).count(), 0);
    });

    await step("a package needing approval is requested with answers; errors show next to fields", async () => {
      await page.getByRole("link", { name: "Sales Tools", exact: true }).click();
      await page.getByRole("heading", { name: "Sales Tools" }).waitFor();
      await axeCheck(page, "package");
      await shot(page, "package");
      await page.getByRole("link", { name: /Request with .Employees, questions/ }).click();
      await page.getByRole("heading", { name: "Request Sales Tools" }).waitFor();
      await page.getByLabel(/Cost center/).fill("12ab");
      await page.getByRole("button", { name: "Submit request" }).click();
      // Empty required fields are all flagged at once.
      await page.locator("#justification-error").waitFor();
      await page.locator("#answer-0-error").waitFor();
      await page.getByLabel(/Justification/).fill("I join the EMEA sales team next week.");
      await page.getByLabel(/Which region/).selectOption("EMEA");
      await page.getByRole("button", { name: "Submit request" }).click();
      // The pattern is the policy's rule: the domain refuses and the portal puts it by the field.
      await page.locator("#answer-1-error").waitFor();
      assert.match(await page.locator("#answer-1-error").textContent(), /expected format/);
      assert.equal(await page.locator("#answer-1").getAttribute("aria-invalid"), "true");
      await axeCheck(page, "request form with errors");
      await shot(page, "request-form");
      await page.getByLabel(/Cost center/).fill("4711");
      await page.getByRole("button", { name: "Submit request" }).click();
      await page.waitForURL(/\/requests\/[0-9a-f-]+\?submitted=1/);
      salesRequest = new URL(page.url()).pathname;
      await waitState(page, "Pending approval");
      await page.getByText("Europe, Middle East and Africa").waitFor();
      await axeCheck(page, "request result");
      await shot(page, "request");
    });

    await step("a CSRF-less form post is refused with the 403 page", async () => {
      const r = await page.request.post(`${base}${salesRequest}/cancel`, { form: { nothing: "here" }, maxRedirects: 0 });
      assert.equal(r.status(), 403);
      assert.match(await r.text(), /security token/);
      const forged = await page.request.post(`${base}${salesRequest}/cancel`, { form: { csrf: "forged" }, maxRedirects: 0 });
      assert.equal(forged.status(), 403);
      await page.goto(`${base}${salesRequest}`);
      await waitState(page, "Pending approval");
    });

    await step("a package without approval is delivered and shows in My access", async () => {
      await page.goto(`${base}/packages`);
      await page.getByRole("link", { name: "Engineering Onboarding", exact: true }).click();
      await page.getByRole("link", { name: /Request with/ }).click();
      await page.getByRole("button", { name: "Submit request" }).click();
      await page.waitForURL(/\/requests\//);
      await waitState(page, "Delivered");
      await page.getByRole("link", { name: "My access", exact: true }).click();
      await page.getByRole("link", { name: "Engineering Onboarding", exact: true }).waitFor();
    });

    await step("access is extended, then removed", async () => {
      await page.getByRole("link", { name: "Extend Engineering Onboarding" }).click();
      await page.getByLabel("Justification").fill("Still onboarding.");
      await page.getByRole("button", { name: "Request extension" }).click();
      await page.waitForURL(/\/requests\//);
      await page.getByText("User extend").waitFor();
      await waitState(page, "Delivered");
      await page.getByRole("link", { name: "My access", exact: true }).click();
      await page.getByRole("button", { name: "Remove Engineering Onboarding" }).click();
      await page.waitForURL(/\/requests\//);
      await waitState(page, "Delivered");
      await page.getByRole("link", { name: "My access", exact: true }).click();
      await page.getByRole("heading", { name: "Past access" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Remove Engineering Onboarding" }).count(), 0);
      await signOut(page);
    });

    await step("the approver reviews the request with its answers and approves it", async () => {
      await signIn(page, base, "Johanna Lorenz");
      await page.getByRole("link", { name: "Approvals" }).click();
      await page.getByRole("heading", { name: "Lidia Holloway asks for Sales Tools" }).waitFor();
      await page.getByText("I join the EMEA sales team next week.").waitFor();
      await page.getByText("4711").waitFor();
      await axeCheck(page, "approvals");
      await shot(page, "approvals");
      await page.getByRole("link", { name: "Review the request of Lidia Holloway for Sales Tools" }).click();
      await page.waitForURL(/\/approvals\/[0-9a-f-]+$/);
      approvalPath = new URL(page.url()).pathname;
      assert.equal(approvalPath.replace("/approvals/", ""), salesRequest.replace("/requests/", ""));
      await page.getByRole("heading", { name: "Your decision (Stage 1 of 1)" }).waitFor();
      await page.getByText("Europe, Middle East and Africa").waitFor();
      // A decision posted without the session's token is refused and changes nothing.
      const stage = await page.locator("input[name=stage]").getAttribute("value");
      const r = await page.request.post(`${base}${approvalPath}`, { form: { stage, decision: "approve" }, maxRedirects: 0 });
      assert.equal(r.status(), 403);
      assert.match(await r.text(), /security token/);
      await page.reload();
      await page.getByRole("heading", { name: "Your decision (Stage 1 of 1)" }).waitFor();
      await page.getByLabel("Justification").fill("Welcome to the EMEA team.");
      await axeCheck(page, "approval");
      await shot(page, "approval");
      await page.getByRole("button", { name: "Approve" }).click();
      await page.waitForURL(/\?decided=1$/);
      await page.getByText("You approved this request.").waitFor();
      assert.equal(await page.getByRole("button", { name: "Approve" }).count(), 0);
      await page.getByText("Welcome to the EMEA team.").waitFor();
      await axeCheck(page, "approval decided");
      await page.getByRole("link", { name: "Approvals", exact: true }).first().click();
      await page.getByRole("heading", { name: "Past decisions" }).waitFor();
      await page.getByText("No request is waiting for your approval.").waitFor();
      const row = page.getByRole("row", { name: /Sales Tools.*Lidia Holloway/ });
      await row.getByText("Approved").waitFor();
      await axeCheck(page, "approvals with past decisions");
      await shot(page, "approvals-past");
      await signOut(page);
    });

    await step("the requester sees the approved access delivered", async () => {
      await signIn(page, base, "Lidia Holloway");
      await page.goto(`${base}${salesRequest}`);
      await waitState(page, "Delivered");
      await page.getByRole("link", { name: "My access", exact: true }).click();
      await page.getByRole("link", { name: "Sales Tools", exact: true }).waitFor();
      await axeCheck(page, "my access");
      await shot(page, "access");
      await signOut(page);
    });

    await step("another pending request is cancelled from My requests", async () => {
      await signIn(page, base, "Lynne Robbins");
      await page.goto(`${base}/packages/${SALES_TOOLS}`);
      await page.getByRole("link", { name: /Request with .Employees, manager approval/ }).click();
      await page.getByLabel(/Justification/).fill("Covering for a colleague.");
      await page.getByLabel(/Which sales region/).selectOption("APAC");
      await page.getByRole("button", { name: "Submit request" }).click();
      await page.waitForURL(/\/requests\/[0-9a-f-]+\?submitted=1/);
      await waitState(page, "Pending approval");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My requests" }).click();
      await axeCheck(page, "my requests");
      await shot(page, "requests");
      await page.getByRole("button", { name: "Cancel the request for Sales Tools" }).click();
      await waitState(page, "Canceled");
    });

    await step("an end user has no admin pages", async () => {
      assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0);
      const r = await page.request.get(`${base}/admin`);
      assert.equal(r.status(), 403);
      await signOut(page);
    });

    await step("the administrator searches requests and reads a timeline", async () => {
      await signIn(page, base, "Megan Bowen", "admin");
      await page.getByRole("link", { name: "Admin" }).click();
      await page.getByRole("heading", { name: "Policies" }).waitFor();
      await page.getByRole("cell", { name: "Employees, questions and manager approval" }).waitFor();
      await axeCheck(page, "admin");
      await shot(page, "admin");
      await page.getByRole("link", { name: "Search requests" }).click();
      await page.getByLabel("User").selectOption({ label: "Lynne Robbins" });
      await page.getByLabel("State").selectOption("canceled");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("link", { name: "Sales Tools", exact: true }).click();
      await page.getByRole("heading", { name: "Audit log" }).waitFor();
      await page.getByText("assignmentRequest.cancel").waitFor();
      await axeCheck(page, "request timeline");
      await shot(page, "admin-request");
    });

    await step("the pages fit a phone", async () => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
      const p = await phone.newPage();
      await signIn(p, base, "Lidia Holloway");
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      assert.equal(overflow, false, "no horizontal scrolling on a phone");
      await axeCheck(p, "packages on a phone");
      await shot(p, "phone-packages");
      // The approver's pages too: the list with past decisions and the decided approval.
      await p.context().clearCookies();
      await signIn(p, base, "Johanna Lorenz");
      for (const where of ["/approvals", approvalPath]) {
        await p.goto(`${base}${where}`);
        const wide = await p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
        assert.equal(wide, false, `no horizontal scrolling on a phone at ${where}`);
        await axeCheck(p, `${where} on a phone`);
      }
      await phone.close();
    });
  } finally {
    if (browser) await browser.close();
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    rmSync(dir, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  // The form CI's summary line counts (as cargo prints it).
  console.log(`test result: ${failed ? "FAILED" : "ok"}. ${results.length - failed} passed; ${failed} failed`);
  if (failed) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
