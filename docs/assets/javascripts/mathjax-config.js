// MathJax 3 configuration. MathJax itself is served by this site from
// assets/mathjax/ (copied from the npm package at build time).
window.MathJax = {
  // Load the extensions the posts use up front instead of autoloading them on
  // first use (an autoload re-typesets the page, which shows a flash of raw TeX).
  loader: { load: ["[tex]/boldsymbol", "[tex]/cancel", "[tex]/color"] },
  tex: {
    packages: { "[+]": ["boldsymbol", "cancel", "color"] },
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams",
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
    menuOptions: { settings: { explorer: false } },
  },
  startup: {
    pageReady: () => MathJax.startup.defaultPageReady().then(afterTypeset),
  },
};

// Material's instant navigation swaps page content without reloading scripts:
// typeset again, with equation numbers and labels reset for the new page.
document$.subscribe(() => {
  if (!window.MathJax.startup || !window.MathJax.typesetPromise) return;
  window.MathJax.startup.output.clearCache();
  window.MathJax.typesetClear();
  window.MathJax.texReset();
  window.MathJax.typesetPromise().then(afterTypeset);
});

function afterTypeset() {
  // \eqref links: leave them to the browser. Material's instant navigation skips
  // links that have a target; its own handling would land at the top of the page.
  for (const a of document.querySelectorAll('mjx-container a[href^="#"]')) a.target = "_self";
  markWideMath();
}

// An inline formula wider than its line gets its own horizontal scrollbar
// (on a phone a long formula must not widen the whole page).
function markWideMath() {
  for (const c of document.querySelectorAll(".md-typeset span.arithmatex > mjx-container")) {
    c.classList.remove("bc-wide");
    const line = c.parentElement.parentElement;
    if (line && c.getBoundingClientRect().width > line.clientWidth) c.classList.add("bc-wide");
  }
}
let bcWideTimer;
window.addEventListener("resize", () => {
  clearTimeout(bcWideTimer);
  bcWideTimer = setTimeout(markWideMath, 100);
});
