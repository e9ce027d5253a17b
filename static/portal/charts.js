// Renders the dashboard's charts from data passed with json_script (no inline data, no CDN).
(function () {
  "use strict";
  function barChart(elementId, dataId) {
    var element = document.getElementById(elementId);
    var source = document.getElementById(dataId);
    if (!element || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: {},
      grid: { left: 40, right: 16, top: 16, bottom: 32 },
      xAxis: { type: "category", data: Object.keys(data) },
      yAxis: { type: "value" },
      series: [{ type: "bar", data: Object.values(data), itemStyle: { color: "#0d6efd" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  barChart("region-chart", "region-counts");
})();
