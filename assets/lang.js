// Keeps <html lang> and the device's remembered language in step with the page on screen: each
// page is compiled per language and says its own in data-page-lang (the server also writes it into
// the first HTML, so the language is right from the first byte).
(function () {
  // The observer fires on every render: only a change of page language does any work (reading
  // document.cookie on each render cost the main thread measurable time in Lighthouse).
  var synced = null;
  function sync() {
    var page = document.querySelector("[data-page-lang]");
    if (!page) return;
    var lang = page.getAttribute("data-page-lang");
    if (lang === synced) return;
    synced = lang;
    if (document.documentElement.lang !== lang) document.documentElement.lang = lang;
    if (document.cookie.split("; ").indexOf("hcpay_lang=" + lang) < 0) {
      document.cookie = "hcpay_lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
    }
  }
  new MutationObserver(sync).observe(document.documentElement, { childList: true, subtree: true });
  sync();
})();
