// Small progressive enhancement; every page works without JavaScript.
(function () {
  "use strict";
  // Show the live value next to each pain slider (also announced: the <output> is aria-live).
  document.querySelectorAll("input[type=range][data-output]").forEach(function (el) {
    var out = document.getElementById(el.dataset.output);
    if (!out) return;
    var update = function () { out.textContent = el.value + "/10"; };
    el.addEventListener("input", update);
    update();
  });
  // Inline validation messages from the browser's constraint checks, written next to the field.
  document.querySelectorAll("form[data-validate]").forEach(function (form) {
    var show = function (el) {
      var msg = document.getElementById(el.id + "-error");
      if (!msg) return;
      var text = el.validity.valid ? "" : el.validationMessage;
      msg.textContent = text;
      el.setAttribute("aria-invalid", text ? "true" : "false");
    };
    form.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (!el.id) return;
      el.addEventListener("blur", function () { show(el); });
      el.addEventListener("input", function () { if (el.getAttribute("aria-invalid") === "true") show(el); });
    });
    form.addEventListener("submit", function (ev) {
      var first = null;
      form.querySelectorAll("input, select, textarea").forEach(function (el) {
        if (!el.id) return;
        show(el);
        if (!el.validity.valid && !first) first = el;
      });
      if (first) { ev.preventDefault(); first.focus(); }
    });
  });
})();
