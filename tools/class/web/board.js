// The class board: the board's JSON from the class server's server-sent
// events (/events), drawn as learners x steps, the learners stuck longest,
// and the failures most of the room shares. Standard DOM APIs only; every
// text from the server goes in with textContent.
"use strict";

const TEXT = {
  en: {
    title: "Class board", connecting: "connecting…", live: "live", offline: "reconnecting…",
    learner: "Learner", empty: "No reports yet. Each learner runs make join CLASS=… CODE=… NAME=… once; their next make step1 shows up here.",
    legend_done: "done", legend_failing: "tests failing", legend_broken: "does not compile", legend_none: "not run",
    legend_click: "Click a name for its history.",
    stuck: "Stuck longest on the same failure", tests: "Failing most now", sections: "Lesson sections to explain",
    none_stuck: "Nobody is stuck.", none_failing: "Nothing is failing.",
    totals: (r, l) => `${r} reports from ${l} learners`,
    learners: (n) => (n === 1 ? "1 learner" : `${n} learners`),
    build: "build", not_run: "not run",
    h_time: "time", h_step: "step", h_result: "result", h_first: "first failing test",
    history: (n) => `History of ${n}`, close: "Close", compile: "does not compile",
    secs: (s) => `${s} s`, mins: (m) => `${m} min`, hours: (h, m) => `${h} h ${m} min`,
    step_title: (s) => `step ${s}`,
  },
  ko: {
    title: "수업 보드", connecting: "연결 중…", live: "실시간", offline: "다시 연결 중…",
    learner: "학습자", empty: "아직 보고가 없습니다. 학습자마다 make join CLASS=… CODE=… NAME=… 을 한 번 실행하면, 다음 make step1 결과가 여기에 나타납니다.",
    legend_done: "완료", legend_failing: "테스트 실패", legend_broken: "컴파일 안 됨", legend_none: "실행 안 함",
    legend_click: "이름을 누르면 기록이 보입니다.",
    stuck: "같은 실패에 가장 오래 막힌 학습자", tests: "지금 가장 많이 실패하는 테스트", sections: "설명이 필요한 강의 절",
    none_stuck: "막힌 학습자가 없습니다.", none_failing: "실패하는 테스트가 없습니다.",
    totals: (r, l) => `학습자 ${l}명의 보고 ${r}건`,
    learners: (n) => `${n}명`,
    build: "빌드", not_run: "실행 안 함",
    h_time: "시각", h_step: "단계", h_result: "결과", h_first: "처음 실패한 테스트",
    history: (n) => `${n}의 기록`, close: "닫기", compile: "컴파일 안 됨",
    secs: (s) => `${s}초`, mins: (m) => `${m}분`, hours: (h, m) => `${h}시간 ${m}분`,
    step_title: (s) => `${s}단계`,
  },
};

let lang = new URLSearchParams(location.search).get("lang") || localStorage.getItem("board-lang") ||
  (navigator.language || "en").slice(0, 2);
if (!TEXT[lang]) lang = "en";
let board = null;
let boardAt = 0;     // when the board arrived (ms), to keep durations ticking
let online = false;

const $ = (sel) => document.querySelector(sel);
const t = (key, ...args) => {
  const v = TEXT[lang][key];
  return typeof v === "function" ? v(...args) : v;
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function duration(s) {
  s = Math.max(0, Math.round(s));
  if (s < 60) return t("secs", s);
  if (s < 3600) return t("mins", Math.floor(s / 60));
  return t("hours", Math.floor(s / 3600), Math.floor((s % 3600) / 60));
}

function elapsed() {
  return board ? (Date.now() - boardAt) / 1000 : 0;
}

function cellOf(learner, step) {
  return learner.cells.find((c) => c.step === step);
}

function drawCell(c, step) {
  const td = el("td", { "data-step": step });
  if (!c) {
    td.className = "cell none";
    td.textContent = "·";
    td.title = t("not_run");
    return td;
  }
  const total = c.passed + c.failed;
  td.dataset.passed = String(c.passed);
  td.dataset.total = String(total);
  if (c.build_failed) {
    td.className = "cell broken";
    td.textContent = t("build");
    td.title = t("compile");
    return td;
  }
  td.className = "cell " + (c.done ? "done" : "failing");
  const bar = el("span", { class: "bar" }, el("i"));
  bar.firstChild.style.width = (total ? (100 * c.passed) / total : 0) + "%";
  td.append(`${c.passed}/${total}`, bar);
  td.title = c.first_failing || t("legend_done");
  return td;
}

function drawGrid() {
  const head = $("#grid thead tr");
  head.replaceChildren(el("th", {}, t("learner")));
  for (const s of board.steps) head.append(el("th", { title: s }, s.slice(0, 2)));
  const rows = board.learners.map((l) => {
    const name = el("td", { class: "name", tabindex: "0" }, l.name);
    name.addEventListener("click", () => showHistory(l.name));
    name.addEventListener("keydown", (e) => { if (e.key === "Enter") showHistory(l.name); });
    const tr = el("tr", { "data-learner": l.name }, name);
    for (const s of board.steps) tr.append(drawCell(cellOf(l, s), s));
    return tr;
  });
  $("#grid tbody").replaceChildren(...rows);
  $("#empty").hidden = board.learners.length > 0;
  $("#totals").textContent = t("totals", board.reports, board.learners.length);
}

// The server says "STEP: does not compile"; the rest of what fails is a
// test's name, the same in every language.
function failure(what) {
  return what.endsWith(": does not compile") ? what.slice(0, -"does not compile".length) + t("compile") : what;
}

// Lesson sections are sent as docs/en/...; show the page in the board's language.
function lesson(what) {
  return what.startsWith("docs/en/") ? `docs/${lang}/` + what.slice("docs/en/".length) : what;
}

function drawLists() {
  const extra = elapsed();
  const stuck = board.learners.filter((l) => l.stuck_on)
    .sort((a, b) => b.stuck_seconds - a.stuck_seconds).slice(0, 8)
    .map((l) => el("li", { "data-learner": l.name }, el("b", {}, l.name), ` — ${failure(l.stuck_on)} `,
      el("span", { class: "muted" }, `(${duration(l.stuck_seconds + extra)})`)));
  $("#stuck").replaceChildren(...(stuck.length ? stuck : [el("li", { class: "muted" }, t("none_stuck"))]));
  const hot = (list, show) => list.length
    ? list.map((h) => el("li", {}, `${show(h.what)} `, el("span", { class: "muted" }, `(${t("learners", h.learners)})`)))
    : [el("li", { class: "muted" }, t("none_failing"))];
  $("#tests").replaceChildren(...hot(board.failing_tests, failure));
  $("#sections").replaceChildren(...hot(board.failing_sections, lesson));
}

function drawStatus() {
  const live = $("#live");
  live.textContent = t(online ? "live" : board ? "offline" : "connecting");
  live.classList.toggle("off", !online);
}

function draw() {
  document.documentElement.lang = lang;
  document.title = t("title");
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  $("#lang").textContent = lang === "en" ? "한국어" : "English";
  drawStatus();
  if (!board) return;
  drawGrid();
  drawLists();
}

async function showHistory(name) {
  const dlg = $("#history");
  $("#history-title").textContent = t("history", name);
  const body = dlg.querySelector("tbody");
  body.replaceChildren();
  if (!dlg.open) dlg.showModal();
  const r = await fetch("/history?learner=" + encodeURIComponent(name));
  if (!r.ok) {
    body.append(el("tr", {}, el("td", { colspan: "4" }, await r.text())));
    return;
  }
  const h = await r.json();
  for (const e of h.reports.slice().reverse()) {
    const when = new Date(e.at * 1000).toLocaleTimeString(lang);
    const result = e.build_failed ? t("compile") : `${e.passed}/${e.passed + e.failed}`;
    body.append(el("tr", {}, el("td", {}, when), el("td", {}, e.step), el("td", {}, result),
      el("td", {}, e.first_failing + (e.section ? `  (${lesson(e.section)})` : ""))));
  }
}

function connect() {
  const es = new EventSource("/events");
  es.addEventListener("board", (e) => {
    board = JSON.parse(e.data);
    boardAt = Date.now();
    online = true;
    draw();
  });
  es.addEventListener("error", () => {
    online = false;
    drawStatus();
  });
}

$("#lang").addEventListener("click", () => {
  lang = lang === "en" ? "ko" : "en";
  localStorage.setItem("board-lang", lang);
  draw();
});
setInterval(() => { if (board) drawLists(); }, 10000);
draw();
connect();
