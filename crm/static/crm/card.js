// The client card is read first: the account's edit form sits below it, and its save bar stays at the
// bottom of the form (instead of floating over the promises) until a field is actually edited.
document.addEventListener("DOMContentLoaded", function () {
  if (!document.querySelector("[data-testid=client-card]")) return;
  document.body.classList.add("crm-has-card");
  var form = document.getElementById("account_form");
  if (!form) return;
  var editing = function () { document.body.classList.add("crm-editing"); };
  form.addEventListener("input", editing, { once: true });
  form.addEventListener("change", editing, { once: true });
});
