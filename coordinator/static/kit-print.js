// Interview kits: the Print button prints the page (the print stylesheet in focus.css lays it out for paper).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
