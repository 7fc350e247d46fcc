// Shows the card network while the member types the number — in the browser only, so the card
// number travels to the server once, on Continue, to be tokenized.
(function () {
  var brands = [
    ["American Express", /^3[47]/],
    ["Visa", /^4/],
    ["Mastercard", /^(5[1-5]|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)/],
    ["Discover", /^(6011|65|64[4-9])/],
  ];
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input || input.id !== "card_number") return;
    var digits = input.value.replace(/[^0-9]/g, "");
    var brand = "";
    for (var i = 0; i < brands.length; i++) {
      if (brands[i][1].test(digits)) { brand = brands[i][0]; break; }
    }
    var out = document.getElementById("card-brand");
    // The page's language's words, with {brand} where the network's name goes.
    var words = (out && out.getAttribute("data-template")) || "Card type: {brand}";
    if (out) out.textContent = brand ? words.replace("{brand}", brand) : "";
  });
})();
