"""Answer composers, one per intent: each turns ranked clauses into a short factual answer."""
