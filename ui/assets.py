"""The app's CSS and its one small script (copy a citation, jump to citation [n])."""

from __future__ import annotations

FONT_STACK = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "sans-serif"]
MONO_STACK = ["Noto Sans Mono CJK SC", "DejaVu Sans Mono", "monospace"]

CSS = """
/* administrators' tabs: shown once the page knows the viewer is one (the server checks every action anyway) */
.gradio-container:not(:has(.pk-userbar[data-admin="1"])) :is(#tab-manage-button, #tab-admin-button) { display:none !important; }
.pk-userbar { display:flex; justify-content:flex-end; align-items:center; gap:10px; font-size:13px; color:#4b5563; }
.pk-logout { display:inline; margin:0; } .pk-logout button { font-size:13px; padding:1px 10px; border:1px solid #cbd5e1; border-radius:5px; background:#fff; cursor:pointer; }
.pk-header { display:flex; align-items:baseline; gap:14px; flex-wrap:wrap; margin:4px 0 2px; }
.pk-header h1 { font-size:22px; margin:0; color:#1e3a5f; }
.pk-header .pk-sub { color:#6b7280; font-size:14px; }
.pk-examples-kind { font-weight:600; color:#374151; font-size:14px; margin-bottom:2px; }
.pk-answer, .pk-message, .pk-search, .pk-unit, .pk-browse, .pk-docs, .pk-reports, .pk-units-overview {
  color:#1f2937; font-size:15px; line-height:1.7; }
.pk-answer { border-radius:10px; padding:14px 16px; border:1px solid #bfdbfe; background:#f8fbff; }
.pk-answer.notfound { border:1px dashed #d97706; background:#fffbeb; }
.pk-answer-head { display:flex; align-items:center; gap:10px; margin-bottom:6px; font-size:13px; }
.pk-status { font-weight:700; border-radius:4px; padding:1px 8px; }
.pk-status.ok { background:#1d4ed8; color:#fff; }
.pk-status.none { background:#d97706; color:#fff; }
.pk-intent { color:#1d4ed8; border:1px solid #bfdbfe; border-radius:4px; padding:0 6px; }
.pk-question { color:#6b7280; font-size:14px; }
.pk-answer-text { font-size:17px; font-weight:500; margin:6px 0 10px; }
.pk-answer.notfound .pk-answer-text { color:#92400e; }
.pk-ref { color:#1d4ed8; text-decoration:none; font-size:13px; position:relative; top:-0.45em; margin:0; }
.pk-ref:hover { text-decoration:underline; }
.pk-warnings { margin:6px 0; padding:6px 10px 6px 28px; background:#fef2f2; border-radius:6px; color:#991b1b; font-size:14px; }
.pk-cites-head { font-weight:600; color:#374151; margin:10px 0 4px; font-size:14px; }
.pk-cite { border:1px solid #e5e7eb; border-radius:8px; margin:6px 0; background:#fff; }
.pk-cite > summary { cursor:pointer; padding:6px 10px; display:flex; flex-wrap:wrap; gap:8px; align-items:center; font-size:14px; }
.pk-cite-body { padding:4px 12px 10px; border-top:1px solid #f3f4f6; }
.pk-n { font-weight:700; color:#1d4ed8; }
.pk-label { display:inline-block; font-weight:600; background:#eef2ff; color:#3730a3; border-radius:4px; padding:0 6px; margin-right:6px; font-size:13px; }
.pk-doc { color:#111827; }
.pk-docno { color:#4b5563; font-size:13px; }
.pk-path { color:#6b7280; font-size:13px; margin:2px 0; }
.pk-text { white-space:pre-wrap; word-break:break-word; }
.pk-muted { color:#6b7280; font-size:13px; margin-left:4px; }
mark { background:#fde68a; color:inherit; padding:0 1px; border-radius:2px; }
.pk-badge { font-size:12px; border-radius:10px; padding:1px 8px; white-space:nowrap; }
.pk-badge.ok { background:#dcfce7; color:#166534; border:1px solid #86efac; }
.pk-badge.expired { background:#fee2e2; color:#991b1b; border:1px solid #fca5a5; }
.pk-badge.pending { background:#e0e7ff; color:#3730a3; border:1px solid #a5b4fc; }
.pk-badge.unknown { background:#f3f4f6; color:#4b5563; border:1px solid #d1d5db; }
.pk-tag.maybe { font-size:12px; background:#fef3c7; color:#92400e; border:1px solid #fcd34d; border-radius:4px; padding:0 6px; }
.pk-actions { display:flex; flex-wrap:wrap; gap:10px; align-items:flex-start; margin-top:8px; }
.pk-copy { font-size:13px; border:1px solid #93c5fd; background:#eff6ff; color:#1d4ed8; border-radius:6px; padding:2px 10px; cursor:pointer; }
.pk-copy:hover { background:#dbeafe; }
.pk-ctx { flex:1 1 100%; }
.pk-ctx > summary { cursor:pointer; color:#1d4ed8; font-size:13px; }
.pk-ctx-item { border-left:3px solid #e5e7eb; padding:2px 8px; margin:4px 0; color:#6b7280; font-size:14px; }
.pk-ctx-item.current { border-left-color:#2563eb; color:#111827; background:#eff6ff; }
table.pk-row { border-collapse:collapse; margin:4px 0; width:100%; font-size:14px; }
table.pk-row td { border:1px solid #e5e7eb; padding:4px 6px; vertical-align:top; }
.pk-cell-head { display:block; font-size:11px; color:#9ca3af; }
table.pk-row.five { table-layout:fixed; }
table.pk-row.five td.c0 { width:3.5em; }
table.pk-row.five td.c1 { width:18%; }
table.pk-row.five td.c3 { width:14%; }
table.pk-row.five td.c4 { width:24%; }
.pk-filled { color:#9ca3af; }
.pk-message { padding:10px 14px; border-radius:8px; background:#f3f4f6; color:#374151; }
.pk-message.warn { background:#fffbeb; border:1px solid #fcd34d; color:#92400e; }
.pk-message.error { background:#fef2f2; border:1px solid #fca5a5; color:#991b1b; }
.pk-search-head { color:#374151; font-size:14px; margin:4px 0 8px; }
.pk-hit { border:1px solid #e5e7eb; border-radius:8px; padding:8px 12px; margin:8px 0; background:#fff; }
.pk-hit-head { display:flex; flex-wrap:wrap; gap:8px; align-items:center; }
.pk-hit-doc { font-size:13px; color:#4b5563; }
.pk-unit-head { display:flex; flex-wrap:wrap; gap:10px; align-items:center; margin-bottom:8px; }
.pk-unit-name { font-size:20px; font-weight:700; color:#1e3a5f; }
.pk-count { border-radius:12px; padding:1px 10px; font-size:14px; font-weight:600; }
.pk-count.lead { background:#1d4ed8; color:#fff; }
.pk-count.shared { background:#e0e7ff; color:#3730a3; }
.pk-role h3 { font-size:16px; margin:12px 0 4px; color:#111827; }
.pk-unit-doc-head { font-weight:600; color:#374151; margin:4px 0; }
.pk-chapter { margin:4px 0 8px 10px; }
.pk-chapter-head { color:#1e3a5f; font-size:14px; font-weight:600; }
.pk-chapter ul { margin:2px 0 2px 4px; padding-left:16px; }
.pk-chapter li summary { cursor:pointer; }
.pk-table { border-collapse:collapse; width:100%; font-size:14px; }
.pk-table th, .pk-table td { border:1px solid #e5e7eb; padding:4px 8px; text-align:left; }
.pk-table th { background:#f9fafb; color:#374151; }
.pk-doc-head { margin-bottom:6px; }
.pk-doc-title { font-size:18px; font-weight:700; color:#1e3a5f; }
.pk-tree { margin-top:6px; }
.pk-node { margin:2px 0 2px 0; }
.pk-node > summary { cursor:pointer; padding:2px 4px; border-radius:4px; }
.pk-node > summary:hover { background:#f3f4f6; }
.pk-node.heading > summary { font-weight:600; color:#1e3a5f; }
.pk-children { margin-left:18px; border-left:1px dashed #e5e7eb; padding-left:6px; }
.pk-node-body { margin:2px 0 6px 22px; padding:6px 10px; background:#f9fafb; border-radius:6px; }
.pk-lead { font-size:12px; color:#1d4ed8; margin-left:8px; }
.pk-report { padding:6px 10px; border-radius:6px; margin:4px 0; }
.pk-report.ok { background:#f0fdf4; border:1px solid #86efac; }
.pk-report.error { background:#fef2f2; border:1px solid #fca5a5; color:#991b1b; }
"""

HEAD = """
<script>
(function () {
  // CSRF: every same-origin POST carries the session's token from the readable pk_csrf cookie
  if (window.__policykbCsrf) return;
  window.__policykbCsrf = true;
  function token() { var m = document.cookie.match(/(?:^|; )pk_csrf=([^;]*)/); return m ? decodeURIComponent(m[1]) : ''; }
  function sameOrigin(url) { try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; } }
  var originalFetch = window.fetch;
  window.fetch = function (input, init) {
    init = init || {};
    var method = (init.method || (input && input.method) || 'GET').toUpperCase();
    var url = typeof input === 'string' ? input : (input && input.url) || String(input);
    if (method !== 'GET' && method !== 'HEAD' && sameOrigin(url) && token()) {
      var headers = new Headers(init.headers || (input && input.headers) || {});
      headers.set('X-CSRF-Token', token());
      init = Object.assign({}, init, {headers: headers});
    }
    return originalFetch.call(this, input, init);
  };
  var open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) { this.__pk = [String(method).toUpperCase(), url]; return open.apply(this, arguments); };
  XMLHttpRequest.prototype.send = function () {
    if (this.__pk && this.__pk[0] !== 'GET' && sameOrigin(this.__pk[1]) && token()) this.setRequestHeader('X-CSRF-Token', token());
    return send.apply(this, arguments);
  };
})();
(function () {
  if (window.__policykb) return;
  window.__policykb = true;
  function flash(button, text) {
    var old = button.getAttribute('data-label') || button.textContent;
    button.setAttribute('data-label', old);
    button.textContent = text;
    setTimeout(function () { button.textContent = old; }, 1500);
  }
  function fallbackCopy(text) {
    var ta = document.createElement('textarea');
    ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0';
    document.body.appendChild(ta); ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'));
  }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }
  document.addEventListener('click', function (ev) {
    var path = ev.composedPath ? ev.composedPath() : [ev.target];
    for (var i = 0; i < path.length; i++) {
      var el = path[i];
      if (!el || !el.classList) continue;
      if (el.classList.contains('pk-copy')) {
        ev.preventDefault();
        window.__policykbLastCopy = el.getAttribute('data-cite');
        copyText(el.getAttribute('data-cite')).then(function () { flash(el, '已复制'); },
                                                  function () { flash(el, '复制失败，请手动选择文字'); });
        return;
      }
      if (el.classList.contains('pk-ref')) {
        ev.preventDefault();
        var card = el.closest('.pk-answer');
        var target = card && card.querySelector('details.pk-cite[data-n="' + el.getAttribute('data-n') + '"]');
        if (target) { target.open = true; target.scrollIntoView({behavior: 'smooth', block: 'center'}); }
        return;
      }
    }
  }, true);
})();
</script>
"""
