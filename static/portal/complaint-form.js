// The operator's intake form: Ctrl+Enter (or Cmd+Enter) anywhere in it saves and starts the next.
// A file, not an inline script, so the content security policy can forbid inline scripts.
(function () {
  var form = document.getElementById("operator-form");
  if (!form) { return; }
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      document.getElementById("save-next").click();
    }
  });
})();
