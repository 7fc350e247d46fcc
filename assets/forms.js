// What every form does in the browser. A static file, loaded like card_brand.js: the portal's
// Content Security Policy blocks scripts sent from the server (they would need eval), so this
// behaviour is compiled in and keys only on what the shared field component renders.
//
// - After a submit, once the answer arrives, focus moves to the first field of that form marked
//   aria-invalid="true".
// - When a flow changes step after a member's action on the same page, focus moves to the new
//   step's heading: one marked data-step-heading, or else an <h2> in <main> that replaced another,
//   or that was there all along and has just been shown (flows that keep every step mounted).
// - Password fields' "Show password" / "Hide password" buttons (data-password-toggle = input id).
(function () {
  var ANSWER_WAIT_MS = 15000; // how long after a submit its answer may still move focus
  var SAME_ANSWER_MS = 1000; // an answer that changed nothing (the same errors again)
  var STEP_WAIT_MS = 15000; // how long after a tap or submit a new step heading takes focus

  var pending = null; // {form, timer, until}
  var lastAction = { at: 0, path: "" };

  function now() {
    return Date.now();
  }

  function firstInvalid(root) {
    return root.querySelector('[aria-invalid="true"]');
  }

  function cancelPending() {
    if (pending && pending.timer) clearTimeout(pending.timer);
    pending = null;
  }

  function focusFirstInvalid() {
    if (!pending) return false;
    if (now() > pending.until || !pending.form.isConnected) {
      cancelPending();
      return false;
    }
    var field = firstInvalid(pending.form);
    if (!field) return false;
    cancelPending();
    field.focus();
    return true;
  }

  // Headings on screen when the member acted: one of them being restyled is not a new step.
  var headingsSeen = [];

  function noteAction() {
    watch();
    lastAction = { at: now(), path: location.pathname };
    headingsSeen = [];
    var main = document.querySelector("main");
    if (!main) return;
    var all = main.querySelectorAll("h2, [data-step-heading]");
    for (var i = 0; i < all.length; i++) if (visible(all[i])) headingsSeen.push(all[i]);
  }

  function recentAction() {
    return now() - lastAction.at < STEP_WAIT_MS && lastAction.path === location.pathname;
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!form || form.tagName !== "FORM") return;
      noteAction();
      cancelPending();
      pending = { form: form, until: now() + ANSWER_WAIT_MS, timer: null };
      // The same errors as before change nothing on the page: focus them once the answer is in.
      pending.timer = setTimeout(function () {
        if (pending) pending.timer = null;
        focusFirstInvalid();
      }, SAME_ANSWER_MS);
    },
    true
  );
  document.addEventListener("click", noteAction, true);

  function isHeading(node) {
    return node.nodeType === 1 && /^H[1-6]$/.test(node.tagName);
  }

  function inMain(node) {
    return !!(node.closest && node.closest("main"));
  }

  function visible(node) {
    return node.getClientRects().length > 0;
  }

  function collect(node, selector, out) {
    if (node.nodeType !== 1) return;
    if (node.matches(selector)) out.push(node);
    var found = node.querySelectorAll(selector);
    for (var i = 0; i < found.length; i++) out.push(found[i]);
  }

  // The heading of a step that just appeared, or null.
  function newStepHeading(records) {
    var marked = [];
    var added = [];
    var removedH2 = false;
    var renamed = [];
    var shown = [];
    for (var i = 0; i < records.length; i++) {
      var record = records[i];
      if (record.type === "childList") {
        for (var a = 0; a < record.addedNodes.length; a++) {
          var node = record.addedNodes[a];
          if (!node.isConnected) continue;
          collect(node, "[data-step-heading]", marked);
          collect(node, "h2", added);
          if (node.nodeType === 3 && node.parentElement && node.parentElement.closest("h2")) {
            renamed.push(node.parentElement.closest("h2"));
          }
        }
        for (var r = 0; r < record.removedNodes.length; r++) {
          var gone = [];
          collect(record.removedNodes[r], "h2", gone);
          if (gone.length) removedH2 = true;
        }
      } else if (record.type === "attributes" && record.attributeName !== "aria-invalid") {
        // A step kept mounted and just shown (its class or style changed): its heading.
        var box = record.target;
        if (box.nodeType === 1 && box.isConnected && inMain(box) && visible(box)) {
          var inside = [];
          collect(box, "[data-step-heading]", inside);
          if (!inside.length) collect(box, "h2", inside);
          for (var v = 0; v < inside.length; v++) {
            if (visible(inside[v]) && headingsSeen.indexOf(inside[v]) < 0) {
              shown.push(inside[v]);
              break;
            }
          }
        }
      } else if (record.type === "characterData" && record.target.parentElement) {
        var owner = record.target.parentElement.closest("h2, [data-step-heading]");
        if (owner && record.oldValue !== record.target.data) renamed.push(owner);
      }
    }
    if (marked.length) return marked[0];
    if (renamed.length) {
      // React kept the element and changed its words: the same place, a new step.
      for (var k = 0; k < renamed.length; k++) {
        if (renamed[k].isConnected && inMain(renamed[k])) return renamed[k];
      }
    }
    if (removedH2) {
      for (var j = 0; j < added.length; j++) {
        if (inMain(added[j])) return added[j];
      }
    }
    if (shown.length) return shown[0];
    return null;
  }

  function focusHeading(heading) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  var observer = new MutationObserver(function (records) {
    if (recentAction()) {
      var heading = newStepHeading(records);
      if (heading && isHeading(heading)) {
        cancelPending();
        // A new step that opens with errors (rare) still shows the first field in error.
        var form = heading.closest("form");
        var field = form && firstInvalid(form);
        if (field) field.focus();
        else focusHeading(heading);
        lastAction.at = 0;
        return;
      }
    }
    if (pending) focusFirstInvalid();
  });

  // The page is watched only while an action's answer or new step may still come: watching from
  // the first byte made every mutation of the page's first render pay for a record nobody reads.
  var watching = false;
  var unwatchTimer = null;

  function watch() {
    if (!watching) {
      observer.observe(document.documentElement, {
        subtree: true,
        childList: true,
        characterData: true,
        characterDataOldValue: true,
        attributes: true,
        attributeFilter: ["aria-invalid", "class", "style", "hidden"],
      });
      watching = true;
    }
    if (unwatchTimer) clearTimeout(unwatchTimer);
    unwatchTimer = setTimeout(function () {
      unwatchTimer = null;
      watching = false;
      observer.disconnect();
    }, Math.max(ANSWER_WAIT_MS, STEP_WAIT_MS));
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("[data-password-toggle]") : null;
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-password-toggle"));
    if (!input) return;
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    button.setAttribute("data-shown", show ? "true" : "false");
  });
})();
