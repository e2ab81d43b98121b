// Exercise figures: pause/play and tap-to-enlarge (templates/_exercise_figure.html).
// Progressive enhancement: without JavaScript the figure still animates (or stays still under
// prefers-reduced-motion) and the controls stay hidden.
(function () {
  "use strict";
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  document.querySelectorAll("[data-rw-figure]").forEach(function (fig) {
    var svg = fig.querySelector("svg.rw-figure");
    var controls = fig.querySelector("[data-rw-controls]");
    var pause = fig.querySelector("[data-rw-pause]");
    var enlarge = fig.querySelector("[data-rw-enlarge]");
    var stage = fig.querySelector("[data-rw-stage]");
    if (!svg || !controls) return;
    controls.hidden = false;
    var setPaused = function (paused) {
      svg.classList.toggle("rw-paused", paused);
      pause.setAttribute("aria-pressed", paused ? "true" : "false");
      pause.textContent = paused ? "Play" : "Pause";
    };
    pause.addEventListener("click", function () {
      setPaused(pause.getAttribute("aria-pressed") !== "true");
    });
    var setLarge = function (large) {
      fig.classList.toggle("rw-fig--large", large);
      enlarge.setAttribute("aria-expanded", large ? "true" : "false");
      enlarge.textContent = large ? "Close" : "Enlarge";
      if (large) enlarge.focus();
    };
    enlarge.addEventListener("click", function () {
      setLarge(enlarge.getAttribute("aria-expanded") !== "true");
    });
    stage.addEventListener("click", function () {
      setLarge(!fig.classList.contains("rw-fig--large"));
    });
    fig.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && fig.classList.contains("rw-fig--large")) {
        setLarge(false);
      }
    });
    if (reduce && reduce.matches) setPaused(true);
  });
})();
