// The series of one monitoring warning: window counts as bars, the threshold and the baseline
// mean as lines. Data from the json_script block, labels from the node's data attributes.
(function () {
  var source = document.getElementById("warning-chart-data");
  var node = document.getElementById("warning-chart");
  if (!window.echarts || !node || !source) { return; }
  var data = JSON.parse(source.textContent);
  var flat = function (value) { return data.labels.map(function () { return value; }); };
  var chart = echarts.init(node);
  chart.setOption({
    tooltip: {trigger: "axis"},
    legend: {top: 0, data: [node.dataset.labelCount, node.dataset.labelThreshold, node.dataset.labelExpected]},
    grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
    xAxis: {type: "category", data: data.labels},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: node.dataset.labelCount, type: "bar", data: data.counts, itemStyle: {color: "#0b3d91"}},
      {name: node.dataset.labelThreshold, type: "line", data: flat(data.threshold), symbol: "none", lineStyle: {color: "#c0392b", type: "dashed"}},
      {name: node.dataset.labelExpected, type: "line", data: flat(data.expected), symbol: "none", lineStyle: {color: "#1f8a70"}}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
