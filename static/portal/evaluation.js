// Evaluation charts: ranking bars and an entity's radar, data from json_script (vendored ECharts).
(function () {
  "use strict";
  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  function mount(id, option) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) { return; }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var bars = read("eval-bars-data");
  if (bars) {
    mount("eval-bars", {
      color: ["#0b3d91"],
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: bars.names, axisLabel: { rotate: 45 } },
      yAxis: { type: "value", max: 100 },
      series: [{ type: "bar", data: bars.totals }]
    });
  }
  var radar = read("eval-radar-data");
  if (radar) {
    mount("eval-radar", {
      radar: { indicator: radar.indicators.map(function (name) { return { name: name, max: 40 }; }) },
      series: [{ type: "radar", data: [{ value: radar.values }] }]
    });
  }
})();
