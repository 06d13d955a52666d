// test_site.mjs: the built lesson site (both languages) in a real browser.
//
// Serves the site on 127.0.0.1 (a free port, from this process; a missing
// address gets the site's 404.html with status 404, as a static host does),
// drives Debian's Chromium headless through playwright-core (pinned in
// tools/browser/package-lock.json), and checks:
//
//   - every page of both languages loads with no console error and no
//     request outside 127.0.0.1 (such a request is also blocked);
//   - every diagram is drawn: an SVG with content and an accessible title
//     and description (the alt text);
//   - at 1280 px no diagram or code block is cut off; at 390 px the page
//     never scrolls sideways and no diagram is wider than the screen;
//   - the theme's search box finds the lessons' sections ("deadline" in
//     English, "상태 코드" in Korean);
//   - the language menu names the current language and keeps the section
//     being read; a missing page under ko/ shows the Korean 404 page.
//
// Saves a screenshot of each step page, both languages, at 1280 and 390 px
// into the screenshots folder. Last line: "N passed, M failed"; exit 1 on a
// failure, 2 when it cannot run at all.
//
//   node tests/workspace/site/test_site.mjs [--site build/site] [--shots build/screenshots]
//        [--chromium /usr/bin/chromium] [--only PATTERN]

import { createRequire } from "node:module";
import { createServer } from "node:http";
import { readFileSync, statSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve, extname, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const require = createRequire(join(ROOT, "tools", "browser", "package.json"));

const args = { site: "build/site", shots: "build/screenshots", chromium: "/usr/bin/chromium", only: "" };
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i].replace(/^--/, "");
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error("usage: test_site.mjs [--site DIR] [--shots DIR] [--chromium PATH] [--only PATTERN]");
    process.exit(2);
  }
  args[key] = process.argv[++i];
}
const SITE = resolve(ROOT, args.site);
const SHOTS = resolve(ROOT, args.shots);

let chromium;
try {
  ({ chromium } = require("playwright-core"));
} catch (e) {
  console.error("playwright-core is not installed: run make browser-deps (make setup does it once)");
  process.exit(2);
}
try {
  statSync(args.chromium);
} catch (e) {
  console.error(`no Chromium at ${args.chromium}: run make setup (it installs Debian's chromium)`);
  process.exit(2);
}
try {
  statSync(join(SITE, "index.html"));
} catch (e) {
  console.error(`no built site in ${relative(ROOT, SITE)}: run make docs first`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Checks and their tally

let passed = 0, failed = 0;
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const green = (s) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s) => (tty ? `\x1b[31m${s}\x1b[0m` : s);

// A group of checks of one kind (one per page, say): one line for the
// group, then the failures, each with what was seen.
function report(label, results) {
  const bad = results.filter((r) => !r.ok);
  passed += results.length - bad.length;
  failed += bad.length;
  const mark = bad.length ? red("✗") : green("✓");
  console.log(`  ${mark} ${label} (${results.length - bad.length}/${results.length})`);
  for (const r of bad.slice(0, 12)) console.log(`      ${r.what}: ${r.detail}`);
  if (bad.length > 12) console.log(`      ... and ${bad.length - 12} more`);
}

// ---------------------------------------------------------------------------
// The pages: every index.html of the built site, in each language

function pagesOf(dir, prefix, skip) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (skip.includes(e.name) || e.name === "assets" || e.name === "search") continue;
      out.push(...pagesOf(join(dir, e.name), `${prefix}${e.name}/`, []));
    } else if (e.name === "index.html") {
      out.push(prefix);
    }
  }
  return out.sort();
}
const PAGES = [
  ...pagesOf(SITE, "/", ["ko"]).map((p) => ({ lang: "en", url: p })),
  ...pagesOf(join(SITE, "ko"), "/ko/", []).map((p) => ({ lang: "ko", url: p })),
].filter((p) => !args.only || p.url.includes(args.only));
const isStep = (url) => /\/steps\/[^/]+\/$/.test(url);

// ---------------------------------------------------------------------------
// A static host on 127.0.0.1

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
  ".ico": "image/x-icon", ".xml": "application/xml", ".map": "application/json",
  ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".txt": "text/plain",
};

function serve(req, res) {
  let path;
  try {
    path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  } catch (e) {
    res.writeHead(400).end();
    return;
  }
  let file = resolve(SITE, "." + path);
  if (!file.startsWith(SITE)) {
    res.writeHead(403).end();
    return;
  }
  try {
    if (statSync(file).isDirectory()) {
      if (!path.endsWith("/")) {
        res.writeHead(301, { Location: path + "/" }).end();
        return;
      }
      file = join(file, "index.html");
    }
    const body = readFileSync(file);
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] || "application/octet-stream" });
    res.end(body);
  } catch (e) {
    res.writeHead(404, { "Content-Type": TYPES[".html"] });
    res.end(readFileSync(join(SITE, "404.html")));
  }
}

// ---------------------------------------------------------------------------
// In the page

// Every diagram: drawn? an SVG with content and alt text? cut off?
function diagramsIn() {
  return Array.from(document.querySelectorAll(".cg-diagram")).map((d, i) => {
    const svg = d.querySelector("svg");
    const box = svg ? svg.getBoundingClientRect() : null;
    const col = d.getBoundingClientRect();
    const title = svg && svg.querySelector(":scope > title");
    const desc = svg && svg.querySelector(":scope > desc");
    return {
      i,
      svg: !!svg,
      shapes: svg ? svg.querySelectorAll("path, rect, line, polygon, circle, text").length : 0,
      width: box ? Math.round(box.width) : 0,
      height: box ? Math.round(box.height) : 0,
      title: title ? title.textContent.trim() : "",
      desc: desc ? desc.textContent.trim() : "",
      labelled: svg ? (svg.getAttribute("aria-labelledby") || "") : "",
      overflow: box ? Math.round(box.right - col.right) : 0,
      // drawn size / natural size: below about 0.6 the text is too small to read
      scale: box && svg.viewBox.baseVal && svg.viewBox.baseVal.width
        ? box.width / svg.viewBox.baseVal.width : 0,
      scroll: d.scrollWidth - d.clientWidth,
      text: (d.getAttribute("data-source") || d.textContent || "").slice(0, 40),
    };
  });
}

// Code blocks whose lines do not fit their box at this width.
function cutCode() {
  return Array.from(document.querySelectorAll(".md-typeset pre > code"))
    .filter((c) => c.scrollWidth > c.clientWidth + 1)
    .map((c) => ({
      first: c.textContent.split("\n").find((l) => l.trim()) || "",
      over: c.scrollWidth - c.clientWidth,
    }));
}

function pageScroll() {
  return { doc: document.documentElement.scrollWidth, win: window.innerWidth };
}

// ---------------------------------------------------------------------------

// The page passes give each page an empty search index: every page would
// otherwise index the whole site (900 kB) again, the suite's main cost.
// The search checks below use the real one.
const EMPTY_INDEX = JSON.stringify({ config: { lang: ["en"], separator: "[\\s\\-]+", pipeline: [] }, docs: [] });

async function openPage(context, base, url, seen, stubSearch = false) {
  const page = await context.newPage();
  const errors = [];
  const outside = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (stubSearch && u.hostname === "127.0.0.1" && u.pathname.endsWith("/search/search_index.json")) {
      return route.fulfill({ status: 200, contentType: "application/json", body: EMPTY_INDEX });
    }
    if (u.hostname === "127.0.0.1" || u.protocol === "data:" || u.protocol === "blob:") return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  const resp = await page.goto(base + url, { waitUntil: "load" });
  const status = resp ? resp.status() : 0;
  if (await page.locator(".cg-diagram").count()) {
    await page.waitForSelector("html[data-diagrams]", { timeout: 60000 }).catch(() => {});
  }
  if (seen) seen.push({ url, status, errors, outside });
  return { page, status, errors, outside };
}

function shotName(lang, url, width) {
  const step = url.match(/\/steps\/([^/]+)\//)[1];
  return join(SHOTS, `${lang}-${step}-${width}.png`);
}

const WIDE = { width: 1280, height: 900 };
const MIN_SCALE = 0.6;
const NARROW = { width: 390, height: 844 };

// One page, at both widths: loaded once at 1280 px, checked, then the window
// narrowed to a phone's 390 px (the layout follows the width; the diagrams
// are drawn once and scale) and checked again.
async function checkPage(context, base, { lang, url }, results) {
  const { page, status, errors, outside } = await openPage(context, base, url, null, true);
  results.load.push({ ok: status === 200 && !errors.length && !outside.length, what: url,
    detail: status !== 200 ? `HTTP ${status}` : errors.length ? `console: ${errors[0]}` : `fetched ${outside[0]}` });
  for (const size of [WIDE, NARROW]) {
    const width = size.width, wide = width === WIDE.width;
    if (!wide) {
      await page.setViewportSize(size);
      await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    }
    const where = `${url} @${width}`;
    for (const d of await page.evaluate(diagramsIn)) {
      const what = `${url} diagram ${d.i + 1}`;
      if (wide) {
        results.drawn.push({ ok: d.svg && d.shapes >= 3 && d.width > 40 && d.height > 20, what,
          detail: d.svg ? `an SVG of ${d.shapes} shapes, ${d.width}x${d.height}` : `not drawn: "${d.text}"` });
        results.legible.push({ ok: d.scale >= MIN_SCALE, what,
          detail: `drawn at ${Math.round(d.scale * 100)} % of its size: too wide to read, shorten its lines (<br/>)` });
        results.alt.push({ ok: d.svg && d.title.length > 3 && d.desc.length > 10 && d.labelled !== "", what,
          detail: `title ${JSON.stringify(d.title)}, description ${JSON.stringify(d.desc.slice(0, 30))}` });
      }
      results[wide ? "wideDiagrams" : "narrowDiagrams"].push({
        ok: d.svg && d.overflow <= 1 && d.scroll <= 1, what: `${what} @${width}`,
        detail: `${d.overflow > 1 ? d.overflow : d.scroll} px wider than its column` });
    }
    if (wide) {
      const cut = await page.evaluate(cutCode);
      results.code.push({ ok: cut.length === 0, what: where,
        detail: cut.map((c) => `${c.over} px cut: "${c.first.trim().slice(0, 50)}"`).join("; ") });
    } else {
      const s = await page.evaluate(pageScroll);
      results.narrow.push({ ok: s.doc <= s.win, what: where, detail: `the page is ${s.doc} px wide in ${s.win} px` });
    }
    if (isStep(url)) {
      // From the page's first diagram (or its top), one screen high, two on
      // a phone: a whole lesson is tens of thousands of pixels, slow to take
      // and to look at.
      const { top, total } = await page.evaluate(() => {
        const d = document.querySelector(".cg-diagram");
        const y = d ? d.getBoundingClientRect().top + window.scrollY - 80 : 0;
        return { top: Math.max(0, Math.round(y)), total: document.documentElement.scrollHeight };
      });
      const height = Math.min(wide ? size.height : 2 * size.height, total - top);
      // One screenshot at a time: two at once in one browser come out garbled.
      await exclusive(() => page.screenshot({ path: shotName(lang, url, width), fullPage: true,
                                              clip: { x: 0, y: top, width, height } }));
      results.shots.push(shotName(lang, url, width));
    }
  }
  await page.close();
}

let screenshotLock = Promise.resolve();
function exclusive(job) {
  const run = screenshotLock.then(job);
  screenshotLock = run.catch(() => {});
  return run;
}

// Every page, two at a time (a browser context each).
async function checkPages(browser, base, results) {
  const queue = PAGES.slice();
  const worker = async () => {
    const context = await browser.newContext({ viewport: WIDE, deviceScaleFactor: 1 });
    while (queue.length) await checkPage(context, base, queue.shift(), results);
    await context.close();
  };
  await Promise.all([worker(), worker()]);
}

async function searchFinds(context, base, home, term, want, results) {
  const { page } = await openPage(context, base, home);
  let hits = [];
  try {
    await page.click("input.md-search__input");
    await page.fill("input.md-search__input", term);
    await page.waitForSelector(".md-search-result__item", { timeout: 15000 });
    hits = await page.$$eval(".md-search-result__item a", (as) => as.map((a) => a.getAttribute("href")));
  } catch (e) {
    hits = [];
  }
  const sections = hits.filter((h) => want.test(h));
  results.push({ ok: sections.length > 0, what: `"${term}" on ${home}`,
    detail: hits.length ? `results: ${hits.slice(0, 5).join(", ")}` : "no results" });
  await page.close();
}

async function switchKeeps(context, base, from, section, to, results) {
  const { page } = await openPage(context, base, from);
  let got = "", name = "", heading = false;
  try {
    name = (await page.textContent(".cg-lang-name")).trim();
    // Read down to the section (no #section in the address), then switch.
    await page.evaluate((id) => {
      const h = document.getElementById(id);
      window.scrollTo({ top: h.getBoundingClientRect().top + window.scrollY - 70, behavior: "instant" });
    }, section);
    await page.waitForFunction((id) => Math.abs(document.getElementById(id).getBoundingClientRect().top - 70) < 2,
                               section, { timeout: 5000 });
    await page.hover(".cg-lang-button");
    const lang = from.startsWith("/ko/") ? "en" : "ko";
    await Promise.all([page.waitForNavigation(), page.click(`a.md-select__link[hreflang=${lang}]`)]);
    got = page.url().replace(base, "");
    heading = await page.evaluate((id) => !!document.getElementById(id), section);
  } catch (e) {
    got = `failed: ${e.message.split("\n")[0]}`;
  }
  results.switch.push({ ok: got === `${to}#${section}` && heading, what: `${from} → ${to}#${section}`, detail: `went to ${got}` });
  const want = from.startsWith("/ko/") ? "한국어" : "English";
  results.current.push({ ok: name === want, what: from, detail: `the menu says ${JSON.stringify(name)}` });
  await page.close();
}

async function notFound(context, base, url, lang, heading, results) {
  const { page, status } = await openPage(context, base, url);
  let h1 = "", pageLang = "";
  try {
    await page.waitForSelector(`#cg-not-found[data-lang=${lang}]`, { timeout: 10000 });
    h1 = (await page.textContent("#cg-not-found")).trim();
    pageLang = await page.getAttribute("html", "lang");
  } catch (e) {
    h1 = (await page.textContent("h1").catch(() => "")) || "";
  }
  results.push({ ok: status === 404 && h1.includes(heading) && pageLang === lang, what: url,
    detail: `HTTP ${status}, <html lang=${pageLang}>, heading "${h1}"` });
  await page.close();
}

async function main() {
  const t0 = Date.now();
  mkdirSync(SHOTS, { recursive: true });
  const server = createServer(serve);
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: args.chromium, headless: true,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
  const results = { load: [], drawn: [], legible: [], alt: [], wideDiagrams: [], narrowDiagrams: [], code: [],
    narrow: [], shots: [], switch: [], current: [], search: [], notfound: [] };
  try {
    console.log(`the lesson site in Chromium (${PAGES.length} pages, served from ${base})`);
    await checkPages(browser, base, results);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    if (!args.only) {
      await searchFinds(ctx, base, "/", "deadline", /steps\/[^/]+\/#./, results.search);
      await searchFinds(ctx, base, "/ko/", "상태 코드", /steps\/[^/]+\/#./, results.search);
      await switchKeeps(ctx, base, "/steps/05-client/", "connectivity-states", "/ko/steps/05-client/", results);
      await switchKeeps(ctx, base, "/ko/steps/07-deploy/", "the-lame-duck", "/steps/07-deploy/", results);
      await notFound(ctx, base, "/ko/no-such-page/", "ko", "페이지를 찾을 수 없습니다", results.notfound);
      await notFound(ctx, base, "/no-such-page/", "en", "Page not found", results.notfound);
    }
    await ctx.close();
  } finally {
    await browser.close();
    server.close();
  }
  report("every page loads: no console error, no request outside 127.0.0.1", results.load);
  report("every diagram is drawn as an SVG with content", results.drawn);
  report(`at 1280 px every diagram is drawn at ${MIN_SCALE * 100} % of its size or more (readable)`, results.legible);
  report("every diagram has alt text (an accessible title and description)", results.alt);
  report("at 1280 px no diagram is cut off", results.wideDiagrams);
  report("at 1280 px no code block is cut off", results.code);
  report("at 390 px no page scrolls sideways", results.narrow);
  report("at 390 px every diagram fits the screen", results.narrowDiagrams);
  if (!args.only) {
    report('search finds the lessons\' sections ("deadline", "상태 코드")', results.search);
    report("the language menu names the current language", results.current);
    report("switching language keeps the section being read", results.switch);
    report("a missing page shows the 404 page of its language", results.notfound);
  }
  console.log(`  screenshots: ${results.shots.length} in ${relative(ROOT, SHOTS)}/ ` +
              `(each step page, both languages, 1280 and 390 px)`);
  console.log(`  ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`test_site.mjs: ${e.stack || e}`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
