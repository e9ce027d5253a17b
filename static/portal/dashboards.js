// The dashboards' charts: options built on the server (portal/dashboards/charts.py), passed
// with json_script as {"<container id>": {"option": {...}, "urls": [...]}}; no inline script.
(function () {
  "use strict";

  var source = document.getElementById("dashboard-charts");
  if (!source || !window.echarts) { return; }
  var specs = JSON.parse(source.textContent);
  var font = window.getComputedStyle(document.body).fontFamily;
  var charts = [];

  Object.keys(specs).forEach(function (id) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var spec = specs[id];
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    var option = spec.option;
    option.textStyle = { fontFamily: font };
    option.animationDuration = 400;
    chart.setOption(option);
    if (spec.urls) {
      // A click on a region's or unit's bar opens its own dashboard.
      element.style.cursor = "pointer";
      chart.on("click", function (params) {
        var url = spec.urls[params.dataIndex];
        if (url) { window.location.href = url; }
      });
    }
    charts.push(chart);
  });

  var pending = null;
  function resize() {
    if (pending) { return; }
    pending = window.requestAnimationFrame(function () {
      pending = null;
      charts.forEach(function (chart) { chart.resize(); });
    });
  }
  if (window.ResizeObserver) {
    var observer = new window.ResizeObserver(resize);
    charts.forEach(function (chart) { observer.observe(chart.getDom()); });
  } else {
    window.addEventListener("resize", resize);
  }
})();
