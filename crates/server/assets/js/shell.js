// The layout of every signed-in page (base.html, `Shell` in pages.rs): on a narrow screen the
// sidebar hides behind the menu button.
const menu = document.getElementById("menu-toggle");
menu?.addEventListener("click", () => {
  const open = document.getElementById("sidebar").classList.toggle("open");
  menu.setAttribute("aria-expanded", String(open));
});
