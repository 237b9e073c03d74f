// kewhats pages: a JSON API helper and one small initialiser per page (body[data-page]).
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

async function api(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  if (res.status === 401 && !url.startsWith("/api/auth/")) {
    location.href = "/login";
    throw new Error("Your session ended; log in again.");
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(data?.error?.message || `Request failed (${res.status})`);
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
function pagedTable({ url, tbody, row, empty, pager, search }) {
  let page = 1, q = "";
  async function load() {
    try {
      const params = new URLSearchParams({ page, per_page: 25 });
      if (q) params.set("q", q);
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

const pages = {
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
