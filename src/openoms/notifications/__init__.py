"""Customer notifications: messages rendered from templates per event and locale, sent by
SMTP (or written to a folder), recorded and retried."""
