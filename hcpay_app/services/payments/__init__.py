"""Taking money exactly once, and its records: Make a Payment (`checkout`), the payment rows and
their timelines, what each status means, card and bank input checks, saved methods, guest pay,
history, receipts, statements, bills and the yearly premium summary as PDFs (`documents`).

Double-tap protection lives in `checkout`: each Make a Payment form carries an idempotency key
issued by the server, the payment row is written "processing" under that unique key before the
processor is called, a repeat of the key returns the first payment, and the processor's own
idempotency (the same key) makes a re-sent charge return its first result."""
