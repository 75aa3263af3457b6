// Parts of a page that cost more than the rest of it, fetched once it is shown: <span data-fragment="URL">.
document.querySelectorAll("[data-fragment]").forEach((element) => {
  fetch(element.dataset.fragment, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.text() : ""))
    .then((html) => {
      element.innerHTML = html;
    });
});
