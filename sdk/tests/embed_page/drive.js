// Drives headless Chromium (playwright-core, the machine's /usr/bin/chromium) for
// sdk/tests/embed_browser.rs: loads the example app's page, waits until the page shows the
// embed SDK's expired state (or a timeout), and prints one JSON line with what it saw.
// Usage: node drive.js URL CHROMIUM_PATH TIMEOUT_MS
const { chromium } = require('playwright-core');

(async () => {
  const [url, executablePath, timeoutMs] = process.argv.slice(2);
  const logs = [];
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-proxy-server',
    ],
  });
  let result = { ok: false };
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(url);
    const states = [];
    const deadline = Date.now() + Number(timeoutMs);
    let state = '';
    while (Date.now() < deadline) {
      state = await page.locator('#state').textContent();
      if (states[states.length - 1] !== state) states.push(state);
      if (state === 'expired' || state.startsWith('error')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const frames = [];
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      frames.push({ url: f.url(), text: await f.locator('body').textContent().catch((e) => String(e)) });
    }
    result = { ok: true, state, states, frames, userAgent: await page.evaluate(() => navigator.userAgent) };
  } catch (e) {
    result = { ok: false, error: String(e) };
  } finally {
    await browser.close();
  }
  result.logs = logs;
  console.log(JSON.stringify(result));
})();
