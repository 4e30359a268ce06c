// The page's only script (the Content-Security-Policy allows no inline handlers):
// - <form data-confirm="question"> asks before it is sent;
// - <select data-autosubmit> (or a checkbox) sends its form when the choice changes.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[data-autosubmit], input[data-autosubmit]")) {
    event.target.form.submit();
  }
});
// - <input type="checkbox" data-check-all="NAME"> ticks or clears every box named NAME in its fieldset.
document.addEventListener("click", function (event) {
  var all = event.target.getAttribute && event.target.getAttribute("data-check-all");
  if (all) {
    var boxes = event.target.closest("fieldset").querySelectorAll('input[name="' + all + '"]');
    for (var i = 0; i < boxes.length; i++) {
      boxes[i].checked = event.target.checked;
    }
  }
});
// - <input data-filter-list="ID"> shows only the items of the list with that id whose label
//   contains the typed text (ticked items always stay visible).
document.addEventListener("input", function (event) {
  var id = event.target.getAttribute && event.target.getAttribute("data-filter-list");
  var list = id && document.getElementById(id);
  if (list) {
    var text = event.target.value.trim().toLowerCase();
    var items = list.querySelectorAll("li");
    for (var i = 0; i < items.length; i++) {
      var box = items[i].querySelector("input");
      var match = !text || items[i].textContent.toLowerCase().indexOf(text) !== -1;
      items[i].hidden = !(match || (box && box.checked));
    }
  }
});
