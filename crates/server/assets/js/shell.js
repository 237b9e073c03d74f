// The layout of every signed-in page (base.html, `Shell` in pages.rs): on a narrow screen the
// sidebar hides behind the menu button.
document.getElementById("menu-toggle")?.addEventListener("click", () => {
  document.getElementById("sidebar").classList.toggle("open");
});
