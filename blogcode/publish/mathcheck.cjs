// Compile every formula of a page with MathJax in Node, with the TeX configuration the
// browser uses (read from the site's mathjax-config.js), and report what would not render:
//   - TeX errors: parse errors, and undefined macros ('noundefined' is left out, so an
//     unknown \macro is an error here instead of red text in the browser),
//   - references that do not resolve (MathJax draws "???"), with the missing labels,
//   - labels defined twice on a page,
// and how many formulas are numbered.  Numbering and labels are per page, as in the
// browser.  Formulas are only compiled to MathML, not typeset: errors and references are
// decided there, so typesetting would add time and nothing else.
//
// The browser loads the packages of the tex-chtml component ('base', 'ams', 'newcommand',
// 'noundefined', 'require', 'autoload', 'configmacros') changed by the config's
// tex.packages.  'autoload' loads an extension on the first use of one of its macros;
// here those extensions are loaded up front instead ('require', which needs MathJax's
// component loader, is left out: a page that uses \require is reported).
//
// Usage:
//   node mathcheck.cjs --config CONFIG.js [--mathjax DIR] [--workers N] --stdin
//       reads one JSON object a line, {"id": ..., "pieces": ["<span class=\"arithmatex\">
//       ...</span>", ...]}, and writes one JSON object a line for each, in any order
//       (see checkPage); the first line written is {"ready": true, "version": "3.2.2"}.
//   node mathcheck.cjs SITE_DIR [--config CONFIG.js] [--mathjax DIR]
//       checks every .html file under SITE_DIR (config: SITE_DIR/assets/javascripts/
//       mathjax-config.js) and prints one JSON array of
//       {file, formulas, numbered, errors, unresolved}.
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const vm = require("vm");
const { Worker, isMainThread, parentPort } = require("worker_threads");

function parseArgs(argv) {
  const args = { config: null, mathjax: "mathjax-full", stdin: false, site: null, workers: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config") args.config = argv[++i];
    else if (a === "--mathjax") args.mathjax = argv[++i];
    else if (a === "--stdin") args.stdin = true;
    else if (a === "--workers") args.workers = Math.max(1, Number(argv[++i]) || 1);
    else if (a.startsWith("--")) throw new Error(`unknown option ${a}`);
    else args.site = a;
  }
  if (!args.stdin && !args.site) throw new Error("usage: mathcheck.cjs (--stdin | SITE_DIR)");
  if (!args.config && args.site) {
    args.config = path.join(args.site, "assets", "javascripts", "mathjax-config.js");
  }
  if (!args.config) throw new Error("--config CONFIG.js is required with --stdin");
  return args;
}

const args = parseArgs(process.argv.slice(2));
const MJ = args.mathjax;
const mj = (p) => require(MJ === "mathjax-full" ? `mathjax-full/${p}` : path.resolve(MJ, p));
const VERSION = mj("package.json").version;

// MathJax is loaded on first use (~0.3 s): with --workers, only by the worker threads.
let MJX = null;
function mjx() {
  if (MJX) return MJX;
  const { liteAdaptor } = mj("js/adaptors/liteAdaptor.js");
  const { RegisterHTMLHandler } = mj("js/handlers/html.js");
  const { CHTML } = mj("js/output/chtml.js");
  const adaptor = liteAdaptor();
  RegisterHTMLHandler(adaptor);
  MJX = {
    mathjax: mj("js/mathjax.js").mathjax,
    TeX: mj("js/input/tex.js").TeX,
    adaptor,
    texOptions: texOptions(siteConfig),
    docOptions: documentOptions(siteConfig),
    // Never run; bussproofs needs an output jax to measure its proof trees.
    output: new CHTML({ fontURL: "." }),
  };
  return MJX;
}

// ---- The site's configuration ------------------------------------------------------

// Run the config file as the browser would, with just enough of a window for it to
// define window.MathJax; functions in it (startup hooks) are never called.
function readSiteConfig(file) {
  const code = fs.readFileSync(file, "utf8");
  const stub = { subscribe() {} };
  const sandbox = {
    document: { querySelectorAll: () => [], addEventListener() {} },
    document$: stub,
    addEventListener() {},
    setTimeout,
    clearTimeout,
    console,
  };
  sandbox.window = sandbox;
  vm.runInNewContext(code, sandbox, { filename: file, timeout: 2000 });
  const cfg = sandbox.MathJax;
  if (!cfg || typeof cfg !== "object") throw new Error(`${file} does not set window.MathJax`);
  return cfg;
}

const COMPONENT_PACKAGES = [
  "base", "ams", "newcommand", "noundefined", "require", "autoload", "configmacros",
];

// MathJax's rule for array options: a plain array replaces the default; an object
// {"[+]": [...], "[-]": [...]} adds to and removes from it.
function mergeList(defaults, value) {
  if (value === undefined) return defaults.slice();
  if (Array.isArray(value)) return value.slice();
  let out = defaults.slice();
  if (value["[-]"]) out = out.filter((p) => !value["[-]"].includes(p));
  if (value["[+]"]) out = out.concat(value["[+]"]);
  return out;
}

function texOptions(cfg) {
  const { AllPackages } = mj("js/input/tex/AllPackages.js");
  const { AutoloadConfiguration } = mj("js/input/tex/autoload/AutoloadConfiguration.js");
  const tex = Object.assign({}, cfg.tex || {});
  let packages = mergeList(COMPONENT_PACKAGES, tex.packages);
  if (packages.includes("autoload")) {
    const table = Object.assign({}, AutoloadConfiguration.options.autoload, tex.autoload || {});
    packages = packages.concat(Object.keys(table).filter((p) => table[p]));
  }
  // Without these an error would not be one: noundefined draws unknown macros in red,
  // noerrors shows the TeX source; require and autoload need the component loader.
  const dropped = ["noundefined", "noerrors", "require", "autoload"];
  packages = [...new Set(packages)].filter((p) => !dropped.includes(p));
  const unknown = packages.filter((p) => !AllPackages.includes(p));
  if (unknown.length) throw new Error(`unknown TeX package(s) in the config: ${unknown}`);
  delete tex.autoload;
  delete tex.require;
  delete tex.formatError;
  tex.packages = packages;
  return tex;
}

function documentOptions(cfg) {
  const opts = cfg.options || {};
  const out = {};
  for (const k of ["ignoreHtmlClass", "processHtmlClass", "skipHtmlTags", "includeHtmlTags"]) {
    if (opts[k] !== undefined) out[k] = opts[k];
  }
  return out;
}

const siteConfig = readSiteConfig(args.config);

// ---- One page ----------------------------------------------------------------------

function walk(node, visit) {
  visit(node);
  for (const child of node.childNodes || []) if (child) walk(child, visit);
}

function inspect(root) {
  const info = { errors: [], unresolved: false, numbered: false };
  if (!root) return info;
  walk(root, (node) => {
    if (node.isKind("merror")) {
      const attrs = node.attributes;
      const msg = attrs.get("data-mjx-error") || attrs.get("data-mjx-compile-error");
      if (msg) info.errors.push(String(msg));
    } else if (node.isKind("mlabeledtr")) {
      info.numbered = true;
    } else if (node.isToken && node.getText().includes("???")) {
      info.unresolved = true;
    }
  });
  return info;
}

const REF = /\\(eq)?ref\s*\{([^{}]*)\}/g;
const LABEL = /\\label\s*\{([^{}]*)\}/g;

// The TeX of an arithmatex element that MathJax found no formula in, and its kind.
function rawPiece(adaptor, node) {
  const text = adaptor.textContent(node);
  const m = text.match(/^\s*\\([([])([\s\S]*?)\\[)\]]\s*$/);
  if (m) return { tex: m[2], display: m[1] === "[" };
  return { tex: text.trim(), display: adaptor.kind(node) === "div" };
}

// pieces: the outer HTML of the page's arithmatex elements, in page order.  Returns
// {formulas, numbered, items}, items listing only formulas with a problem:
// {piece, tex, display, nth (earlier formulas on the page with the same TeX), errors,
// missing (labels referred to but not defined), unnumbered (labels referred to that are
// on a formula without a number)}.
function checkPage(pieces) {
  const html = "<html><head></head><body>" +
    pieces.map((p, i) => p.replace(/^<(span|div)\b/, `<$1 data-mc="${i}"`)).join("\n") +
    "</body></html>";
  const { mathjax, TeX, adaptor, texOptions, docOptions, output } = mjx();
  const tex = new TeX(Object.assign({}, texOptions));
  const options = Object.assign({ InputJax: tex, OutputJax: output }, docOptions);
  const doc = mathjax.document(html, options);
  doc.findMath();
  doc.compile();
  const labels = tex.parseOptions.tags.allLabels;
  const seen = new Map();
  const labelCount = new Map();
  const found = new Set();
  const items = [];
  let formulas = 0;
  let numbered = 0;
  for (const item of doc.math) {
    formulas++;
    const parent = adaptor.parent(item.start.node);
    const piece = Number(parent ? adaptor.getAttribute(parent, "data-mc") : -1);
    found.add(piece);
    const key = (item.display ? "D" : "I") + item.math;
    const nth = seen.get(key) || 0;
    seen.set(key, nth + 1);
    const info = inspect(item.root);
    if (info.numbered) numbered++;
    const errors = info.errors;
    // MathJax reports a second \label{x} while compiling, except in a formula it compiles
    // again to resolve a forward reference; count them here as well.
    for (const m of item.math.matchAll(LABEL)) {
      const n = (labelCount.get(m[1]) || 0) + 1;
      labelCount.set(m[1], n);
      if (n > 1 && !errors.some((e) => e.includes("multiply defined"))) {
        errors.push(`Label '${m[1]}' multiply defined`);
      }
    }
    const missing = [];
    const unnumbered = [];
    for (const m of item.math.matchAll(REF)) {
      const label = labels[m[2]];
      const list = !label ? missing : label.tag === "???" ? unnumbered : null;
      if (list && !list.includes(m[2])) list.push(m[2]);
    }
    if (info.unresolved && !missing.length && !unnumbered.length && !errors.length) {
      missing.push("?");
    }
    if (!errors.length && !missing.length && !unnumbered.length) continue;
    items.push({ piece, tex: item.math, display: item.display, nth, errors, missing, unnumbered });
  }
  // An element with no formula in it is shown as raw TeX (FindTeX skips a \( or \[
  // whose braces do not balance before the closing delimiter).
  const body = adaptor.body(doc.document);
  for (const node of adaptor.childNodes(body)) {
    const mc = adaptor.kind(node) === "#text" ? null : adaptor.getAttribute(node, "data-mc");
    if (mc == null || found.has(Number(mc))) continue;
    const raw = rawPiece(adaptor, node);
    items.push(Object.assign({ piece: Number(mc), nth: 0, missing: [], unnumbered: [] }, raw, {
      errors: ["No formula found"],  // mathcheck.py: NO_FORMULA
    }));
  }
  items.sort((a, b) => a.piece - b.piece);
  return { formulas, numbered, items };
}

// ---- Modes -------------------------------------------------------------------------

const ARITHMATEX = /<(span|div) class="arithmatex">[\s\S]*?<\/\1>/g;

function siteMode(site) {
  const files = [];
  (function find(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) find(p);
      else if (e.name.endsWith(".html")) files.push(p);
    }
  })(site);
  const results = [];
  for (const file of files.sort()) {
    const pieces = fs.readFileSync(file, "utf8").match(ARITHMATEX);
    if (!pieces) continue;
    const r = checkPage(pieces);
    results.push({
      file: path.relative(site, file),
      formulas: r.formulas,
      numbered: r.numbered,
      errors: r.items.flatMap((it) => it.errors.map((e) => `${e} in ${it.tex.slice(0, 120)}`)),
      unresolved: r.items.filter((it) => it.missing.length || it.unnumbered.length)
        .map((it) => it.tex.slice(0, 120)),
    });
  }
  process.stdout.write(JSON.stringify(results));
}

function answer(page) {
  try {
    return Object.assign({ id: page.id }, checkPage(page.pieces));
  } catch (err) {
    return { id: page.id, crash: String((err && err.stack) || err) };
  }
}

// Pages are checked by up to --workers threads (each loads its own MathJax), a page
// going to the thread with the least TeX still to compile; answers are written as
// they come, in any order.
function stdinMode() {
  const emit = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
  emit({ ready: true, version: VERSION });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const workers = [];
  let pending = 0;
  let closed = false;
  const done = () => {
    if (closed && pending === 0) for (const w of workers) w.thread.terminate();
  };
  rl.on("line", (line) => {
    if (!line.trim()) return;
    const page = JSON.parse(line);
    if (args.workers <= 1) return emit(answer(page));
    const size = page.pieces.reduce((n, p) => n + p.length, 0);
    let w = workers.find((x) => x.load === 0);
    if (!w && workers.length < args.workers) {
      const thread = new Worker(__filename, { argv: process.argv.slice(2), workerData: {} });
      w = { thread, load: 0, sizes: new Map() };
      const self = w;
      thread.on("message", (out) => {
        self.load -= self.sizes.get(out.id) || 0;
        self.sizes.delete(out.id);
        pending--;
        emit(out);
        done();
      });
      // A thread that dies answers for its pages; later pages go to a new one.
      thread.on("error", (err) => {
        for (const id of self.sizes.keys()) emit({ id, crash: String((err && err.stack) || err) });
        pending -= self.sizes.size;
        self.sizes.clear();
        workers.splice(workers.indexOf(self), 1);
        done();
      });
      workers.push(w);
    }
    if (!w) w = workers.reduce((a, b) => (b.load < a.load ? b : a));
    w.load += size;
    w.sizes.set(page.id, size);
    pending++;
    w.thread.postMessage(page);
  });
  rl.on("close", () => {
    closed = true;
    done();
  });
}

function workerMode() {
  parentPort.on("message", (page) => parentPort.postMessage(answer(page)));
}

if (!isMainThread) workerMode();
else if (args.stdin) stdinMode();
else siteMode(args.site);
