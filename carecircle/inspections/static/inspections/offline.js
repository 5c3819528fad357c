// Keeps an inspection form working when the connection drops: every change is saved in this browser
// (localStorage); a submit while offline is kept and sent once the connection is back. The server stays the
// judge: what it refuses is shown on the page it answers with, and the local copy is kept until it accepts.
(function () {
  "use strict";
  function init(form) {
    var key = "carecircle:" + form.getAttribute("data-offline-form");
    var status = document.querySelector("[data-offline-status]");
    function say(text) { if (status) { status.textContent = text; status.hidden = false; } }
    function snapshot(action) {
      var data = { fields: {}, checked: [], action: action || "" };
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "submit" || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
        if (el.type === "checkbox") { if (el.checked) data.checked.push(el.name + "=" + el.value); return; }
        data.fields[el.name] = el.value;
      });
      return data;
    }
    function save(action) {
      try { localStorage.setItem(key, JSON.stringify(snapshot(action))); } catch (e) { /* storage full: nothing kept */ }
    }
    function restore() {
      var raw = null;
      try { raw = localStorage.getItem(key); } catch (e) { return null; }
      if (!raw) return null;
      var data;
      try { data = JSON.parse(raw); } catch (e) { return null; }
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "submit" || el.type === "file" || el.name === "csrfmiddlewaretoken") return;
        if (el.type === "checkbox") { el.checked = data.checked.indexOf(el.name + "=" + el.value) !== -1; return; }
        if (Object.prototype.hasOwnProperty.call(data.fields, el.name)) el.value = data.fields[el.name];
      });
      return data;
    }
    function send(action) {
      var button = form.querySelector('button[name="action"][value="' + (action || "save") + '"]');
      form.setAttribute("data-offline-sending-now", "1");
      if (button && form.requestSubmit) form.requestSubmit(button); else form.submit();
    }
    var pending = restore();
    if (pending) {
      say(form.getAttribute("data-offline-restored"));
      if (pending.action && navigator.onLine) { say(form.getAttribute("data-offline-sending")); send(pending.action); }
    }
    form.addEventListener("input", function () { save(""); });
    form.addEventListener("change", function () { save(""); });
    form.addEventListener("submit", function (event) {
      var action = (event.submitter && event.submitter.value) || "save";
      if (!navigator.onLine) {
        event.preventDefault();
        save(action);
        say(form.getAttribute("data-offline-saved"));
        return;
      }
      // Sent: the copy is dropped only when the server's answer is a new page without errors (next load).
      save(action);
      try { sessionStorage.setItem(key + ":sent", "1"); } catch (e) { /* ignore */ }
    });
    window.addEventListener("online", function () {
      var data = restore();
      if (data && data.action) { say(form.getAttribute("data-offline-sending")); send(data.action); }
    });
  }
  function settle() {
    // After a submit the server answered: with errors (the page shows them) keep the copy but forget the
    // pending action; without errors drop the copy.
    var errors = document.querySelector(".messages .msg-error");
    Object.keys(sessionStorage).forEach(function (name) {
      if (!/^carecircle:inspection-.*:sent$/.test(name)) return;
      var key = name.slice(0, -":sent".length);
      sessionStorage.removeItem(name);
      try {
        if (errors) {
          var data = JSON.parse(localStorage.getItem(key) || "null");
          if (data) { data.action = ""; localStorage.setItem(key, JSON.stringify(data)); }
        } else {
          localStorage.removeItem(key);
        }
      } catch (e) { /* ignore */ }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    settle();
    Array.prototype.forEach.call(document.querySelectorAll("[data-offline-form]"), init);
  });
})();
