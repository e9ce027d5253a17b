// Renders the dashboard's charts from data passed with json_script (no inline data, no CDN).
(function () {
  "use strict";

  var PALETTE = ["#0b3d91", "#1f8a70", "#d98a00", "#7a4fb5", "#c0392b", "#2e86c1"];

  function fontFamily() {
    return window.getComputedStyle(document.body).fontFamily;
  }

  function readData(dataId) {
    var source = document.getElementById(dataId);
    return source ? JSON.parse(source.textContent) : null;
  }

  function mount(element, option) {
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    if (window.ResizeObserver) {
      new window.ResizeObserver(function () { chart.resize(); }).observe(element);
    } else {
      window.addEventListener("resize", function () { chart.resize(); });
    }
    return chart;
  }

  function barChart(elementId, dataId) {
    var element = document.getElementById(elementId);
    var data = readData(dataId);
    if (!element || !data || !window.echarts) { return null; }
    var names = Object.keys(data);
    return mount(element, {
      color: PALETTE,
      textStyle: { fontFamily: fontFamily() },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: names,
        axisTick: { alignWithLabel: true },
        // Long labels (and English ones) wrap inside their own column instead of vanishing.
        axisLabel: { interval: 0, width: Math.max(40, element.clientWidth / names.length - 12), overflow: "break", color: "#5a6475" }
      },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e8ecf2" } } },
      series: [{
        type: "bar",
        barMaxWidth: 48,
        data: names.map(function (name, index) {
          return { value: data[name], itemStyle: { color: PALETTE[index % PALETTE.length], borderRadius: [4, 4, 0, 0] } };
        }),
        label: { show: true, position: "top", color: "#1d2433" }
      }]
    });
  }

  window.portalCharts = { barChart: barChart, mount: mount, palette: PALETTE };
  barChart("region-chart", "region-counts");
})();
