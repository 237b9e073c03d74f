// kewhats pages: a JSON API helper and one small initialiser per page (body[data-page]).
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function api(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
  if (body instanceof FormData) {
    opts.body = body; // the browser sets the multipart boundary
  } else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  if (res.status === 401 && !url.startsWith("/api/auth/")) {
    location.href = "/login";
    throw new Error("Your session ended; log in again.");
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(data?.error?.message || `Request failed (${res.status})`);
    err.status = res.status;
    err.code = data?.error?.code;
    throw err;
  }
  return data;
}

function flash(message, ok) {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("ok", !!ok);
  box.hidden = !message;
}

// Builds an element; children may be strings (always inserted as text, never as HTML).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) node.append(c instanceof Node ? c : String(c));
  return node;
}

function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) out[k] = typeof v === "string" ? v.trim() : v;
  return out;
}

// Submits a form through `action`, disabling the button meanwhile and showing errors.
function onSubmit(form, action) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    flash("");
    try { await action(formData(form)); } catch (err) { flash(err.message); } finally { button.disabled = false; }
  });
}

// A paged, searchable table fed by a list endpoint returning {items,total,page,per_page}.
function pagedTable({ url, tbody, row, empty, pager, search, params: extra }) {
  let page = 1, q = "";
  async function load() {
    try {
      const params = new URLSearchParams({ page, per_page: 25 });
      if (q) params.set("q", q);
      for (const [k, v] of Object.entries(extra ? extra() : {})) if (v) params.set(k, v);
      const data = await api("GET", `${url}?${params}`);
      tbody.replaceChildren(...data.items.map(row));
      empty.hidden = data.items.length > 0;
      const pages = Math.max(1, Math.ceil(data.total / data.per_page));
      pager.replaceChildren(
        el("span", {}, `${data.total} total · page ${data.page} of ${pages}`),
        el("button", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "Previous"),
        el("button", { type: "button", disabled: page >= pages, onclick: () => { page++; load(); } }, "Next"),
      );
    } catch (err) { flash(err.message); }
  }
  let timer;
  search?.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { q = search.value.trim(); page = 1; load(); }, 250);
  });
  load();
  return { reload: load };
}

// The outlet connection status page (spec 000): data at once, every 10 s, and on every
// device event; a problem row offers Rescan QR, a healthy one is ready for broadcast.
function outletStatusPage() {
  const $ = (id) => document.getElementById(id);
  const tbody = document.querySelector("#status-table tbody");
  let page = 1, q = "", health = "", lastLoaded = 0, loading = null, pairing = null;

  const label = { disconnected: "Disconnected", connecting: "Connecting", qr: "Waiting for scan",
    connected: "Connected", logged_out: "Logged out", banned: "Banned" };

  async function load() {
    if (loading) return loading;
    loading = (async () => {
      try {
        const params = new URLSearchParams({ page, per_page: 50, sort: "health" });
        if (q) params.set("q", q);
        if (health) params.set("health", health);
        render(await api("GET", `/api/outlets/status?${params}`));
        $("status-error").hidden = true;
        lastLoaded = Date.now();
        tick();
      } catch (err) {
        $("status-error").textContent = `Could not load the outlet status: ${err.message}. Retrying every 10 seconds.`;
        $("status-error").hidden = false;
      } finally { loading = null; }
    })();
    return loading;
  }

  function render(data) {
    $("sum-total").textContent = data.summary.total;
    $("sum-healthy").textContent = data.summary.healthy;
    $("sum-problem").textContent = data.summary.problem;
    tbody.replaceChildren(...data.outlets.map(row));
    const nothing = data.summary.total === 0;
    $("empty").hidden = !nothing;
    if (!nothing && data.outlets.length === 0) tbody.append(el("tr", {}, el("td", { colspan: 6, class: "empty" }, "No outlets match.")));
    const pages = Math.max(1, Math.ceil(data.total / data.per_page));
    $("pager").replaceChildren(
      el("span", {}, `${data.total} shown · page ${data.page} of ${pages}`),
      el("button", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "Previous"),
      el("button", { type: "button", disabled: page >= pages, onclick: () => { page++; load(); } }, "Next"));
    if (pairing) {
      const o = data.outlets.find((x) => x.id === pairing.outlet.id);
      if (o && o.healthy) finishPairing("Connected. This outlet is ready for broadcast.");
    }
  }

  function row(o) {
    const reason = o.unlinked_reason || (!o.healthy && o.status_reason) || "";
    return el("tr", { class: o.healthy ? "healthy" : "problem", "data-outlet": o.id, "data-health": o.healthy ? "healthy" : "problem" },
      el("td", {}, o.name, o.city ? el("span", { class: "muted" }, ` · ${o.city}`) : null,
        reason ? el("span", { class: "reason" }, reason) : null),
      el("td", { "data-label": "WA No" }, o.wa_number),
      el("td", { "data-label": "DB" }, el("span", { class: `badge ${o.db_status === "connected" ? "ok" : "bad"}` }, o.db_status ? label[o.db_status] : "No device")),
      el("td", { "data-label": "Live" }, el("span", { class: `badge ${o.live ? "ok" : "bad"}` }, o.live ? "✓ Live" : "✗ Down")),
      el("td", { "data-label": "Health" }, el("span", { class: `badge ${o.healthy ? "ok" : "bad"}` }, o.healthy ? "✓ OK" : "✗ Problem")),
      el("td", {}, o.healthy
        ? el("span", { class: "ready" }, "Ready for broadcast")
        : el("button", { type: "button", class: "primary rescan", onclick: () => startPairing(o) }, "Rescan QR")));
  }

  function tick() {
    if (!lastLoaded) return;
    const secs = Math.round((Date.now() - lastLoaded) / 1000);
    $("updated").textContent = `Last updated ${secs} s ago`;
  }

  async function startPairing(outlet) {
    pairing = { outlet, timer: null };
    $("pair-title").textContent = `Rescan QR · ${outlet.name}`;
    $("pair-status").textContent = "Connecting…";
    $("pair-qr").hidden = true;
    $("pair-code").hidden = true;
    $("pair-sim-scan").hidden = true;
    $("pair-dialog").showModal();
    try {
      const device = await api("POST", `/api/outlets/${outlet.id}/device/connect`, {});
      $("pair-sim-scan").hidden = device.engine !== "sim";
      await showQr();
      pairing.timer = setInterval(showQr, 3000);
    } catch (err) { $("pair-status").textContent = err.message; }
  }

  async function showQr() {
    if (!pairing) return;
    try {
      const qr = await api("GET", `/api/outlets/${pairing.outlet.id}/device/qr`);
      $("pair-qr").src = `data:image/svg+xml;utf8,${encodeURIComponent(qr.svg)}`;
      $("pair-qr").hidden = false;
      const secs = Math.max(0, Math.round((Date.parse(qr.expires_at) - Date.now()) / 1000));
      $("pair-status").textContent = `Scan within ${secs} s; a new code appears when this one expires.`;
    } catch (err) {
      $("pair-qr").hidden = true;
      $("pair-status").textContent = err.code === "no_qr" ? err.message : `Could not get a QR code: ${err.message}`;
    }
  }

  function finishPairing(message) {
    if (!pairing) return;
    clearInterval(pairing.timer);
    pairing = null;
    $("pair-status").textContent = message;
    $("pair-qr").hidden = true;
    setTimeout(() => $("pair-dialog").close(), 1200);
  }

  $("pair-close").addEventListener("click", () => {
    if (pairing) clearInterval(pairing.timer);
    pairing = null;
    $("pair-dialog").close();
  });
  $("pair-code-btn").addEventListener("click", async () => {
    if (!pairing) return;
    try {
      const r = await api("POST", `/api/outlets/${pairing.outlet.id}/device/pairing-code`, {});
      $("pair-code").textContent = r.code;
      $("pair-code").hidden = false;
      $("pair-status").textContent = `On the phone (${r.phone}): Linked devices → Link with phone number, then type this code.`;
    } catch (err) { $("pair-status").textContent = err.message; }
  });
  $("pair-sim-scan").addEventListener("click", async () => {
    if (!pairing) return;
    try {
      await api("POST", `/api/sandbox/outlets/${pairing.outlet.id}/scan`, {});
      $("pair-status").textContent = "Scanned. Waiting for the device to connect…";
    } catch (err) { $("pair-status").textContent = err.message; }
  });

  let timer;
  $("search").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { q = $("search").value.trim(); page = 1; load(); }, 250);
  });
  $("health-filter").addEventListener("change", () => { health = $("health-filter").value; page = 1; load(); });

  let soon;
  const reloadSoon = () => { clearTimeout(soon); soon = setTimeout(load, 150); };
  const events = new EventSource("/api/events");
  events.addEventListener("device.status", reloadSoon);
  events.addEventListener("lagged", reloadSoon);
  events.addEventListener("device.qr", (e) => {
    const ev = JSON.parse(e.data);
    if (pairing && ev.outlet_id === pairing.outlet.id) showQr();
  });

  load();
  setInterval(load, 10000);
  setInterval(tick, 1000);
}

const when = (t) => (t ? new Date(t).toLocaleString() : "never");

const pages = {
  outlet_status: outletStatusPage,

  async messages() {
    const outlets = new Map();
    const select = document.getElementById("outlet-select");
    try {
      const list = await api("GET", "/api/outlets?per_page=200");
      for (const o of list.items) {
        outlets.set(o.id, o.name);
        select.append(el("option", { value: o.id }, `${o.name} (${o.wa_number})`));
      }
    } catch (err) { flash(err.message); }
    let direction = "", status = "";
    const table = pagedTable({
      url: "/api/messages",
      params: () => ({ direction, status }),
      tbody: document.querySelector("#messages-table tbody"),
      empty: document.getElementById("empty"),
      pager: document.getElementById("pager"),
      row: (m) => el("tr", { "data-id": m.id },
        el("td", {}, when(m.created_at)), el("td", {}, outlets.get(m.outlet_id) || `#${m.outlet_id}`),
        el("td", {}, m.direction === "out" ? "→" : "←"), el("td", {}, m.peer),
        el("td", { class: "text-cell" }, m.body),
        el("td", { class: `status-${m.status}`, title: m.error || "" }, m.status, m.error ? ` — ${m.error}` : "")),
    });
    document.getElementById("direction-filter").addEventListener("change", (e) => { direction = e.target.value; table.reload(); });
    document.getElementById("status-filter").addEventListener("change", (e) => { status = e.target.value; table.reload(); });
    setInterval(table.reload, 3000);
    const typeSelect = document.getElementById("type-select");
    typeSelect.addEventListener("change", () => {
      const media = typeSelect.value !== "text";
      document.getElementById("text-field").hidden = media;
      document.getElementById("file-field").hidden = !media;
      document.getElementById("caption-field").hidden = !media;
    });
    const form = document.getElementById("send-form");
    onSubmit(form, async (data) => {
      let body;
      if (data.type === "text") {
        body = { outlet_id: Number(data.outlet_id), to: data.to, text: data.text };
      } else {
        const file = form.elements.file.files[0];
        if (!file) throw new Error("Choose a file to send.");
        body = new FormData();
        for (const k of ["outlet_id", "to", "type", "caption"]) body.append(k, data[k] || "");
        body.append("file", file);
      }
      const m = await api("POST", "/api/messages", body);
      form.elements.text.value = "";
      form.elements.caption.value = "";
      form.elements.file.value = "";
      flash(`Message #${m.id} to ${m.peer} is ${m.status}.`, true);
      table.reload();
    });
  },

  api_keys() {
    const table = pagedTable({
      url: "/api/keys",
      tbody: document.querySelector("#keys-table tbody"),
      empty: document.getElementById("empty"),
      pager: document.getElementById("pager"),
      row: (k) => el("tr", { "data-id": k.id },
        el("td", {}, k.name), el("td", {}, el("code", {}, `${k.prefix}…`)),
        el("td", {}, k.requests_in), el("td", {}, k.messages_out),
        el("td", {}, when(k.last_used_at)), el("td", {}, when(k.created_at)),
        el("td", {}, k.revoked_at
          ? el("span", { class: "badge bad" }, "revoked")
          : el("button", { type: "button", class: "danger", onclick: async () => {
              if (!confirm(`Revoke "${k.name}"? Systems using it stop working at once.`)) return;
              try { await api("DELETE", `/api/keys/${k.id}`); flash(`Revoked "${k.name}".`, true); table.reload(); }
              catch (err) { flash(err.message); }
            } }, "Revoke"))),
    });
    const form = document.getElementById("key-form");
    onSubmit(form, async (data) => {
      const created = await api("POST", "/api/keys", { name: data.name });
      form.reset();
      document.getElementById("secret-value").textContent = created.secret;
      document.getElementById("new-secret").hidden = false;
      table.reload();
    });
  },

  webhooks() {
    const showSecret = (url, secret) => {
      document.getElementById("secret-url").textContent = url;
      document.getElementById("secret-value").textContent = secret;
      document.getElementById("new-secret").hidden = false;
    };
    const dialog = document.getElementById("payload-dialog");
    document.getElementById("payload-close").addEventListener("click", () => dialog.close());
    const showPayload = (d) => {
      document.getElementById("payload-id").textContent = `#${d.id}`;
      document.getElementById("payload-meta").textContent = `webhook-id ${d.event_id} · ${d.event} · ${d.attempts} attempt(s)`;
      document.getElementById("payload-body").textContent = JSON.stringify(d.payload, null, 2);
      dialog.showModal();
    };
    let log = null, logStatus = "", logHook = null;
    document.getElementById("redeliver-failed").addEventListener("click", async () => {
      if (!logHook) return;
      try { const r = await api("POST", `/api/webhooks/${logHook.id}/redeliver-failed`); flash(`${r.queued} failed deliveries queued again.`, true); log?.reload(); }
      catch (err) { flash(err.message); }
    });
    const openLog = (w) => {
      logHook = w;
      document.getElementById("log-card").hidden = false;
      document.getElementById("log-url").textContent = w.url;
      log = pagedTable({
        url: `/api/webhooks/${w.id}/deliveries`,
        params: () => ({ status: logStatus }),
        tbody: document.querySelector("#deliveries-table tbody"),
        empty: document.getElementById("log-empty"),
        pager: document.getElementById("log-pager"),
        row: (d) => el("tr", { "data-id": d.id },
          el("td", {}, when(d.created_at)), el("td", {}, d.event),
          el("td", { class: `delivery-${d.status}` }, d.status), el("td", {}, d.attempts),
          el("td", { class: "text-cell" }, [d.last_status_code ? `HTTP ${d.last_status_code}` : "", d.last_error && d.status !== "delivered" ? ` ${d.last_error}` : ""].join("").trim() || "—"),
          el("td", {}, d.status === "pending" ? when(d.next_attempt_at) : "—"),
          el("td", { class: "actions" },
            el("button", { type: "button", onclick: () => showPayload(d) }, "Payload"),
            ["delivered", "failed"].includes(d.status)
              ? el("button", { type: "button", onclick: async () => {
                  try { await api("POST", `/api/webhooks/${w.id}/deliveries/${d.id}/redeliver`); flash(`Delivery #${d.id} queued again.`, true); log.reload(); }
                  catch (err) { flash(err.message); }
                } }, "Redeliver")
              : "")),
      });
    };
    document.getElementById("log-status").addEventListener("change", (e) => { logStatus = e.target.value; log?.reload(); });
    setInterval(() => log?.reload(), 3000);

    const table = pagedTable({
      url: "/api/webhooks",
      tbody: document.querySelector("#webhooks-table tbody"),
      empty: document.getElementById("empty"),
      pager: document.getElementById("pager"),
      row: (w) => el("tr", { "data-id": w.id },
        el("td", { class: "text-cell" }, w.url), el("td", {}, w.events.join(", ")),
        el("td", {}, el("input", { type: "checkbox", checked: w.active, "aria-label": "Active", onchange: async (e) => {
          try { await api("PATCH", `/api/webhooks/${w.id}`, { active: e.target.checked }); flash(e.target.checked ? "Webhook on." : "Webhook paused: events are not recorded for it until it is on again.", true); }
          catch (err) { e.target.checked = !e.target.checked; flash(err.message); }
        } })),
        el("td", {}, when(w.created_at)),
        el("td", { class: "actions" },
          el("button", { type: "button", onclick: () => openLog(w) }, "Deliveries"),
          el("button", { type: "button", onclick: async () => {
            try { const d = await api("POST", `/api/webhooks/${w.id}/test`); flash(`Test event queued (delivery #${d.id}).`, true); openLog(w); }
            catch (err) { flash(err.message); }
          } }, "Send test"),
          el("button", { type: "button", onclick: async () => {
            try { showSecret(w.url, (await api("GET", `/api/webhooks/${w.id}/secret`)).secret); } catch (err) { flash(err.message); }
          } }, "Secret"),
          el("button", { type: "button", class: "danger", onclick: async () => {
            if (!confirm(`Delete the webhook to ${w.url}? Its delivery log goes with it.`)) return;
            try { await api("DELETE", `/api/webhooks/${w.id}`); flash("Webhook deleted.", true); document.getElementById("log-card").hidden = true; log = null; table.reload(); }
            catch (err) { flash(err.message); }
          } }, "Delete"))),
    });
    const form = document.getElementById("webhook-form");
    onSubmit(form, async () => {
      const events = [...form.querySelectorAll("input[name=events]:checked")].map((i) => i.value);
      const created = await api("POST", "/api/webhooks", { url: form.elements.url.value.trim(), events });
      form.elements.url.value = "";
      showSecret(created.webhook.url, created.secret);
      flash("Webhook added. Copy its signing secret below.", true);
      table.reload();
    });
  },

  login() {
    onSubmit(document.getElementById("login-form"), async (data) => {
      await api("POST", "/api/auth/login", { email: data.email, password: data.password });
      location.href = "/dashboard";
    });
  },

  register() {
    onSubmit(document.getElementById("register-form"), async (data) => {
      await api("POST", "/api/auth/register", data);
      location.href = "/dashboard";
    });
  },

  outlets() {
    const staff = document.getElementById("outlets-table").dataset.staff === "true";
    const table = pagedTable({
      url: "/api/outlets",
      tbody: document.querySelector("#outlets-table tbody"),
      empty: document.getElementById("empty"),
      pager: document.getElementById("pager"),
      search: document.getElementById("search"),
      row: (o) => el("tr", { "data-id": o.id },
        el("td", {}, o.name), el("td", {}, o.city), el("td", {}, o.wa_number),
        staff ? el("td", {}, o.owner_email) : null,
        el("td", {}, el("div", { class: "actions" },
          el("button", { type: "button", onclick: () => rename(o) }, "Edit"),
          el("button", { type: "button", class: "danger", onclick: () => remove(o) }, "Delete")))),
    });
    async function rename(o) {
      const name = prompt("Outlet name", o.name);
      if (name === null) return;
      const number = prompt("WhatsApp number", o.wa_number);
      if (number === null) return;
      try { await api("PATCH", `/api/outlets/${o.id}`, { name, wa_number: number }); flash("Outlet saved.", true); table.reload(); }
      catch (err) { flash(err.message); }
    }
    async function remove(o) {
      if (!confirm(`Delete outlet "${o.name}" (${o.wa_number})? This cannot be undone.`)) return;
      try { await api("DELETE", `/api/outlets/${o.id}`); flash("Outlet deleted.", true); table.reload(); }
      catch (err) { flash(err.message); }
    }
    const form = document.getElementById("outlet-form");
    onSubmit(form, async (data) => {
      const body = { name: data.name, city: data.city, wa_number: data.wa_number };
      if (data.owner_id) body.owner_id = Number(data.owner_id);
      const o = await api("POST", "/api/outlets", body);
      form.reset();
      flash(`Outlet "${o.name}" added with number ${o.wa_number}.`, true);
      table.reload();
    });
  },

  users() {
    const superadmin = document.getElementById("users-table").dataset.superadmin === "true";
    const roles = superadmin ? ["user", "monitoring", "admin", "superadmin"] : ["user", "monitoring"];
    const plans = ["free", "pro", "enterprise", "unlimited"];
    const select = (options, value, onchange, disabled) =>
      el("select", { onchange, disabled }, options.map((o) => el("option", { value: o, selected: o === value }, o)));
    async function change(u, body, what) {
      try { await api("PATCH", `/api/admin/users/${u.id}`, body); flash(`${u.email}: ${what}.`, true); }
      catch (err) { flash(err.message); }
      table.reload();
    }
    const table = pagedTable({
      url: "/api/admin/users",
      tbody: document.querySelector("#users-table tbody"),
      empty: document.getElementById("empty"),
      pager: document.getElementById("pager"),
      search: document.getElementById("search"),
      row: (u) => {
        const staffTarget = u.role === "admin" || u.role === "superadmin";
        const locked = staffTarget && !superadmin;
        return el("tr", { "data-id": u.id },
          el("td", {}, u.email), el("td", {}, u.name),
          el("td", {}, locked ? u.role : select(roles, u.role, (e) => change(u, { role: e.target.value }, `role set to ${e.target.value}`))),
          el("td", {}, select(plans, u.plan, (e) => change(u, { plan: e.target.value }, `plan set to ${e.target.value}`))),
          el("td", {}, el("button", {
            type: "button", class: u.disabled ? "" : "danger", disabled: locked,
            onclick: () => {
              if (!u.disabled && !confirm(`Disable ${u.email}? They are logged out at once.`)) return;
              change(u, { disabled: !u.disabled }, u.disabled ? "enabled" : "disabled");
            },
          }, u.disabled ? "Enable" : "Disable")));
      },
    });
    const form = document.getElementById("user-form");
    onSubmit(form, async (data) => {
      const u = await api("POST", "/api/admin/users", data);
      form.reset();
      flash(`Created ${u.email} (${u.role}, ${u.plan}).`, true);
      table.reload();
    });
  },

  profile() {
    const form = document.getElementById("password-form");
    onSubmit(form, async (data) => {
      await api("POST", "/api/me/password", data);
      form.reset();
      flash("Password changed. Your other sessions were logged out.", true);
    });
    document.getElementById("logout-all").addEventListener("click", async () => {
      if (!confirm("Log out of every browser, including this one?")) return;
      try { await api("POST", "/api/auth/logout-all"); location.href = "/login"; } catch (err) { flash(err.message); }
    });
  },
};

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("menu-toggle")?.addEventListener("click", () => {
    document.getElementById("sidebar").classList.toggle("open");
  });
  pages[document.body.dataset.page]?.();
});
