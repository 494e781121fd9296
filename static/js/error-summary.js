/* Following a link in a form's error summary shows the question's label (or legend), hint
   and error together, and puts the cursor in the field, as the GOV.UK Design System's error
   summary does. Left to itself, the browser scrolls the field to the top of the screen, and on
   a phone the label, hint and error above it are out of view. Without JavaScript the link
   still leads to the field. */
(function () {
  "use strict";

  function questionOf(field) {
    return field.closest(".form-group, .field") || field;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!field) {
      return;
    }
    event.preventDefault();
    questionOf(field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
    if (window.history && window.history.pushState) {
      window.history.pushState(null, "", link.hash);
    }
  });
})();
