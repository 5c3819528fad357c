// Behaviour that inline handlers would otherwise carry (the CSP forbids inline script).
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  const submitter = event.submitter;
  const message = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.addEventListener("click", (event) => {
  const all = event.target.closest("[data-check-all]");
  if (all) {
    document.querySelectorAll(`input[name="${all.dataset.checkAll}"]`).forEach((box) => { box.checked = all.checked; });
  }
});

// The header's menu button (shown on narrow screens): opens and closes the menu, Escape closes it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-menu-toggle]");
  if (!toggle) return;
  const bar = toggle.closest("[data-topbar]");
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  bar.classList.toggle("menu-open", open);
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("[data-menu-toggle][aria-expanded=true]").forEach((toggle) => {
    toggle.setAttribute("aria-expanded", "false");
    toggle.closest("[data-topbar]").classList.remove("menu-open");
    toggle.focus();
  });
});

// Lists turn into cards on narrow screens (app.css): every cell of a `table.list` carries its column's
// heading as `data-label`, unless the template set one itself. Runs on load and on every htmx swap.
function labelListCells(root) {
  root.querySelectorAll("table.list").forEach((table) => {
    const headings = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    if (!headings.length) return;
    table.querySelectorAll("tbody tr").forEach((row) => {
      let column = 0;
      Array.from(row.children).forEach((cell) => {
        if (!cell.hasAttribute("data-label") && headings[column]) cell.setAttribute("data-label", headings[column]);
        column += cell.colSpan || 1;
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", () => labelListCells(document));
document.addEventListener("htmx:load", (event) => labelListCells(event.target.closest("table") ? event.target.closest("table").parentNode : event.target));

// The menu on a desktop keeps one row: what does not fit moves, from the end, under "More" (a <details> list),
// and comes back when the window widens. On a phone the menu is a column behind the menu button: all links stay.
function fitMainMenu() {
  const nav = document.querySelector("nav.mainnav[data-priority-nav]");
  if (!nav) return;
  const more = nav.querySelector("[data-nav-more]");
  const list = more.querySelector("[data-nav-more-list]");
  Array.from(list.children).forEach((link) => nav.insertBefore(link, more));
  more.hidden = true;
  more.open = false;
  if (window.matchMedia("(max-width: 700px)").matches) return;
  const inline = () => Array.from(nav.children).filter((el) => el.tagName === "A");
  const rows = () => new Set(inline().concat(more.hidden ? [] : [more])
    .map((el) => Math.round(el.getBoundingClientRect().top))).size;
  if (rows() <= 1 && nav.scrollWidth <= nav.clientWidth) return;
  more.hidden = false;
  const links = inline();
  while (links.length > 1 && (rows() > 1 || nav.scrollWidth > nav.clientWidth)) {
    const link = links.pop();
    list.insertBefore(link, list.firstChild);
  }
  if (list.querySelector("[aria-current]")) more.classList.add("has-current");
  else more.classList.remove("has-current");
}
document.addEventListener("DOMContentLoaded", fitMainMenu);
let fitMainMenuFrame = 0;
window.addEventListener("resize", () => {
  cancelAnimationFrame(fitMainMenuFrame);
  fitMainMenuFrame = requestAnimationFrame(fitMainMenu);
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("[data-nav-more][open]").forEach((more) => {
    if (!more.contains(event.target)) more.open = false;
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") document.querySelectorAll("[data-nav-more][open]").forEach((more) => { more.open = false; });
});
