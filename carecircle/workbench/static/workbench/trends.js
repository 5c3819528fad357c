// The district's trend chart: monthly counts from the workbench's JSON endpoint, drawn with the vendored
// ECharts (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-trends-src]").forEach((box) => {
    if (typeof echarts === "undefined") return;
    fetch(box.dataset.trendsSrc, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        const chart = echarts.init(box, null, { renderer: "canvas" });
        chart.setOption({
          tooltip: { trigger: "axis" },
          legend: { top: 0 },
          grid: { left: 40, right: 16, top: 48, bottom: 28 },
          xAxis: { type: "category", data: data.months },
          yAxis: { type: "value", minInterval: 1 },
          series: data.series.map((s) => ({ name: s.label, type: "line", smooth: true, data: s.values })),
        });
        box.dataset.ready = "true";
        window.addEventListener("resize", () => chart.resize());
      })
      .catch(() => { box.dataset.ready = "failed"; });
  });
});
