/* site.js: the lesson site's own script (loaded after the theme's and
 * mermaid.min.js, on every page of both languages; see docs/mkdocs.yml).
 *
 *  - draws every ```mermaid block of a lesson (<div class="cg-diagram">) as
 *    SVG, with Mermaid served from the site itself: nothing is fetched;
 *  - the language menu keeps the reader's place: a link to the other
 *    language goes to the section being read (the headings have the same ids
 *    in both languages, tests/workspace/i18n checks it);
 *  - a missing page under ko/ gets the Korean 404 page (a host serves the
 *    site's one 404.html, the English one, for every missing address).
 */
(function () {
  "use strict";

  /* mermaid.min.js sits beside this file; only a page with a diagram loads it. */
  var here = document.currentScript ? document.currentScript.src : "";

  function drawDiagrams() {
    var nodes = document.querySelectorAll("div.cg-diagram");
    if (nodes.length === 0) return;
    var script = document.createElement("script");
    script.src = here.replace(/site\.js(\?.*)?$/, "mermaid.min.js");
    script.onload = function () { draw(nodes); };
    script.onerror = function () {
      document.documentElement.setAttribute("data-diagrams", "failed");
      console.error("site.js: " + script.src + " did not load; the diagrams show as text");
    };
    document.head.appendChild(script);
  }

  function draw(nodes) {
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "neutral",
      sequence: { useMaxWidth: true, mirrorActors: false },
      flowchart: { useMaxWidth: true },
      state: { useMaxWidth: true }
    });
    window.mermaid.run({ nodes: nodes }).then(function () {
      document.documentElement.setAttribute("data-diagrams", "drawn");
    }, function (err) {
      document.documentElement.setAttribute("data-diagrams", "failed");
      console.error("site.js: a diagram could not be drawn:", err);
    });
  }

  /* The id of the section at the top of the window: the last heading that
   * has scrolled up to the header, or the address's own #section. */
  function currentSection() {
    var heads = document.querySelectorAll(".md-content article h2[id], .md-content article h3[id]");
    var header = document.querySelector(".md-header");
    // A heading in the top quarter of the window starts the section being read.
    var top = (header ? header.getBoundingClientRect().bottom : 0) + window.innerHeight / 4;
    var id = "";
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].getBoundingClientRect().top <= top) id = heads[i].id;
      else break;
    }
    if (!id && location.hash.length > 1) id = decodeURIComponent(location.hash.slice(1));
    return id;
  }

  function keepSectionOnLanguageSwitch() {
    var links = document.querySelectorAll("a.md-select__link[hreflang]");
    Array.prototype.forEach.call(links, function (a) {
      a.addEventListener("click", function () {
        var id = currentSection();
        var base = a.getAttribute("href").split("#")[0];
        a.setAttribute("href", id ? base + "#" + encodeURIComponent(id) : base);
      });
    });
  }

  /* The English 404 page, served for an address under ko/: show the Korean
   * one in its place (same address, Korean menus and links). */
  function koreanNotFound() {
    var marker = document.getElementById("cg-not-found");
    if (!marker || marker.getAttribute("data-lang") !== "en") return;
    var m = location.pathname.match(/^(.*?\/)ko(\/|$)/);
    if (!m) return;
    fetch(m[1] + "ko/404.html").then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return;
      document.open();
      document.write(html);
      document.close();
    }, function () { /* keep the English page */ });
  }

  function start() {
    koreanNotFound();
    keepSectionOnLanguageSwitch();
    drawDiagrams();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
