// Hold/rest timer on the log page's exercise cards (progressive: hidden without JavaScript).
(function () {
  "use strict";
  var fmt = function (s) { var m = Math.floor(s / 60); var r = s % 60; return m + ":" + (r < 10 ? "0" : "") + r; };
  document.querySelectorAll("[data-timer]").forEach(function (box) {
    var total = parseInt(box.dataset.seconds, 10);
    if (!(total > 0)) return;
    var clock = box.querySelector(".timer-clock");
    var start = box.querySelector("[data-timer-start]");
    var reset = box.querySelector("[data-timer-reset]");
    var done = box.querySelector(".timer-done");
    var left = total, tick = null;
    var show = function () { clock.textContent = fmt(left); };
    var stop = function () { clearInterval(tick); tick = null; start.textContent = left < total ? "Continue" : "Start"; };
    start.addEventListener("click", function () {
      if (tick) { stop(); return; }
      if (left <= 0) left = total;
      done.textContent = "";
      start.textContent = "Pause";
      tick = setInterval(function () {
        left -= 1; show();
        if (left <= 0) { stop(); done.textContent = "Time! Rest, then go again."; if (navigator.vibrate) navigator.vibrate(300); }
      }, 1000);
    });
    reset.addEventListener("click", function () { stop(); left = total; done.textContent = ""; start.textContent = "Start"; show(); });
    show();
    box.hidden = false;
  });
  // One send per log form: a double tap does not post twice (the server's form key also guards).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (ev.defaultPrevented) return;
      if (form.dataset.sent) { ev.preventDefault(); return; }
      form.dataset.sent = "1";
      var b = form.querySelector("button[type=submit]");
      if (b) { b.setAttribute("aria-disabled", "true"); b.textContent = "Saving…"; }
    });
  });
})();
