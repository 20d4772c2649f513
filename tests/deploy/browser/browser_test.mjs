// The bundled site in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Starts cgikitd on a free port serving www/ and the example programs, then as a person would:
// loads the index page, fills in and submits the form (once wrong, once right), uploads two real
// files, signs the guestbook, stamps a text, and checks what each resulting page shows. A
// screenshot of every page goes to the screenshot directory. Everything it starts is stopped.
//
// Usage: node browser_test.mjs CGIKITD EXAMPLES_DIR WWW_DIR SCREENSHOT_DIR
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [cgikitd, examplesDir, wwwDir, screenshotDir] = process.argv.slice(2);
if (!screenshotDir) {
  console.error('usage: node browser_test.mjs CGIKITD EXAMPLES_DIR WWW_DIR SCREENSHOT_DIR');
  process.exit(2);
}

// Bounds: the server's start-up, each browser action, and the whole run.
const SERVER_START_MS = 30_000;
const ACTION_MS = 30_000;
const WHOLE_RUN_MS = 300_000;
// Chromium as the issue prescribes: headless, no sandbox (we may be root), nothing phoning home.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run',
];

const scratch = mkdtempSync(join(tmpdir(), 'cgikit-browser-'));
chmodSync(scratch, 0o755);
const profileDir = join(scratch, 'profile');  // a fresh --user-data-dir
const databaseDir = join(scratch, 'db');
mkdirSync(databaseDir);
chmodSync(databaseDir, 0o1777);  // the CGI user (nobody, under root) writes the guestbook here
mkdirSync(screenshotDir, { recursive: true });

let server = null;
let context = null;
let passed = 0;
let failed = 0;

async function cleanUp() {
  if (context) await context.close().catch(() => {});
  context = null;
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(scratch, { recursive: true, force: true });
}

const watchdog = setTimeout(async () => {
  console.error(`browser test: still running after ${WHOLE_RUN_MS / 1000} s, giving up`);
  await cleanUp();
  process.exit(1);
}, WHOLE_RUN_MS);

// cgikitd on 127.0.0.1:<free port>; resolves with the base URL from its "listening on" line.
function startServer() {
  const config = join(scratch, 'cgikitd.json');
  writeFileSync(config, JSON.stringify({
    root: wwwDir,
    cgi: {
      bin: [{ prefix: '/cgi-bin/', dir: examplesDir }],
      env: { CGIKIT_GUESTBOOK_DB: join(databaseDir, 'guestbook.sqlite3') },
    },
  }));
  server = spawn(cgikitd, ['--config', config, '--listen', '127.0.0.1:0', '--workers', '2',
    '--access-log', 'off', '--error-log', '-'], { stdio: ['ignore', 'inherit', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`cgikitd did not start:\n${log}`)),
      SERVER_START_MS);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.once('exit', (code) => reject(new Error(`cgikitd exited (${code}):\n${log}`)));
  });
}

async function step(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n${error.stack ?? error}`);
  }
}

async function screenshot(page, name) {
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`  screenshot: ${path}`);
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

try {
  const base = await startServer();
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  context.setDefaultTimeout(ACTION_MS);
  const page = context.pages()[0] ?? await context.newPage();

  // Submits `form` and waits for the page the server answers with; returns its HTTP status.
  async function submit(formSelector) {
    const [response] = await Promise.all([
      page.waitForNavigation(),
      page.locator(`${formSelector} button[type=submit]`).click(),
    ]);
    return response.status();
  }

  await step('the index page explains cgikit and links every example', async () => {
    const response = await page.goto(base);
    assert.equal(response.status(), 200);
    assert.match(await page.title(), /cgikit/);
    assert.equal(await page.locator('.hero h1').textContent(), 'CGI, done carefully');
    for (const example of ['hello', 'env', 'form', 'upload', 'form_dump', 'guestbook', 'time']) {
      assert.equal(await page.locator(`ul.examples a[href^="cgi-bin/${example}"]`).count() > 0,
        true, `a link to ${example}`);
    }
    // The stylesheet applied: the header bar is dark, not the browser's default.
    const headerColour = await page.locator('header.site')
      .evaluate((element) => getComputedStyle(element).backgroundColor);
    assert.equal(headerColour, 'rgb(29, 35, 48)');
    await screenshot(page, 'index');
  });

  await step('the form shows each error next to its field', async () => {
    await page.goto(base);
    await page.fill('#contact-form #name', 'Ada');
    await page.fill('#contact-form #email', 'not an address');
    await page.fill('#contact-form #age', 'abc');
    assert.equal(await submit('#contact-form'), 422);
    assert.match(await page.locator('#summary').textContent(), /correct the 3 field/);
    assert.match(await page.locator('#email-error').textContent(), /name@example\.org/);
    assert.match(await page.locator('#age-error').textContent(), /whole number from 1 to 150/);
    assert.match(await page.locator('#colour-error').textContent(), /Pick one/);
    assert.equal(await page.locator('#name-error').count(), 0);
    assert.equal(await page.inputValue('#email'), 'not an address');  // kept for correction
    await screenshot(page, 'form-errors');
  });

  await step('the form, filled in properly, is summarised', async () => {
    await page.goto(base);
    await page.fill('#contact-form #name', 'Ada <Lovelace>');
    await page.fill('#contact-form #email', 'ada@example.org');
    await page.fill('#contact-form #age', '36');
    await page.selectOption('#contact-form #colour', 'green');
    await page.check('#contact-form input[name=topic][value=library]');
    await page.check('#contact-form input[name=topic][value=apache]');
    await page.fill('#contact-form #comment', 'Two lines:\n<script>alert(1)</script> & more');
    assert.equal(await submit('#contact-form'), 200);
    assert.match(await page.locator('#summary').textContent(), /Thank you/);
    const accepted = await page.locator('#accepted dd').allTextContents();
    assert.deepEqual(accepted, ['Ada <Lovelace>', 'ada@example.org', '36', 'green',
      'library, apache', 'Two lines:\n<script>alert(1)</script> & more']);
    assert.equal(await page.locator('#accepted script').count(), 0);  // text, never markup
    await screenshot(page, 'form-result');
  });

  await step('two real files are uploaded and fingerprinted', async () => {
    const text = Buffer.from('Hello from a real file.\n');
    const binary = Buffer.alloc(150_000);
    for (let i = 0; i < binary.length; i += 1) binary[i] = (i * 7919 + 13) % 251;
    const textPath = join(scratch, 'notes.txt');
    const binaryPath = join(scratch, 'data.bin');
    writeFileSync(textPath, text);
    writeFileSync(binaryPath, binary);
    await page.goto(base);
    await page.setInputFiles('#upload-form #files', [textPath, binaryPath]);
    await page.fill('#upload-form #note', 'from Chromium');
    assert.equal(await submit('#upload-form'), 200);
    assert.match(await page.locator('#summary').textContent(),
      /Received 2 files with the note “from Chromium”/);
    const rows = await page.locator('#files tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['notes.txt', String(text.length), 'text/plain', sha256(text)],
      ['data.bin', String(binary.length), 'application/octet-stream', sha256(binary)],
    ]);
    await screenshot(page, 'upload-result');
  });

  await step('the guestbook stores a post and lists it, escaped, newest first', async () => {
    for (const [name, message] of [['First visitor', 'Hello!'],
      ['Grace <Hopper>', 'Signed from Chromium & <b>not bold</b>']]) {
      await page.goto(base);
      await page.fill('#guestbook-form #gb-name', name);
      await page.fill('#guestbook-form #gb-message', message);
      assert.equal(await submit('#guestbook-form'), 200);  // after the 303 to the list
    }
    assert.match(page.url(), /\/cgi-bin\/guestbook$/);
    assert.equal(await page.locator('#count').textContent(), '2');
    assert.deepEqual(await page.locator('#entries .name').allTextContents(),
      ['Grace <Hopper>', 'First visitor']);
    assert.deepEqual(await page.locator('#entries .message').allTextContents(),
      ['Signed from Chromium & <b>not bold</b>', 'Hello!']);
    assert.equal(await page.locator('#entries b').count(), 0);
    await screenshot(page, 'guestbook');
  });

  await step('the guestbook refuses an empty message and says why', async () => {
    await page.fill('#name', 'Nobody');
    assert.equal(await submit('form.card'), 422);
    assert.match(await page.locator('#message-error').textContent(), /Please fill this in/);
    assert.equal(await page.locator('#count').textContent(), '2');
    await screenshot(page, 'guestbook-error');
  });

  await step('the time service stamps the text', async () => {
    await page.goto(base);
    await page.fill('#time-form #time-text', 'first\nsecond');
    assert.equal(await submit('#time-form'), 200);
    const text = (await page.locator('body').innerText()).trimEnd();
    assert.match(text, /^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] first\n\[.*\] second$/);
    await screenshot(page, 'time-result');
  });

  await step('env shows the request', async () => {
    const response = await page.goto(`${base}cgi-bin/env?from=chromium`);
    assert.equal(response.status(), 200);
    const query = await page.locator('#environment tr', { hasText: 'QUERY_STRING' })
      .locator('td').textContent();
    assert.equal(query, 'from=chromium');
    await screenshot(page, 'env');
  });
} catch (error) {
  failed += 1;
  console.log(`not ok - setting up\n${error.stack ?? error}`);
} finally {
  clearTimeout(watchdog);
  await cleanUp();
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
