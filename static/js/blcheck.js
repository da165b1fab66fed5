/* blcheck: the one small script. Progressive enhancement only; every page
   works without it, and it needs no inline script (CSP-friendly).

   - Charts: <canvas data-chart="ID"> is drawn with Chart.js from the JSON in
     <script type="application/json" id="ID"> (Django's json_script). The
     JSON: {labels, datasets: [{label, data, marker}], stacked, horizontal,
     unit}; a "marker" dataset is drawn as points (the worst beside a median
     bar). The chart's <figure> stays hidden until it is drawn.
   - Print: buttons with data-print call window.print(); they are hidden
     until this script shows them.
   - Live panels (the dashboard): an element with data-paused-by="ID" polls
     only while the checkbox ID is unticked; inside [data-live-panels], a
     panel that htmx would swap out of band is left alone when it holds the
     keyboard focus or its text did not change.
   Content swapped in by htmx gets the same treatment. htmx runs with
   allowEval false (base.html), so handlers live here, never in hx-on or a
   trigger filter. */
(function () {
  "use strict";

  // Okabe-Ito, then a few more that stay apart for colour-blind readers.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
    "#D55E00", "#F0E442", "#882255", "#44AA99", "#999933", "#777777"];

  function valueScale(spec) {
    var scale = { beginAtZero: true, stacked: spec.stacked, ticks: {} };
    if (spec.unit) {
      scale.title = { display: true, text: spec.unit };
    } else {
      scale.ticks.precision = 0; // counts: whole numbers only
    }
    return scale;
  }

  function datasets(spec) {
    return spec.datasets.map(function (set, index) {
      var colour = PALETTE[index % PALETTE.length];
      if (set.marker) {
        return {
          type: "line", label: set.label, data: set.data, showLine: false,
          indexAxis: spec.horizontal ? "y" : "x", pointStyle: "rectRot",
          pointRadius: 7, pointHoverRadius: 8, backgroundColor: colour,
          borderColor: "#000", borderWidth: 1
        };
      }
      return {
        type: "bar", label: set.label, data: set.data,
        backgroundColor: colour, borderColor: "#000", borderWidth: 1
      };
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!window.Chart || !source || window.Chart.getChart(canvas)) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var box = canvas.parentElement;
    if (spec.horizontal) { // room for every bar's label
      box.style.height = Math.max(12, 2 + spec.labels.length * 1.8) + "rem";
    }
    var index = { stacked: spec.stacked, ticks: { autoSkip: false } };
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets(spec) },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: spec.horizontal ?
          { x: valueScale(spec), y: index } : { x: index, y: valueScale(spec) },
        plugins: { legend: { position: "bottom" } }
      }
    });
    var figure = canvas.closest("figure");
    if (figure) {
      figure.hidden = false;
    }
  }

  function enhance(root) {
    if (!root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function forget(root) { // charts about to be swapped out by htmx
    if (!window.Chart || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) {
        chart.destroy();
      }
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) {
      window.print();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:load", function (event) {
    enhance(event.target.parentElement || event.target);
  });
  document.addEventListener("htmx:historyRestore", function () {
    enhance(document);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    forget(event.detail.target);
  });
  // Charts take the paper's width when printed, and the screen's after.
  function resizeAll() {
    if (!window.Chart) {
      return;
    }
    Object.values(window.Chart.instances).forEach(function (chart) {
      chart.resize();
    });
  }
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);

  // A paused poll asks nothing; the timer keeps running, so unticking resumes.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var pause = elt && elt.getAttribute &&
      document.getElementById(elt.getAttribute("data-paused-by") || "");
    if (pause && pause.checked) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target.closest || !target.closest("[data-live-panels]")) {
      return;
    }
    if (target.contains(document.activeElement) ||
        target.textContent === event.detail.fragment.textContent) {
      event.detail.shouldSwap = false;
    }
  });
}());
