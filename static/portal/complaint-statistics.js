// The monthly complaint chart of the statistics page: data from the json_script block, series
// names from the chart node's data attributes (translated in the template).
(function () {
  var source = document.getElementById("complaint-month-data");
  var node = document.getElementById("complaint-month-chart");
  if (!window.echarts || !node || !source) { return; }
  var data = JSON.parse(source.textContent);
  var total = node.dataset.labelTotal, overdue = node.dataset.labelOverdue;
  var chart = echarts.init(node);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {data: [total, overdue]},
    xAxis: {type: "category", data: data.months},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: total, type: "bar", data: data.totals},
      {name: overdue, type: "line", data: data.overdue}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
