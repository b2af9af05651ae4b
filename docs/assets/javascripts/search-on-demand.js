// The search index (search/search_index.json, the largest file of the site) would be fetched
// by Material's bundle as soon as any page loads. Hold that one request until the reader opens
// the search: focus in the search box (a click or tap, or Material's "s", "f" and "/" shortcuts,
// which focus it), the search toggle (small screens), or a page opened with a query (?q=, from a
// shared search link). Loaded before Material's bundle; nothing else is changed.
(function () {
  "use strict";
  var INDEX = /\/search\/search_index\.json(?:[?#]|$)/;
  var proto = XMLHttpRequest.prototype;
  var open = proto.open;
  var send = proto.send;
  var held = [];
  var released = false;
  proto.open = function (method, url) {
    this.__bcSearchIndex = INDEX.test(String(url));
    return open.apply(this, arguments);
  };
  proto.send = function () {
    if (this.__bcSearchIndex && !released) {
      held.push([this, arguments]);
      return undefined;
    }
    return send.apply(this, arguments);
  };
  function release() {
    if (released) return;
    released = true;
    held.splice(0).forEach(function (h) { send.apply(h[0], h[1]); });
  }
  document.addEventListener("focusin", function (e) {
    var t = e.target;
    if (t && t.classList && t.classList.contains("md-search__input")) release();
  }, true);
  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "__search" && e.target.checked) release();
  }, true);
  if (/[?&]q=/.test(location.search)) release();
})();
