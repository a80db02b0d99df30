"""The server's use cases, independent of HTTP: batches, pull feed, enrolment, expiry, seeding."""
