"""The rules of Recall as plain functions over plain data.

Nothing in this package imports Flask, SQLAlchemy, Twilio, smtplib or APScheduler
(tests/unit/test_domain_is_pure.py checks it), and nothing reads the clock: `now`
is always an argument, so every rule is tested without I/O.
"""
