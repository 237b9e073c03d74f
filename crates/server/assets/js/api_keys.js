import { $, api, ask, el, flash, number, onSubmit, pagedTable, t, when } from "./core.js";

async function revoke(k) {
  const sure = await ask({ message: t("js-api-keys-revoke-confirm", { name: k.name }), yes: t("js-api-keys-revoke"), danger: true });
  if (!sure) return;
  try { await api("DELETE", `/api/keys/${k.id}`); flash(t("js-api-keys-revoked-flash", { name: k.name }), true); table.reload(); }
  catch (err) { flash(err.message); }
}

const table = pagedTable({
  url: "/api/keys",
  tbody: document.querySelector("#keys-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (k) => el("tr", { "data-id": k.id },
    el("td", {}, k.name), el("td", {}, el("code", {}, `${k.prefix}…`)),
    el("td", {}, number(k.requests_in)), el("td", {}, number(k.messages_out)),
    el("td", {}, when(k.last_used_at)), el("td", {}, when(k.created_at)),
    el("td", {}, k.revoked_at
      ? el("span", { class: "badge bad" }, t("js-api-keys-revoked"))
      : el("button", { type: "button", class: "danger", "aria-label": t("js-api-keys-revoke-label", { name: k.name }), onclick: () => revoke(k) },
        t("js-api-keys-revoke")))),
});

// The secret is shown once, here; the list only ever has its prefix.
const form = $("key-form");
onSubmit(form, async (data) => {
  const created = await api("POST", "/api/keys", { name: data.name });
  form.reset();
  $("secret-value").textContent = created.secret;
  $("new-secret").hidden = false;
  table.reload();
});
