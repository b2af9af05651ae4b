// MathJax 3 configuration. MathJax itself is served by this site from
// assets/mathjax/ (copied from the npm package at build time); extensions such
// as boldsymbol are autoloaded from there too.
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
};

// Material's instant navigation swaps page content without reloading scripts:
// typeset again, with equation numbers and labels reset for the new page.
document$.subscribe(() => {
  if (!window.MathJax.startup || !window.MathJax.typesetPromise) return;
  window.MathJax.startup.output.clearCache();
  window.MathJax.typesetClear();
  window.MathJax.texReset();
  window.MathJax.typesetPromise();
});
