// GraphiQL as a developer meets it, in a real Chromium that can reach nothing but the API:
// the page loads, the preloaded Customer 360 runs with the token the page came with, the
// Docs open, a subscription typed into the editor receives a change made meanwhile.
//
// node graphiql.mjs CONFIG.json — CONFIG: {url, chromium, screenshot, subscription (run with
// the editor's variables), change: {query} (run with {customer: the variables' id}), expect}.
// Prints one JSON object with what it saw.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const origin = new URL(config.url).origin;
const seen = { blocked: [], consoleErrors: [], pageErrors: [] };

const browser = await chromium.launch({
  executablePath: config.chromium,
  // No sandbox as root; nothing in the background that would reach for the network.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  // Offline but for the API itself: every other request fails, and is recorded.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:")) return route.continue();
    seen.blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") seen.consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => seen.pageErrors.push(String(error)));

  await page.goto(config.url, { waitUntil: "load" });
  const editor = page.locator(".graphiql-query-editor .CodeMirror");
  await editor.waitFor();
  seen.title = await page.title();

  // The preloaded document, run as a user would: the execute button.
  const answered = page.waitForResponse(
    (r) => r.url() === config.url && r.request().method() === "POST" &&
      (r.request().postData() || "").includes("Customer360"),
  );
  await page.locator(".graphiql-execute-button").click();
  const response = await answered;
  seen.customer360 = { status: response.status(), body: await response.json() };
  const result = page.locator(".graphiql-response .CodeMirror");
  await result.filter({ hasText: '"orders"' }).waitFor();

  // The schema's documentation, from the page's introspection.
  await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
  const docs = page.locator(".graphiql-doc-explorer");
  await docs.filter({ hasText: "Root Types" }).waitFor();
  seen.docs = (await docs.innerText()).slice(0, 400);
  await page.screenshot({ path: config.screenshot });

  // A subscription over the page's WebSocket, authenticated with the same headers.
  const sockets = [];
  page.on("websocket", (socket) => {
    const frames = [];
    sockets.push({ url: socket.url(), frames });
    socket.on("framereceived", (frame) => frames.push(String(frame.payload)));
  });
  await page.evaluate((text) => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(text);
  }, config.subscription);
  // GraphiQL takes in an edit (its operation name included) a moment later, then puts the
  // document in the page's address: run it only then.
  await page.waitForFunction(
    (text) => new URLSearchParams(location.search).get("q") === text,
    config.subscription,
  );
  await page.locator(".graphiql-execute-button").click();
  const acknowledged = async () => sockets.some((s) => s.frames.some((f) => f.includes('"connection_ack"')));
  for (let waited = 0; !(await acknowledged()); waited += 50) {
    if (waited > 15000) throw new Error(`no connection_ack: ${await result.innerText()}`);
    await page.waitForTimeout(50);
  }
  // The change, made by the page itself with the page's own token.
  seen.change = await page.evaluate(async ({ url, change }) => {
    // The headers and variables editors: the token, and the customer the 360 shows.
    const editors = [...document.querySelectorAll(".graphiql-editor-tool .CodeMirror")];
    const texts = editors.map((e) => e.CodeMirror.getValue());
    const headers = JSON.parse(texts.find((v) => v.includes("Authorization")));
    const { id } = JSON.parse(texts.find((v) => v.includes('"id"')));
    const answer = await fetch(url, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ query: change.query, variables: { customer: id } }),
    });
    return answer.json();
  }, { url: config.url, change: config.change });
  await result.filter({ hasText: config.expect }).waitFor({ timeout: 15000 });
  seen.subscription = (await result.innerText()).slice(0, 600);
  seen.sockets = sockets.map((s) => ({ url: s.url, frames: s.frames.length }));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
