// The outlet connection status page (spec 000): data at once, every 10 s while the tab is
// visible, and on every device event; a problem row offers Rescan QR, a healthy one is ready
// for broadcast.
import { $, ageTicker, api, deviceEvents, el, number, onTyped, pager, poll, t } from "./core.js";

const table = $("status-table");
const tbody = table.querySelector("tbody");
// Each cell is labelled with its column's header (shown as the label on a phone).
const column = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
let page = 1, q = "", health = "", loading = null, pairing = null;
const loaded = ageTicker($("updated"));

// One request at a time: a timer, an event and a filter change at once share it.
function load() {
  if (loading) return loading;
  loading = (async () => {
    try {
      const params = new URLSearchParams({ page, per_page: 50, sort: "health" });
      if (q) params.set("q", q);
      if (health) params.set("health", health);
      render(await api("GET", `/api/outlets/status?${params}`));
      $("status-error").hidden = true;
      loaded();
    } catch (err) {
      $("status-error").textContent = t("js-os-load-failed", { error: err.message });
      $("status-error").hidden = false;
    } finally { loading = null; }
  })();
  return loading;
}

function render(data) {
  $("sum-total").textContent = number(data.summary.total);
  $("sum-healthy").textContent = number(data.summary.healthy);
  $("sum-problem").textContent = number(data.summary.problem);
  tbody.replaceChildren(...data.outlets.map(row));
  const nothing = data.summary.total === 0;
  $("empty").hidden = !nothing;
  if (!nothing && data.outlets.length === 0) tbody.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, t("js-os-none-match"))));
  pager($("pager"), data, (p) => { page = p; load(); }, "shown");
  if (pairing) {
    const o = data.outlets.find((x) => x.id === pairing.outlet.id);
    if (o && o.healthy) finishPairing(t("js-os-connected-ready"));
  }
}

function row(o) {
  const reason = o.unlinked_reason || (!o.healthy && o.status_reason) || "";
  const badge = (ok, text) => el("span", { class: `badge ${ok ? "ok" : "bad"}` }, text);
  return el("tr", { class: o.healthy ? "healthy" : "problem", "data-outlet": o.id, "data-health": o.healthy ? "healthy" : "problem" },
    el("td", {}, o.name, o.city ? el("span", { class: "muted" }, ` · ${o.city}`) : null,
      reason ? el("span", { class: "reason" }, reason) : null),
    el("td", { "data-label": column[1] }, o.wa_number),
    el("td", { "data-label": column[2] },
      badge(o.db_status === "connected", o.db_status ? t(`js-device-${o.db_status}`) : t("js-os-no-device"))),
    el("td", { "data-label": column[3] }, badge(o.live, o.live ? t("js-os-live") : t("js-os-down"))),
    el("td", { "data-label": column[4] }, badge(o.healthy, o.healthy ? t("js-os-ok") : t("js-os-problem"))),
    el("td", {}, o.healthy
      ? el("a", { class: "ready", href: `/blast?outlet=${o.id}` }, t("js-os-ready"))
      : el("button", { type: "button", class: "primary rescan", onclick: () => startPairing(o) }, t("js-os-rescan"))));
}

// Pairing in a dialog: a fresh QR every 3 s until the row turns healthy or it is closed.
let closing = null;

async function startPairing(outlet) {
  clearTimeout(closing); // a dialog closing after the last pairing must not close this one
  pairing = { outlet, stop: null };
  $("pair-title").textContent = t("js-os-pair-title", { outlet: outlet.name });
  $("pair-status").textContent = t("js-os-connecting");
  $("pair-qr").hidden = true;
  $("pair-code").hidden = true;
  $("pair-sim-scan").hidden = true;
  $("pair-dialog").showModal();
  try {
    const device = await api("POST", `/api/outlets/${outlet.id}/device/connect`, {});
    $("pair-sim-scan").hidden = device.engine !== "sim";
    await showQr();
    if (pairing) pairing.stop = poll(showQr, 3000);
  } catch (err) { $("pair-status").textContent = err.message; }
}

async function showQr() {
  if (!pairing) return;
  try {
    const qr = await api("GET", `/api/outlets/${pairing.outlet.id}/device/qr`);
    $("pair-qr").src = `data:image/svg+xml;utf8,${encodeURIComponent(qr.svg)}`;
    $("pair-qr").hidden = false;
    const secs = Math.max(0, Math.round((Date.parse(qr.expires_at) - Date.now()) / 1000));
    $("pair-status").textContent = t("js-os-scan-within", { seconds: secs });
  } catch (err) {
    $("pair-qr").hidden = true;
    $("pair-status").textContent = err.code === "no_qr" ? err.message : t("js-os-qr-failed", { error: err.message });
  }
}

function stopPairing() {
  pairing?.stop?.();
  pairing = null;
}

function finishPairing(message) {
  if (!pairing) return;
  stopPairing();
  $("pair-status").textContent = message;
  $("pair-qr").hidden = true;
  closing = setTimeout(() => $("pair-dialog").close(), 1200);
}

$("pair-close").addEventListener("click", () => $("pair-dialog").close());
// However it closes (the button, Escape), the QR polling stops with it.
$("pair-dialog").addEventListener("close", stopPairing);
$("pair-code-btn").addEventListener("click", async () => {
  if (!pairing) return;
  try {
    const r = await api("POST", `/api/outlets/${pairing.outlet.id}/device/pairing-code`, {});
    $("pair-code").textContent = r.code;
    $("pair-code").hidden = false;
    $("pair-status").textContent = t("js-os-pairing-code-help", { phone: r.phone });
  } catch (err) { $("pair-status").textContent = err.message; }
});
$("pair-sim-scan").addEventListener("click", async () => {
  if (!pairing) return;
  try {
    await api("POST", `/api/sandbox/outlets/${pairing.outlet.id}/scan`, {});
    $("pair-status").textContent = t("js-os-scanned");
  } catch (err) { $("pair-status").textContent = err.message; }
});

onTyped($("search"), (value) => { q = value; page = 1; load(); });
$("health-filter").addEventListener("change", () => { health = $("health-filter").value; page = 1; load(); });

// Events come in bursts (a reconnect touches several states): one reload after the burst. A
// hidden tab skips it; the poll reloads the moment the tab shows again.
let soon;
const reloadSoon = () => {
  if (document.hidden) return;
  clearTimeout(soon);
  soon = setTimeout(load, 150);
};
deviceEvents({
  "device.status": reloadSoon,
  lagged: reloadSoon,
  "device.qr": (ev) => { if (pairing && !document.hidden && ev.outlet_id === pairing.outlet.id) showQr(); },
}, reloadSoon);

load();
// The interval is read before each wait, from the page, so a browser test can shorten it.
poll(load, () => Number(table.dataset.refreshMs) || 10000);
