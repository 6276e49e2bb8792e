/* A small calendar for the date fields (lms/forms.py: VNDateField, VNDateTimeField).

   The field is a text box the server reads (dd/mm/yyyy, 24-hour time): without this script it is
   typed and works the same. The script adds a "Lịch" button that opens a calendar next to the box:
   arrows move a day / a week, Page Up / Page Down a month (with Shift a year), Home / End the
   start / end of the week, Enter or Space chooses, Esc closes and gives the focus back. A date-time
   field keeps the time already typed (08:00 when none, selected so it can be typed over).
   Month and day names and every label come from #ui-strings, in the page's language. */
(function () {
  "use strict";

  var strings = document.getElementById("ui-strings");
  var counter = 0;

  function text(name, fallback) {
    return (strings && strings.dataset[name]) || fallback;
  }

  function list(name, fallback) {
    var value = text(name, "");
    return value ? value.split("|") : fallback;
  }

  var MONTHS = list("months", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]);
  var DAYS = list("daysShort", ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]);
  var DAYS_LONG = list("daysLong", DAYS);

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(d) { return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear(); }

  function sameDay(a, b) {
    return a && b && a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  function parse(value) {
    var m = /^\s*(\d{1,2})\s*[\/.\-]\s*(\d{1,2})\s*[\/.\-]\s*(\d{4})/.exec(value);
    var y, mo, d;
    if (m) { d = +m[1]; mo = +m[2]; y = +m[3]; } else {
      m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})/.exec(value);
      if (!m) { return null; }
      y = +m[1]; mo = +m[2]; d = +m[3];
    }
    var date = new Date(y, mo - 1, d);
    return date.getMonth() === mo - 1 && date.getDate() === d ? date : null;
  }

  function timePart(value) {
    var m = /^\s*\S+[ T,]+(.+?)\s*$/.exec(value);
    return m ? m[1] : "";
  }

  function addDays(d, n) { return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n); }

  function addMonths(d, n) {
    var last = new Date(d.getFullYear(), d.getMonth() + n + 1, 0).getDate();
    return new Date(d.getFullYear(), d.getMonth() + n, Math.min(d.getDate(), last));
  }

  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function Picker(input) {
    this.input = input;
    this.kind = input.dataset.datepicker;
    this.id = "datepicker-" + (++counter);
    var wrap = el("span", { "class": "datepicker" });
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    this.button = el("button", {
      type: "button", "class": "secondary datepicker-button", "aria-haspopup": "dialog",
      "aria-expanded": "false", "aria-controls": this.id, "aria-label": text("openCalendar", "Calendar")
    }, text("calendarButton", "Lịch"));
    var label = input.labels && input.labels[0];
    if (label) {  // which field the button is for: described by the field's label (its name stays short)
      if (!label.id) { label.id = (input.id || this.id) + "-label"; }
      this.button.setAttribute("aria-describedby", label.id);
    }
    wrap.appendChild(this.button);
    this.dialog = el("div", { id: this.id, "class": "datepicker-dialog", role: "dialog", "aria-label": text("calendar", "Calendar") });
    this.dialog.hidden = true;
    wrap.appendChild(this.dialog);
    this.build();
    var self = this;
    this.button.addEventListener("click", function () { if (self.dialog.hidden) { self.open(); } else { self.close(true); } });
    document.addEventListener("mousedown", function (event) {
      if (!self.dialog.hidden && !wrap.contains(event.target)) { self.close(false); }
    });
  }

  Picker.prototype.build = function () {
    var self = this;
    var head = el("div", { "class": "datepicker-head" });
    this.prev = el("button", { type: "button", "class": "secondary", "aria-label": text("prevMonth", "Previous month") }, "‹");
    this.next = el("button", { type: "button", "class": "secondary", "aria-label": text("nextMonth", "Next month") }, "›");
    this.title = el("p", { id: this.id + "-title", "class": "datepicker-title", "aria-live": "polite" });
    head.appendChild(this.prev); head.appendChild(this.title); head.appendChild(this.next);
    this.dialog.appendChild(head);
    this.table = el("table", { role: "grid", "aria-labelledby": this.id + "-title" });
    var row = el("tr");
    for (var i = 0; i < 7; i++) {
      var th = el("th", { scope: "col", abbr: DAYS_LONG[i] }, DAYS[i]);
      row.appendChild(th);
    }
    var thead = el("thead"); thead.appendChild(row); this.table.appendChild(thead);
    this.body = el("tbody"); this.table.appendChild(this.body);
    this.dialog.appendChild(this.table);
    var foot = el("div", { "class": "datepicker-foot" });
    var today = el("button", { type: "button", "class": "secondary" }, text("today", "Today"));
    var close = el("button", { type: "button", "class": "secondary" }, text("close", "Close"));
    foot.appendChild(today); foot.appendChild(close);
    this.dialog.appendChild(foot);
    this.dialog.appendChild(el("p", { "class": "hint" }, text("calendarHelp", "")));
    this.prev.addEventListener("click", function () { self.show(addMonths(self.focus, -1), false); });
    this.next.addEventListener("click", function () { self.show(addMonths(self.focus, 1), false); });
    today.addEventListener("click", function () { self.choose(new Date()); });
    close.addEventListener("click", function () { self.close(true); });
    this.dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); self.close(true); }
    });
    this.body.addEventListener("keydown", function (event) { self.key(event); });
    this.body.addEventListener("click", function (event) {
      var target = event.target.closest("button[data-date]");
      if (target) { self.choose(parse(target.dataset.date)); }
    });
  };

  Picker.prototype.open = function () {
    this.chosen = parse(this.input.value);
    this.dialog.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.show(this.chosen || new Date(), true);
  };

  Picker.prototype.close = function (refocus) {
    this.dialog.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (refocus) { this.button.focus(); }
  };

  Picker.prototype.show = function (focus, moveFocus) {
    this.focus = focus;
    this.title.textContent = MONTHS[focus.getMonth()] + " " + focus.getFullYear();
    while (this.body.firstChild) { this.body.removeChild(this.body.firstChild); }
    var first = new Date(focus.getFullYear(), focus.getMonth(), 1);
    var offset = (first.getDay() + 6) % 7;  // Monday first
    var days = new Date(focus.getFullYear(), focus.getMonth() + 1, 0).getDate();
    var today = new Date();
    var row = el("tr");
    for (var blank = 0; blank < offset; blank++) { row.appendChild(el("td")); }
    for (var day = 1; day <= days; day++) {
      var date = new Date(focus.getFullYear(), focus.getMonth(), day);
      var cell = el("td", { role: "gridcell" });
      var button = el("button", { type: "button", "data-date": format(date), tabindex: sameDay(date, focus) ? "0" : "-1",
        "aria-label": DAYS_LONG[(date.getDay() + 6) % 7] + " " + format(date) }, String(day));
      if (sameDay(date, this.chosen)) { cell.setAttribute("aria-selected", "true"); button.classList.add("chosen"); }
      if (sameDay(date, today)) { button.setAttribute("aria-current", "date"); }
      cell.appendChild(button);
      row.appendChild(cell);
      if ((offset + day) % 7 === 0) { this.body.appendChild(row); row = el("tr"); }
    }
    if (row.children.length) {
      while (row.children.length < 7) { row.appendChild(el("td")); }
      this.body.appendChild(row);
    }
    if (moveFocus) { this.body.querySelector('button[tabindex="0"]').focus(); }
  };

  Picker.prototype.key = function (event) {
    var f = this.focus;
    var next = null;
    switch (event.key) {
      case "ArrowLeft": next = addDays(f, -1); break;
      case "ArrowRight": next = addDays(f, 1); break;
      case "ArrowUp": next = addDays(f, -7); break;
      case "ArrowDown": next = addDays(f, 7); break;
      case "Home": next = addDays(f, -((f.getDay() + 6) % 7)); break;
      case "End": next = addDays(f, 6 - ((f.getDay() + 6) % 7)); break;
      case "PageUp": next = addMonths(f, event.shiftKey ? -12 : -1); break;
      case "PageDown": next = addMonths(f, event.shiftKey ? 12 : 1); break;
      case "Enter": case " ": event.preventDefault(); this.choose(f); return;
      default: return;
    }
    event.preventDefault();
    this.show(next, true);
  };

  Picker.prototype.choose = function (date) {
    var value = format(date);
    var selectTime = false;
    if (this.kind === "datetime") {
      var time = timePart(this.input.value);
      selectTime = !time;
      value += " " + (time || "08:00");
    }
    this.input.value = value;
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
    this.input.dispatchEvent(new Event("change", { bubbles: true }));
    this.close(false);
    this.input.focus();
    if (selectTime) { this.input.setSelectionRange(value.length - 5, value.length); }
  };

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-datepicker]"), function (input) {
      if (!input.dataset.datepickerReady) { input.dataset.datepickerReady = "1"; new Picker(input); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
