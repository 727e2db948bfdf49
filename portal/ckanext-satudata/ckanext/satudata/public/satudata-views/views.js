/* Draws the chart or map of a view page (resource_views.py) from the JSON the page carries. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("satudata-view-data").textContent);
  // Distinct on screen and for colour-blind readers (Okabe-Ito), then darker shades for long series lists.
  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
                 "#7f3c8d", "#11a579", "#3969ac", "#f2b701", "#e73f74", "#80ba5a", "#e68310", "#008695"];

  var canvas = document.getElementById("satudata-chart");
  if (canvas && window.Chart) {
    var many = data.labels.length > 60;
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {label: series.name || data.value_label, data: series.values, borderColor: colour,
                  backgroundColor: colour, borderWidth: 2, pointRadius: many ? 0 : 3, spanGaps: true};
        })
      },
      options: {
        animation: false,   // drawn at once: a reader of a long table does not wait for it
        maintainAspectRatio: false,
        interaction: {mode: "nearest", axis: "x", intersect: false},
        scales: {x: {ticks: {maxTicksLimit: 8, autoSkipPadding: 24, maxRotation: 0}},
                 y: {title: {display: true, text: data.value_label}}},
        plugins: {legend: {position: "bottom", display: data.series.length > 1 || !!data.series[0].name}}
      }
    });
  }

  var element = document.getElementById("satudata-map");
  if (element && window.L) {
    var map = window.L.map(element);
    if (data.tiles) {
      window.L.tileLayer(data.tiles, {attribution: data.attribution, maxZoom: 19}).addTo(map);
    }
    var bounds = [];
    data.points.forEach(function (point) {
      // Vector markers, not image icons: drawn whether or not any tile or image loads.
      var marker = window.L.circleMarker([point.lat, point.lon], {radius: 7, color: "#ffffff", weight: 2,
                                                                 fillColor: "#D55E00", fillOpacity: 0.9});
      if (point.label) {
        marker.bindTooltip(point.label);
      }
      marker.addTo(map);
      bounds.push([point.lat, point.lon]);
    });
    map.fitBounds(bounds, {padding: [30, 30], maxZoom: 14});
  }
})();
