// board_browser.mjs: the class board in a headless browser, for
// tests/workspace/class/test_class.py (and the teacher's guide's screenshots).
//
//   node board_browser.mjs URL BROWSER EXECUTABLE SHOTS_DIR     (cwd: tools/browser)
//
// BROWSER is chromium (Debian's, driven by playwright-core) or firefox
// (Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi:
// Playwright's Firefox is a patched build of its own, which Debian does not
// ship). Both run the same commands below, through the few page calls the
// two libraries share (goto, evaluate, click, waitForSelector, screenshot,
// exposeFunction); launch() and newPage() hold what differs.
//
// Prints one JSON object a line: {"event": "ready", "version", "at"} once the
// board is live, then answers the commands read from stdin (one JSON object a line):
//   {"cmd": "lang", "lang": "en"|"ko"}  -> {"event": "lang", "title", "heading"}
//   {"cmd": "watch", "name": N}         -> {"event": "seen", "name", "cell", "at"}
//        when N's row first shows a report (at: Date.now() in ms)
//   {"cmd": "history", "name": N}       -> {"event": "history", "rows", "text"}
//   {"cmd": "lists"}                    -> {"event": "lists", "stuck", "tests"}
//   {"cmd": "shot"}                     -> SHOTS_DIR/board-en-BROWSER.png, board-ko-BROWSER.png; {"event": "shot"}
//   {"cmd": "quit"}
// Whatever happens, the browser is closed before this script ends.
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";

const require = createRequire(path.join(process.cwd(), "package.json"));

const [url, kind, executablePath, shots] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const VIEWPORT = { width: 1280, height: 600 };

// The headless browser: Browser objects of the two libraries, alike in
// what is used here (version, newPage, close).
async function launch() {
  if (kind === "chromium") {
    const { chromium } = require("playwright-core");
    return chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking"],
    });
  }
  if (kind === "firefox") {
    const puppeteer = require("puppeteer-core");
    return puppeteer.launch({
      browser: "firefox",
      executablePath,
      headless: true,
      extraPrefsFirefox: { "intl.accept_languages": "en-US", "intl.locale.requested": "en-US" },
    });
  }
  throw new Error(`unknown browser '${kind}' (chromium or firefox)`);
}

// A page of VIEWPORT's size.
async function newPage() {
  if (kind === "chromium") return browser.newPage({ viewport: VIEWPORT, locale: "en-US" });
  const page = await browser.newPage();
  // With the viewport puppeteer also sends emulation.setScreenOrientationOverride,
  // which Firefox 140 ESR (Debian 12 without its security updates) does not
  // know; the viewport is set all the same (run() checks the page's size).
  await page.setViewport(VIEWPORT).catch((e) => {
    if (!e.message.includes("unknown command emulation.setScreenOrientationOverride")) throw e;
  });
  return page;
}

// Resolves once fn(arg), run in the page, is true. Not the libraries'
// waitForFunction: puppeteer's builds a Function() in the page, which the
// board's Content-Security-Policy blocks in Firefox 140.
async function waitFor(fn, arg, timeout = 10000) {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(fn, arg))) {
    if (Date.now() > end) throw new Error(`not true within ${timeout} ms: ${fn}`);
    await new Promise((next) => setTimeout(next, 20));
  }
}

async function run() {
  page.on("pageerror", (e) => emit({ event: "error", message: "page error: " + (e.message || e) }));
  await page.exposeFunction("boardSeen", (name, cell) => emit({ event: "seen", name, cell, at: Date.now() }));
  await page.goto(url);
  const size = await page.evaluate(() => [window.innerWidth, window.innerHeight]);
  if (size[0] !== VIEWPORT.width || size[1] !== VIEWPORT.height) {
    throw new Error(`the page is ${size[0]}x${size[1]} px, not ${VIEWPORT.width}x${VIEWPORT.height}`);
  }
  await page.waitForSelector("#live:not(.off)", { timeout: 20000 });
  emit({ event: "ready", version: await browser.version(), at: Date.now() });

  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line);
    if (msg.cmd === "quit") break;
    try {
      await commands[msg.cmd](msg);
    } catch (e) {
      emit({ event: "error", message: `${msg.cmd}: ${e.message}` });
    }
  }
  rl.close();
}

async function setLang(lang) {
  if ((await page.evaluate(() => document.documentElement.lang)) !== lang) await page.click("#lang");
  await waitFor((l) => document.documentElement.lang === l, lang);
}

const commands = {
  async lang({ lang }) {
    await setLang(lang);
    const [title, heading] = await page.evaluate(() => [document.title, document.querySelector("#grid th").textContent]);
    emit({ event: "lang", title, heading });
  },
  async watch({ name }) {
    // A MutationObserver in the page: the moment the row has a report.
    await page.evaluate((name) => {
      const look = () => {
        const row = [...document.querySelectorAll("#grid tbody tr")].find((r) => r.dataset.learner === name);
        const cell = row && row.querySelector("td[data-passed]");
        if (!cell) return false;
        window.boardSeen(name, cell.textContent);
        return true;
      };
      if (look()) return;
      const obs = new MutationObserver(() => { if (look()) obs.disconnect(); });
      obs.observe(document.querySelector("#grid tbody"), { childList: true, subtree: true });
    }, name);
  },
  async history({ name }) {
    // Names hold no control characters (the server refuses them): JSON quotes them for CSS.
    await page.click(`#grid tbody tr[data-learner=${JSON.stringify(name)}] td.name`);
    await page.waitForSelector("#history[open] tbody tr");
    const [rows, text] = await page.evaluate(() => {
      const body = document.querySelector("#history tbody");
      return [body.querySelectorAll("tr").length, body.textContent];
    });
    await page.click("#history form button");
    await waitFor(() => !document.querySelector("#history").open);
    emit({ event: "history", rows, text });
  },
  async lists() {
    const [stuck, tests] = await page.evaluate(() =>
      [document.querySelector("#stuck").textContent, document.querySelector("#tests").textContent]);
    emit({ event: "lists", stuck, tests });
  },
  async shot() {
    for (const lang of ["en", "ko"]) {
      await setLang(lang);
      await page.screenshot({ path: path.join(shots, `board-${lang}-${kind}.png`), fullPage: true });
    }
    emit({ event: "shot" });
  },
};

let browser, page;
try {
  browser = await launch();
} catch (e) {
  emit({ event: "error", message: `${kind} did not start: ${e.message}` });
  process.exit(1);
}
try {
  page = await newPage();
  await run();
} catch (e) {
  emit({ event: "error", message: `${kind}: ${e.message}` });
} finally {
  await browser.close();
}
process.exit(0);
