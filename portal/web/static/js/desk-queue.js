// The desk's queue refreshes itself every few seconds (hx-trigger="every ...s" on #queue-rows). A refresh
// must not take away what the agent is doing: while any case is selected for a bulk action, or the focus is
// in the rows, the refresh waits for the next tick. A refresh already on its way when the agent ticks a box
// is dropped rather than swapped in, for the same reason.
function queueRowsInUse(event) {
  var rows = document.getElementById("queue-rows");
  if (!rows || event.detail.elt !== rows) {
    return false;
  }
  var selected = document.querySelector('input[name="case"]:checked');
  return Boolean(selected) || rows.contains(document.activeElement);
}

document.addEventListener("htmx:beforeRequest", function (event) {
  if (queueRowsInUse(event)) {
    event.preventDefault();
  }
});

document.addEventListener("htmx:beforeSwap", function (event) {
  if (queueRowsInUse(event)) {
    event.detail.shouldSwap = false;
  }
});
