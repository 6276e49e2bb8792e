/* Attempt page: autosave on change, offline queue in localStorage, countdown. No inline scripts (CSP). */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var key = "quiz-unsent-" + form.getAttribute("data-attempt") + "-" + form.getAttribute("data-slot");
  var status = document.getElementById("save-status");
  var sending = false;

  function show(message, ok) {
    status.hidden = !message;
    status.textContent = message || "";
    status.className = "save-status" + (ok ? " ok" : "");
  }

  function pairs() {
    var data = new FormData(form), out = [];
    data.forEach(function (value, name) { if (name !== "go") { out.push([name, value]); } });
    return out;
  }

  function restore() {
    /* Answers typed while offline (not confirmed by the server) are put back into the form. */
    var saved = window.localStorage.getItem(key);
    if (!saved) { return; }
    var list;
    try { list = JSON.parse(saved); } catch (e) { window.localStorage.removeItem(key); return; }
    var fields = form.querySelectorAll("input[name^='q'], select[name^='q']");
    fields.forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { el.checked = false; }
    });
    list.forEach(function (p) {
      fields.forEach(function (el) {
        if (el.name !== p[0]) { return; }
        if (el.type === "radio" || el.type === "checkbox") { if (el.value === p[1]) { el.checked = true; } }
        else { el.value = p[1]; }
      });
    });
    show("Chưa lưu / mất kết nối — câu trả lời đang chờ gửi lại.", false);
    send();
  }

  function send() {
    var list = pairs();
    window.localStorage.setItem(key, JSON.stringify(list));
    if (sending) { return; }
    sending = true;
    var body = new URLSearchParams();
    list.forEach(function (p) { body.append(p[0], p[1]); });
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: "Chưa lưu được (phiên làm việc có thể đã hết hạn). Hãy tải lại trang." };
      }).then(function (data) { return { status: response.status, data: data }; });
    }).then(function (r) {
      sending = false;
      if (r.data.ok) {
        if (window.localStorage.getItem(key) === JSON.stringify(list)) { window.localStorage.removeItem(key); }
        else { send(); return; }
        show("Đã lưu.", true);
        var nav = document.getElementById("nav-" + r.data.slot);
        if (nav) { nav.classList.toggle("answered", !!r.data.answered); }
      } else if (r.data.closed) {
        /* Submitted (another tab, the countdown) or past the deadline: this answer was not stored.
           Say so, stop taking answers, and go to the result, which shows the same message again. */
        window.localStorage.removeItem(key);
        show(r.data.message, false);
        form.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = true; });
        if (r.data.redirect) { window.location.assign(r.data.redirect); }
      } else {
        show(r.data.message || "Chưa lưu được câu trả lời.", false);
      }
    }).catch(function () {
      sending = false;
      show("Chưa lưu / mất kết nối — câu trả lời sẽ được gửi lại khi có mạng.", false);
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.name && event.target.name.charAt(0) === "q") { send(); }
  });
  form.addEventListener("submit", function () { window.localStorage.removeItem(key); });
  window.addEventListener("online", function () { if (window.localStorage.getItem(key)) { send(); } });
  window.addEventListener("offline", function () { show("Chưa lưu / mất kết nối.", false); });
  restore();

  /* Countdown: the server rendered the remaining seconds; at zero the form is sent (answers saved, then graded). */
  var timer = document.getElementById("quiz-timer");
  var value = document.getElementById("quiz-timer-value");
  if (timer && value) {
    var end = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var s = left % 60;
      value.textContent = Math.floor(left / 60) + " phút " + (s < 10 ? "0" : "") + s + " giây";
      timer.classList.toggle("low", left <= 120);
      if (left === 0) {
        window.clearInterval(handle);
        var go = document.createElement("input");
        go.type = "hidden"; go.name = "go"; go.value = "timeout";
        form.appendChild(go);
        window.localStorage.removeItem(key);
        form.submit();
      }
    };
    var handle = window.setInterval(tick, 1000);
  }
}());
