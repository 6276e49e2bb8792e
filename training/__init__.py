"""Training scheduling: sessions, invitations and registrations, attendance, calendar, e-mail outbox."""
