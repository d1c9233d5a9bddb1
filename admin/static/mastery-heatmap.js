/* 掌握程度's heat map (admin/templates/admin/mastery.html): villages (or, in the
   district's view, towns) down, laws across, each cell's 知晓度 in percent, drawn by the
   vendored ECharts from the page's JSON block #mastery-data (admin.mastery._chart). A
   file, not inline script: the panel's CSP allows scripts from the app only. The same
   numbers are in the table below the map. */
(function () {
  "use strict";
  var source = document.getElementById("mastery-data");
  var el = document.getElementById("mastery-heatmap");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);

  function pct(v) { return v == null ? "—" : v.toFixed(1) + "%"; }
  // Names come from the database and the tooltip is HTML.
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  // A row per village (or town), tall enough to read; the laws' names run slanted underneath.
  el.style.height = Math.max(240, 120 + 32 * data.units.length) + "px";
  var chart = window.echarts.init(el, null, { locale: "ZH", renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: {
      position: "top",
      formatter: function (p) {
        var c = p.data.cell; // [law, row, score, retrievability, met share, learners, people, level]
        return esc(data.units[c[1]]) + " · 《" + esc(data.laws[c[0]]) + "》<br>" +
          "知晓度 " + pct(c[2]) + "（" + esc(c[7]) + "）<br>" +
          "记忆保持率 " + pct(c[3]) + "<br>" +
          "已学题目比例 " + pct(c[4]) + "<br>" +
          "参与 " + c[5] + " / " + c[6] + " 人";
      }
    },
    grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
    xAxis: {
      type: "category", data: data.laws.map(function (n) { return "《" + n + "》"; }), splitArea: { show: true },
      axisLabel: { interval: 0, rotate: data.laws.length > 4 ? 30 : 0, width: 140, overflow: "truncate" }
    },
    yAxis: { type: "category", data: data.units, inverse: true, splitArea: { show: true } },
    visualMap: {
      min: 0, max: 100, dimension: 2, calculable: true, orient: "horizontal", left: "center", bottom: 0,
      text: ["高", "知晓度 低"], inRange: { color: ["#d73027", "#fee08b", "#1a9850"] }
    },
    series: [{
      // Only [x, y, 知晓度] for ECharts (the colour follows the third); the rest for the tooltip.
      name: "知晓度", type: "heatmap",
      data: data.cells.map(function (c) { return { value: [c[0], c[1], c[2]], cell: c }; }),
      label: { show: true, formatter: function (p) { return pct(p.data.cell[2]); } },
      emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
}());
