// Yardstick web app: the one script (no inline script: the CSP forbids it). Selects
// marked data-autosubmit send their form when changed; every form also has a button,
// so the pages work without this script and from the keyboard.
document.addEventListener("change", function (e) {
  var el = e.target;
  if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.submit();
  }
});
