// Look-up page: progressive enhancement only (the page works without script).
document.addEventListener("DOMContentLoaded", function () {
  var code = document.getElementById("code");
  if (code) {
    // Codes are upper case; citizens type them by hand on a phone.
    code.addEventListener("blur", function () { code.value = code.value.trim().toUpperCase(); });
    if (!code.value) { code.focus(); }
    else {
      var secret = document.getElementById("secret");
      if (secret && !document.getElementById("res-title")) { secret.focus(); }
    }
  }
  // A rating or complaint sent back with errors: bring the first question in error into view and
  // focus its first choice (the errors are written beside each question).
  var firstBad = document.querySelector("#rating .is-invalid, #feedback .is-invalid");
  if (firstBad) {
    firstBad.scrollIntoView({ block: "center" });
    firstBad.focus();
  }
  var phone = document.getElementById("phone4");
  if (phone) {
    phone.addEventListener("input", function () { phone.value = phone.value.replace(/\D/g, "").slice(0, 4); });
  }
});
