// Typeset every formula of the built site with MathJax (the same TeX input the
// browser uses, AMS numbering) and report what would not render:
//   - TeX errors (parse errors, undefined macros: 'noundefined' is left out, so an
//     unknown \macro is an error here instead of red text in the browser),
//   - references that do not resolve (MathJax draws "???"),
//   - equations that should be numbered but are not.
// Usage: node mathcheck.cjs SITE_DIR  -> prints one JSON object per page.
const fs = require("fs");
const path = require("path");
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { CHTML } = require("mathjax-full/js/output/chtml.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

const { SerializedMmlVisitor } = require("mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js");
const toMathML = new SerializedMmlVisitor();

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);
const packages = AllPackages.filter((p) => !["noundefined", "autoload", "require", "noerrors"].includes(p));

function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith(".html")) out.push(p);
  }
  return out;
}

const site = process.argv[2];
const results = [];
for (const file of walk(site, [])) {
  const page = fs.readFileSync(file, "utf8");
  // Only the math elements, in page order: the lite parser need not cope with
  // the rest of the page, and numbering is per page, as in the browser.
  const pieces = page.match(/<(span|div) class="arithmatex">[\s\S]*?<\/\1>/g);
  if (!pieces) continue;
  const html = "<html><head></head><body>" + pieces.join("\n") + "</body></html>";
  const errors = [];
  const tex = new TeX({
    packages,
    tags: "ams",
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    formatError: (jax, err) => {
      errors.push(err.message);
      return jax.formatError(err);
    },
  });
  const doc = mathjax.document(html, {
    InputJax: tex,
    OutputJax: new CHTML({ fontURL: "." }),
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  });
  doc.render();
  let formulas = 0;
  let numbered = 0;
  const unresolved = [];
  for (const item of doc.math) {
    formulas++;
    const mml = item.root ? toMathML.visitTree(item.root) : "";
    if (mml.includes("???")) unresolved.push(item.math.slice(0, 120));
    if (mml.includes("<mlabeledtr")) numbered++;
  }
  results.push({ file: path.relative(site, file), formulas, numbered, errors, unresolved });
}
process.stdout.write(JSON.stringify(results));
