"""Outside systems and primitives behind plain interfaces: the payment processor (and its sandbox),
email through the outbox, encryption and blind indexes, password hashing. They know no member rule;
only `common` lies below them."""
