// Parts of a page that cost more than the rest of it, fetched once it is shown: <span data-fragment="URL">.
document.querySelectorAll("[data-fragment]").forEach((element) => {
  fetch(element.dataset.fragment, { credentials: "same-origin" })
    // A 503 is the page's own word that the part took too long (e.g. the journeys' cycle times): shown.
    .then((response) => (response.ok || response.status === 503 ? response.text() : ""))
    .then((html) => {
      element.innerHTML = html;
    });
});
