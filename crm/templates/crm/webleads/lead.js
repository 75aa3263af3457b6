/* Our web-to-lead form for any site: put <div data-crm-lead-form></div> where it goes and load this script.
   It keeps the visit's UTM tags, referrer and landing page, and the Yandex Metrika and Google Analytics ids. */
(function () {
  "use strict";
  var BASE = "{{ base|escapejs }}";
  var RU = (document.documentElement.lang || navigator.language || "ru").slice(0, 2) !== "en";
  var T = RU ? {
    name: "Ваше имя", company: "Компания", phone: "Телефон", email: "E-mail", comment: "Комментарий",
    consent: "Я согласен на хранение моих данных и связь со мной по заявке.", send: "Отправить",
    thanks: "Спасибо! Мы получили заявку и ответим в течение рабочего дня.", failed: "Не отправилось: "
  } : {
    name: "Your name", company: "Company", phone: "Phone", email: "E-mail", comment: "Comment",
    consent: "I agree that you store my details and contact me about my request.", send: "Send",
    thanks: "Thank you! We have your request and will answer within a working day.", failed: "Not sent: "
  };
  var UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }
  function visit() {
    // The first touch of the visit wins: the tags of the page the visitor landed on, kept while they browse.
    var stored = null;
    try { stored = JSON.parse(sessionStorage.getItem("crm-lead-visit") || "null"); } catch (e) { stored = null; }
    if (stored) { return stored; }
    var params = new URLSearchParams(location.search), found = {};
    UTM.forEach(function (name) { found[name] = params.get(name) || ""; });
    found.referrer = document.referrer;
    found.landing_page = location.href;
    try { sessionStorage.setItem("crm-lead-visit", JSON.stringify(found)); } catch (e) { /* private mode */ }
    return found;
  }
  function field(form, name, label, type) {
    var wrap = document.createElement("p"), input = document.createElement(type === "textarea" ? "textarea" : "input");
    var text = document.createElement("label");
    text.textContent = label;
    input.name = name;
    if (type !== "textarea") { input.type = type; }
    text.appendChild(document.createElement("br"));
    text.appendChild(input);
    wrap.appendChild(text);
    form.appendChild(wrap);
    return input;
  }
  function build(place) {
    var form = document.createElement("form"), status = document.createElement("p"), token = "";
    field(form, "name", T.name + " *", "text").required = true;
    field(form, "company", T.company, "text");
    field(form, "phone", T.phone, "tel");
    field(form, "email", T.email, "email");
    field(form, "comment", T.comment, "textarea");
    var trap = field(form, "website", "", "text");
    trap.tabIndex = -1;
    trap.autocomplete = "off";
    trap.parentNode.parentNode.style.cssText = "position:absolute;left:-10000px";
    var consent = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox"; box.name = "consent"; box.required = true;
    consent.appendChild(box);
    consent.appendChild(document.createTextNode(" " + T.consent));
    form.appendChild(consent);
    var button = document.createElement("button");
    button.type = "submit"; button.textContent = T.send;
    form.appendChild(button);
    form.appendChild(status);
    place.appendChild(form);
    fetch(BASE + "/forms/lead/token/").then(function (r) { return r.json(); }).then(function (j) { token = j.token; });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var ga = cookie("_ga").split(".");
      var body = Object.assign({}, visit(), {
        token: token, consent: box.checked,
        ym_client_id: cookie("_ym_uid"), ga_client_id: ga.length >= 4 ? ga.slice(-2).join(".") : ""
      });
      Array.prototype.forEach.call(form.elements, function (el) { if (el.name && el.type !== "checkbox") { body[el.name] = el.value; } });
      button.disabled = true;
      fetch(BASE + "/forms/lead/", {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)
      }).then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); }).then(function (answer) {
        if (answer[0] < 300) { form.replaceChildren(T.thanks); return; }
        status.textContent = T.failed + (answer[1].error || answer[0]);
        button.disabled = false;
      }).catch(function (error) { status.textContent = T.failed + error; button.disabled = false; });
    });
  }
  function start() {
    visit();
    document.querySelectorAll("[data-crm-lead-form]").forEach(build);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
