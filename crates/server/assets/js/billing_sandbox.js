// The sandbox's payment page: paying (or refusing) sends the application the notification a
// real gateway would; then back to the billing page, which shows the plan it bought.
import { $, api, flash } from "./core.js";

const number = $("sandbox-payment").dataset.number;

async function answer(pay, button) {
  button.disabled = true;
  try {
    await api("POST", `/api/billing/sandbox/${encodeURIComponent(number)}`, { pay });
    location.assign("/billing");
  } catch (err) {
    flash(err.message);
    button.disabled = false;
  }
}

$("sandbox-pay").addEventListener("click", (e) => answer(true, e.currentTarget));
$("sandbox-refuse").addEventListener("click", (e) => answer(false, e.currentTarget));
