// The billing page: the plan in force, a bar per limit (used of allowed), and the plans to
// compare. Past 80 % a bar turns amber; at the limit it says what to do.
import { $, api, el, flash, number, rupiah, t, when } from "./core.js";

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
      el("td", {}, t("js-billing-automation", { rules: amount(p.limits.auto_replies), bots: amount(p.limits.chatbots) })))));
  } catch (err) { flash(err.message); }
}

load();
