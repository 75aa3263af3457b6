// The caller card while the phone rings: polls /admin/screen-pop/ every 3 s while the page is visible,
// and shows the card of a call routed to this user. Server data goes in as text, never as HTML.
(function () {
  "use strict";
  var URL = "/admin/screen-pop/";
  var dismissed = {};
  var shown = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function render(data) {
    var call = data.call, card = data.card, labels = data.labels;
    var box = el("aside", "crm-pop");
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "screen-pop");
    box.appendChild(el("div", "crm-pop__label", labels.calling + " " + call.from));
    box.appendChild(el("div", "crm-pop__name", card.display_name));
    if (card.behaviour_hint) box.appendChild(el("div", "crm-pop__hint", card.behaviour_hint));
    if (card.last_delivery_move) {
      var move = card.last_delivery_move;
      box.appendChild(el("div", "crm-pop__warn",
        labels.moved + ": " + move.order + ", " + move.from + " → " + move.to + " (" + move.reason + ")"));
    }
    (card.promises || []).slice(0, 3).forEach(function (promise) {
      box.appendChild(el("div", "crm-pop__row" + (promise.overdue ? " crm-pop__row--overdue" : ""),
        promise.due_at.slice(0, 16).replace("T", " ") + " · " + promise.description));
    });
    var actions = el("div", "crm-pop__actions");
    if (card.account_url) {
      var open = el("a", "crm-pop__open", labels.open);
      open.href = card.account_url;
      actions.appendChild(open);
    }
    var close = el("button", "crm-pop__close", "×");
    close.type = "button";
    close.setAttribute("aria-label", labels.close);
    close.addEventListener("click", function () { dismissed[call.id] = true; hide(); });
    actions.appendChild(close);
    box.appendChild(actions);
    return box;
  }

  function hide() {
    if (shown) { shown.remove(); shown = null; }
  }

  function poll() {
    if (document.visibilityState !== "visible") return;
    fetch(URL, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {call: null}; })
      .then(function (data) {
        if (!data.call || dismissed[data.call.id]) { hide(); return; }
        if (shown && shown.getAttribute("data-call") === String(data.call.id)) return;
        hide();
        shown = render(data);
        shown.setAttribute("data-call", String(data.call.id));
        document.body.appendChild(shown);
      })
      .catch(function () { /* the next poll tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    poll();
    setInterval(poll, 3000);
  });
})();
