/* The dashboard's charts (admin/templates/admin/dashboard.html): each container
   [data-chart=KEY] is drawn from the page's JSON block #dashboard-charts, which the
   server fills (reports.dashboard.charts). A file, not inline script: the panel's CSP
   allows scripts from the app only. The same numbers are in the table beside each chart. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-charts");
  if (!source || !window.echarts) { return; }
  var specs = JSON.parse(source.textContent);
  var drawn = [];

  function option(spec) {
    var percent = !!spec.percent;
    var valueAxis = {
      type: "value", minInterval: 1,
      max: percent ? 100 : null,
      axisLabel: { formatter: percent ? "{value}%" : "{value}" }
    };
    var categoryAxis = {
      type: "category", data: spec.categories, inverse: !!spec.horizontal,
      axisLabel: { interval: spec.horizontal ? 0 : "auto", width: spec.horizontal ? 180 : null, overflow: "truncate" }
    };
    return {
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + (percent ? "%" : ""); } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: spec.horizontal ? valueAxis : categoryAxis,
      yAxis: spec.horizontal ? categoryAxis : valueAxis,
      series: spec.series.map(function (s) {
        return { name: s.name, type: s.kind, data: s.data, barMaxWidth: 40, connectNulls: false };
      })
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var spec = specs[el.getAttribute("data-chart")];
    if (!spec) { return; }
    var chart = window.echarts.init(el, null, { locale: "ZH", renderer: "canvas" });
    chart.setOption(option(spec));
    drawn.push(chart);
  });
  window.addEventListener("resize", function () {
    drawn.forEach(function (chart) { chart.resize(); });
  });
}());
