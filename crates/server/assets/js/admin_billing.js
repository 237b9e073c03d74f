// The admin's plans editor: one form per plan (prices in rupiah, a limit per resource, empty
// for none, and the footer). Saving sends the whole plan; a lowered limit deletes nothing.
import { $, api, el, flash, onSubmit, rupiah, t } from "./core.js";

const LIMITS = ["messages_per_month", "outlets", "contacts", "templates", "auto_replies", "chatbots", "integrations", "webhooks", "api_keys"];
const limitLabel = (key) => t(`js-admin-billing-limit-${key.replace(/_/g, "-")}`);

function field(label, input) {
  return el("label", {}, label, input);
}

function planForm(plan) {
  const id = (name) => `${plan.code}-${name}`;
  const number = (name, value, extra = {}) =>
    el("input", { id: id(name), name, type: "number", min: 0, step: 1, inputmode: "numeric", value: value ?? "", ...extra });
  const form = el("form", { class: "plan-form", "data-plan": plan.code, "aria-labelledby": id("heading") },
    el("h2", { id: id("heading") }, plan.name),
    el("div", { class: "row" },
      field(t("js-admin-billing-name"), el("input", { id: id("name"), name: "name", required: true, maxlength: 40, value: plan.name })),
      field(t("js-admin-billing-price-monthly"), number("price_monthly", plan.price_monthly, { required: true })),
      field(t("js-admin-billing-price-yearly"), number("price_yearly", plan.price_yearly, { required: true }))),
    el("fieldset", {},
      el("legend", {}, t("js-admin-billing-limits")),
      el("div", { class: "limit-grid" },
        LIMITS.map((key) => field(limitLabel(key), number(key, plan.limits[key], { placeholder: t("js-admin-billing-unlimited") }))))),
    field(t("js-admin-billing-footer"), el("input", { id: id("footer"), name: "footer", maxlength: 200, value: plan.footer,
      placeholder: t("js-admin-billing-no-footer") })),
    el("p", { class: "muted price-line" }, t("js-admin-billing-now", { monthly: rupiah(plan.price_monthly), yearly: rupiah(plan.price_yearly) })),
    el("button", { type: "submit", class: "primary" }, t("js-admin-billing-save", { name: plan.name })));
  onSubmit(form, async (data) => {
    const whole = (v) => (v === "" ? null : Number(v));
    const limits = Object.fromEntries(LIMITS.map((key) => [key, whole(data[key])]));
    const saved = await api("PUT", `/api/admin/plans/${plan.code}`, {
      name: data.name, price_monthly: Number(data.price_monthly), price_yearly: Number(data.price_yearly), limits, footer: data.footer,
    });
    flash(t("js-admin-billing-saved", { name: saved.name }), true);
    form.replaceWith(planForm(saved));
  });
  return el("section", { class: "card" }, form);
}

function showGateway(g) {
  $("gateway-state").textContent = g
    ? t(g.production ? "js-admin-billing-gateway-live" : "js-admin-billing-gateway-sandbox", { hint: g.key_hint })
    : t("js-admin-billing-gateway-none");
  $("production").checked = !!g?.production;
}

onSubmit($("gateway-form"), async (data) => {
  const saved = await api("PUT", "/api/admin/payment-gateways/midtrans",
    { server_key: data.server_key, production: $("production").checked });
  $("server-key").value = "";
  showGateway(saved);
  flash(t("js-admin-billing-gateway-saved"), true);
});

async function load() {
  try {
    const gateways = await api("GET", "/api/admin/payment-gateways");
    showGateway(gateways.find((g) => g.gateway === "midtrans"));
    const plans = await api("GET", "/api/plans");
    $("plan-forms").replaceChildren(...plans.map(planForm));
  } catch (err) { flash(err.message); }
}

load();
