// The operator console: the alarm queue is replaced every two seconds by htmx; when a newer alarm arrives the
// console beeps (Web Audio, once the operator has switched the sound on: browsers allow sound only after a click).
(function () {
  "use strict";
  var newest = null;
  var soundOn = false;
  var context = null;

  function beep() {
    if (!soundOn || !context) { return; }
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.frequency.value = 880;
    gain.gain.value = 0.2;
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.4);
  }

  function check() {
    var queue = document.getElementById("alarm-queue");
    if (!queue) { return; }
    var ids = Array.prototype.map.call(queue.querySelectorAll("[data-alarm]"), function (row) {
      return parseInt(row.getAttribute("data-alarm"), 10);
    });
    var top = ids.length ? Math.max.apply(null, ids) : 0;
    if (newest !== null && top > newest) {
      beep();
      queue.classList.add("flash");
      document.title = "● " + document.title.replace(/^● /, "");
    }
    newest = newest === null ? top : Math.max(newest, top);
  }

  document.addEventListener("DOMContentLoaded", function () {
    check();
    var toggle = document.querySelector("[data-sound-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        soundOn = !soundOn;
        toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
        if (soundOn && !context) {
          var Ctx = window.AudioContext || window.webkitAudioContext;
          context = Ctx ? new Ctx() : null;
        }
        beep();
      });
    }
  });
  document.addEventListener("htmx:afterSwap", check);
})();
