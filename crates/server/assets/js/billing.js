// The billing page: the plan in force, a bar per limit (used of allowed), and the plans to
// compare. Past 80 % a bar turns amber; at the limit it says what to do.
import { $, api, el, flash, number, pagedTable, rupiah, t, when } from "./core.js";

const LIMITS = [
  ["messages", "messages_per_month"], ["outlets", "outlets"], ["contacts", "contacts"], ["templates", "templates"],
  ["auto_replies", "auto_replies"], ["chatbots", "chatbots"], ["integrations", "integrations"],
  ["webhooks", "webhooks"], ["api_keys", "api_keys"],
];
const limitLabel = (key) => t(`js-billing-limit-${key.replace(/_/g, "-")}`);
const amount = (max) => (max == null ? t("js-billing-unlimited") : number(max));

function usageRow(key, used, max) {
  const full = max != null && used >= max;
  const near = max != null && !full && used >= max * 0.8;
  const bar = max == null
    ? null
    : el("progress", { max: Math.max(max, 1), value: Math.min(used, max), "aria-label": limitLabel(key) });
  return el("li", { class: full ? "full" : near ? "near" : "", "data-limit": key },
    el("span", { class: "usage-name" }, limitLabel(key)),
    bar,
    el("span", { class: "usage-count" }, t("js-billing-used-of", { used: number(used), max: amount(max) })));
}

async function load() {
  try {
    const [mine, plans] = await Promise.all([api("GET", "/api/billing"), api("GET", "/api/plans")]);
    const current = plans.find((p) => p.code === mine.plan);
    const sub = mine.subscription;
    $("plan-summary").textContent = sub && sub.plan === mine.plan && sub.status === "active"
      ? t("js-billing-plan-until", { plan: current?.name ?? mine.plan, until: when(sub.period_end) })
      : t("js-billing-plan", { plan: current?.name ?? mine.plan });
    $("quota-month").textContent = t("js-billing-quota-month", { from: when(mine.quota_start), to: when(mine.quota_end) });
    const rows = LIMITS.map(([key, limit]) => usageRow(key, mine.usage[key], mine.limits[limit]));
    $("usage").replaceChildren(...rows);
    $("at-limit").hidden = !rows.some((r) => r.classList.contains("full"));
    const body = document.querySelector("#plans-table tbody");
    body.replaceChildren(...plans.map((p) => el("tr", { "data-plan": p.code, class: p.code === mine.plan ? "current" : "" },
      el("td", {}, p.name, p.code === mine.plan ? el("span", { class: "badge ok" }, t("js-billing-current")) : null),
      el("td", {}, rupiah(p.price_monthly)), el("td", {}, rupiah(p.price_yearly)),
      el("td", {}, amount(p.limits.messages_per_month)), el("td", {}, amount(p.limits.outlets)),
      el("td", {}, amount(p.limits.contacts)), el("td", {}, amount(p.limits.templates)),
      el("td", {}, t("js-billing-automation", { rules: amount(p.limits.auto_replies), bots: amount(p.limits.chatbots) })),
      el("td", { class: "actions" }, p.price_monthly > 0
        ? [payButton(p, "monthly"), payButton(p, "yearly")]
        : null))));
  } catch (err) { flash(err.message); }
}

// Pay: the invoice is written, then the gateway's page opens in this tab; the gateway sends the
// owner back here, and its notification has put them on the plan.
function payButton(plan, cycle) {
  const label = t(`js-billing-pay-${cycle}`, { name: plan.name });
  return el("button", { type: "button", class: `pay pay-${cycle}`, "aria-label": label, onclick: async (e) => {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      const invoice = await api("POST", "/api/billing/checkout", { plan: plan.code, cycle });
      location.assign(invoice.payment_url);
    } catch (err) {
      flash(err.message);
      invoices.reload();
    } finally { button.disabled = false; }
  } }, t(`js-billing-pay-${cycle}-short`));
}

const invoices = pagedTable({
  url: "/api/billing/invoices",
  tbody: document.querySelector("#invoices-table tbody"),
  empty: $("invoices-empty"),
  pager: $("invoices-pager"),
  row: (i) => el("tr", { "data-status": i.status },
    el("td", {}, el("code", {}, i.number)),
    el("td", {}, `${i.plan} · ${t(`js-billing-cycle-${i.cycle}`)}`),
    el("td", {}, rupiah(i.amount)),
    el("td", { class: "text-cell" }, el("span", { class: `badge invoice-${i.status}` }, t(`js-billing-invoice-${i.status}`)),
      i.error ? el("div", { class: "muted" }, i.error) : null),
    el("td", {}, when(i.created_at)),
    el("td", {}, i.paid_at ? when(i.paid_at) : "—"),
    el("td", {}, i.status === "pending" && i.payment_url ? el("a", { href: i.payment_url }, t("js-billing-pay-now")) : null)),
});

load();
