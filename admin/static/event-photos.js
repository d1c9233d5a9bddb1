/* Event photos: upload the selected photos one request each, with a progress bar per
   photo, so a batch has no total size (each photo is still refused above the limit).
   A photo refused says why; when every photo went up the page reloads to show them. */
(function () {
  "use strict";
  var form = document.getElementById("photo-upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;  // the form posts itself
  var input = document.getElementById("photo-file");
  var caption = document.getElementById("photo-caption");
  var button = form.querySelector("button[type=submit]");
  var list = document.getElementById("upload-progress");
  var summary = document.getElementById("upload-summary");
  var maxBytes = Number(form.dataset.maxBytes), maxMb = form.dataset.maxMb;
  var NOTE = "event-photos-note:" + form.action;

  function show(text, kind) {
    summary.className = "mt-2 alert alert-" + kind;
    summary.textContent = text;
    summary.hidden = false;
  }

  // The result of the batch that reloaded the page.
  var note = window.sessionStorage && sessionStorage.getItem(NOTE);
  if (note) {
    sessionStorage.removeItem(NOTE);
    show(note, "success");
  }

  function row(file) {
    var li = document.createElement("li");
    li.className = "upload-row mb-1";
    li.dataset.state = "waiting";
    var name = document.createElement("span");
    name.className = "upload-name mr-2";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.className = "mr-2 align-middle";
    var percent = document.createElement("span");
    percent.className = "upload-percent mr-2";
    percent.textContent = "等待上传";
    var result = document.createElement("span");
    result.className = "upload-result";
    li.append(name, bar, percent, result);
    list.append(li);
    return {
      progress: function (value) {
        li.dataset.state = "uploading";
        bar.value = value;
        percent.textContent = Math.floor(value) + "%";
      },
      finish: function (ok, message) {
        li.dataset.state = ok ? "done" : "failed";
        if (ok) { bar.value = 100; percent.textContent = "100%"; } else { percent.textContent = ""; }
        result.className = "upload-result " + (ok ? "text-success" : "text-danger");
        result.textContent = message;
      }
    };
  }

  function failure(xhr) {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { /* an error page, not JSON */ }
    if (body && body.message) return body.message;
    if (xhr.status === 413) return "图片过大：每张不能超过 " + maxMb + " MB。";
    if (xhr.status === 403) return "没有上传照片的权限。";
    if (xhr.status === 400) return "页面已过期，请刷新页面后重新上传。";
    return "上传失败（服务器返回 " + xhr.status + "），请稍后重试。";
  }

  function send(file, view, done) {
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append("caption", caption.value);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) view.progress(e.loaded / e.total * 100);
    });
    xhr.addEventListener("load", function () {
      // A session that ended is sent to the login page, which is not JSON.
      if (xhr.status === 200 && xhr.responseURL.indexOf("/auth/login") === -1) {
        var body = JSON.parse(xhr.responseText);
        view.finish(true, body.message);
        done(body.created ? "added" : "existing");
      } else {
        view.finish(false, xhr.status === 200 ? "登录已过期，请刷新页面重新登录后上传。" : failure(xhr));
        done("failed");
      }
    });
    xhr.addEventListener("error", function () {
      view.finish(false, "网络中断，未上传，请重试。");
      done("failed");
    });
    view.progress(0);
    xhr.send(data);
  }

  function report(tally) {
    var parts = [];
    if (tally.added) parts.push("已上传 " + tally.added + " 张照片");
    if (tally.existing) parts.push(tally.existing + " 张此活动已有，未重复保存");
    if (tally.failed) parts.push(tally.failed + " 张未能上传（原因见上）");
    return parts.join("；") + "。";
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    if (!files.length) return;
    button.disabled = input.disabled = true;
    list.textContent = "";
    summary.hidden = true;
    var views = files.map(row), tally = {added: 0, existing: 0, failed: 0};
    // One at a time: the server holds one photo at once, and the order is kept.
    (function next(i) {
      if (i === files.length) {
        button.disabled = input.disabled = false;
        input.value = "";
        if (!tally.failed && window.sessionStorage) {
          sessionStorage.setItem(NOTE, report(tally));
          window.location.reload();
        } else {
          show(report(tally) + (tally.added ? "刷新页面可看到新上传的照片。" : ""), tally.failed ? "warning" : "success");
        }
        return;
      }
      if (files[i].size > maxBytes) {
        views[i].finish(false, "图片过大：每张不能超过 " + maxMb + " MB，未上传。");
        tally.failed += 1;
        next(i + 1);
        return;
      }
      send(files[i], views[i], function (outcome) {
        tally[outcome] += 1;
        next(i + 1);
      });
    })(0);
  });
}());
