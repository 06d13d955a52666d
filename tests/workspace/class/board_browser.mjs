// board_browser.mjs: the class board in headless Chromium, for
// tests/workspace/class/test_class.py (and the teacher's guide's screenshots).
//
//   node board_browser.mjs URL CHROMIUM SHOTS_DIR     (cwd: tools/browser)
//
// Prints one JSON object a line: {"event": "ready"} once the board is live,
// then answers the commands read from stdin (one JSON object a line):
//   {"cmd": "lang", "lang": "en"|"ko"}  -> {"event": "lang", "title", "heading"}
//   {"cmd": "watch", "name": N}         -> {"event": "seen", "name", "cell", "at"}
//        when N's row first shows a report (at: Date.now() in ms)
//   {"cmd": "history", "name": N}       -> {"event": "history", "rows", "text"}
//   {"cmd": "lists"}                    -> {"event": "lists", "stuck", "tests"}
//   {"cmd": "shot"}                     -> SHOTS_DIR/board-en.png, board-ko.png; {"event": "shot"}
//   {"cmd": "quit"}
import { createRequire } from "node:module";
import path from "node:path";
import readline from "node:readline";

const require = createRequire(path.join(process.cwd(), "package.json"));
const { chromium } = require("playwright-core");

const [url, executablePath, shots] = process.argv.slice(2);
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-background-networking"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 600 }, locale: "en-US" });
page.on("pageerror", (e) => emit({ event: "error", message: "page error: " + e.message }));
await page.exposeFunction("boardSeen", (name, cell) => emit({ event: "seen", name, cell, at: Date.now() }));
await page.goto(url);
await page.waitForSelector("#live:not(.off)", { timeout: 20000 });
emit({ event: "ready" });

async function setLang(lang) {
  if ((await page.evaluate(() => document.documentElement.lang)) !== lang) await page.click("#lang");
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
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
    await page.locator("#grid td.name", { hasText: name }).first().click();
    await page.waitForSelector("#history[open] tbody tr");
    const [rows, text] = await page.evaluate(() => {
      const body = document.querySelector("#history tbody");
      return [body.querySelectorAll("tr").length, body.textContent];
    });
    await page.click("#history form button");
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
      await page.screenshot({ path: path.join(shots, `board-${lang}.png`), fullPage: true });
    }
    emit({ event: "shot" });
  },
};

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
await browser.close();
process.exit(0);
