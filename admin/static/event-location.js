/* The event form: fill latitude and longitude from this browser's location, or from
   coordinates pasted from a Chinese map app in either order ("114.305,30.593" as
   Tencent and Amap copy them, longitude first, or "30.593, 114.305"). */
(function () {
  "use strict";
  var helper = document.getElementById("event-location-helper");
  var latitude = document.getElementById("latitude"), longitude = document.getElementById("longitude");
  if (!helper || !latitude || !longitude) return;
  var pasted = document.getElementById("pasted-coordinates");
  var button = document.getElementById("use-my-location");
  var message = document.getElementById("location-message");
  latitude.closest(".form-group").before(helper);
  helper.hidden = false;

  // Mainland China lies between longitudes 73 and 135; a latitude is within ±90.
  function fits(lat, lng) {
    return Math.abs(lat) <= 90 && lng >= 73 && lng <= 135;
  }

  /* {lat, lng} from a pasted text, or {error}. */
  function parse(text) {
    var numbers = (text.match(/-?\d+(?:\.\d+)?/g) || []).map(Number);
    if (numbers.length !== 2) return {error: "请粘贴两个数字：经度和纬度，中间用逗号隔开，如 114.305,30.593。"};
    var a = numbers[0], b = numbers[1];
    var lngFirst = fits(b, a), latFirst = fits(a, b);
    if (lngFirst && latFirst) return {error: "无法判断哪个是经度、哪个是纬度，请分别填写下面的纬度和经度。"};
    if (lngFirst) return {lat: b, lng: a};
    if (latFirst) return {lat: a, lng: b};
    return {error: "这不是国内的坐标（经度应在 73 到 135 之间，纬度在 -90 到 90 之间），请核对后重新粘贴。"};
  }

  function say(text, kind) {
    message.textContent = text;
    message.className = "form-text " + (kind === "error" ? "text-danger" : kind === "ok" ? "text-success" : "text-muted");
  }

  // The coordinate-datum choice, where the form has it: map apps give GCJ-02, a browser's location WGS-84.
  function datum(value) {
    var choice = document.querySelector("input[name=coord_type][value=" + value + "]");
    if (choice) choice.checked = true;
  }

  function fill(lat, lng) {
    latitude.value = lat.toFixed(6);
    longitude.value = lng.toFixed(6);
    [latitude, longitude].forEach(function (field) { field.dispatchEvent(new Event("change", {bubbles: true})); });
  }

  function usePasted(quiet) {
    var text = pasted.value.trim();
    if (!text) return;
    var point = parse(text);
    if (point.error) {
      if (!quiet) say(point.error, "error");
      return;
    }
    fill(point.lat, point.lng);
    datum("gcj02");
    say("已填入：纬度 " + point.lat + "，经度 " + point.lng + "（地图坐标，GCJ-02）。", "ok");
  }

  pasted.addEventListener("input", function () { usePasted(true); });  // quiet while typing
  pasted.addEventListener("change", function () { usePasted(false); });
  pasted.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {  // fill the fields, do not save the form
      e.preventDefault();
      usePasted(false);
    }
  });

  var REFUSALS = {
    1: "浏览器未允许获取位置：请在地址栏的网站设置中允许定位，或从地图粘贴坐标。",
    2: "无法获取当前位置（设备未开启定位或信号弱），请从地图粘贴坐标。",
    3: "获取位置超时，请重试或从地图粘贴坐标。"
  };

  button.addEventListener("click", function () {
    if (!navigator.geolocation || !window.isSecureContext) {
      say("浏览器只在 HTTPS 连接的网页上提供定位，请从地图粘贴坐标。", "error");
      return;
    }
    button.disabled = true;
    say("正在获取当前位置…", "");
    navigator.geolocation.getCurrentPosition(function (position) {
      button.disabled = false;
      var c = position.coords;
      fill(c.latitude, c.longitude);
      datum("wgs84");
      say("已填入当前位置（精度约 " + Math.round(c.accuracy) + " 米，手机或 GPS 定位坐标，WGS-84）。", "ok");
    }, function (error) {
      button.disabled = false;
      say(REFUSALS[error.code] || "无法获取当前位置，请从地图粘贴坐标。", "error");
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
  });
}());
